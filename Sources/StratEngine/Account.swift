/// What sizing and the risk engine see of an account: the portfolio's equity,
/// cash, positions and exposure (the portfolio computes them, in a fixed
/// symbol order), the trades so far and the equity at the start of the
/// trading day. (The risk engine keeps its own high-water mark, over its window.)
///
///     let account = Account(portfolio: portfolio, session: .alwaysOpen)
///     account.beginBar(at: bar.time)     // a new day: the day's starting equity
///     …                                  // fills, rules
public final class Account {
    public let portfolio: any Portfolio
    public var book = TradeBook()
    public private(set) var dayStartEquity: Double
    /// The trading day in progress (its session close), for `dayStartEquity`.
    public private(set) var day: Int64 = .min
    let session: TradingSession

    public init(portfolio: any Portfolio, session: TradingSession = .alwaysOpen) {
        self.portfolio = portfolio
        self.session = session
        dayStartEquity = portfolio.equity
    }

    public var equity: Double { portfolio.equity }
    public var cash: Double { portfolio.cash }
    public func position(_ symbol: String) -> Double { portfolio.position(symbol) }
    public func notional(_ symbol: String) -> Double { portfolio.notional(symbol) }
    public var grossExposure: Double { portfolio.grossExposure }
    public var leverage: Double { portfolio.leverage }

    /// Before a bar opening at `time` is traded: a new trading day (UTC, or the
    /// session's day) starts from the equity at the last close.
    public func beginBar(at time: Int64) {
        // Later in the day in progress: nothing changes (no session close lies
        // between the last bar and this one; asked on every bar).
        if time >= lastBar, time < day { lastBar = time; return }
        lastBar = time
        let d = session.dayEnd(after: time)
        if d != day {
            day = d
            dayStartEquity = equity
        }
    }
    private var lastBar = Int64.min

    /// A fill, into the trade book.
    public func record(_ f: Fill, line: Int?, bar: Int, riskLimit: String? = nil, reason: String? = nil) {
        book.record(f, line: line, positionAfter: f.positionAfter, bar: bar, riskLimit: riskLimit, reason: reason)
    }
}
