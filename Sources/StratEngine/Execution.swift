import Foundation
import StratMarket

/// When a market order sent at a bar's close fills.
public enum FillTiming: String, Codable, Sendable {
    /// At the next bar's open (default; what a live system can do).
    case nextOpen = "next-open"
    /// At the signal bar's own close (optimistic; for comparison with tools that do this).
    case close
}

/// The configured slippage on taker fills (the default `SlippageModel`s), as
/// a fraction of the price.
public enum Slippage: SlippageModel, Codable, Sendable, Equatable, CustomStringConvertible {
    case none
    /// A fixed number of basis points.
    case fixedBps(Double)
    /// k × participation (order quantity / bar volume).
    case linear(Double)
    /// k × √participation: square-root market impact.
    case squareRoot(Double)

    public func fraction(quantity: Double, barVolume: Double) -> Double {
        let participation = barVolume > 0 ? quantity / barVolume : 1
        switch self {
        case .none: return 0
        case .fixedBps(let b): return b / 10_000
        case .linear(let k): return k * participation
        case .squareRoot(let k): return k * participation.squareRoot()
        }
    }

    /// `none`, `fixed:5` (bps), `linear:0.1`, `sqrt:0.1`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count > 1 ? Double(parts[1]) : nil) {
        case ("none", _) where parts.count == 1: self = .none
        case ("fixed", let v?) where v >= 0: self = .fixedBps(v)
        case ("linear", let v?) where v >= 0: self = .linear(v)
        case ("sqrt", let v?) where v >= 0: self = .squareRoot(v)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .fixedBps(let v): "fixed:\(v)"
        case .linear(let v): "linear:\(v)"
        case .squareRoot(let v): "sqrt:\(v)"
        }
    }
}

/// When the market is open: weekdays and hours in UTC, and holidays. Orders
/// only trade on bars that open inside the session; DAY orders expire at the
/// session's close.
public struct TradingSession: Codable, Sendable, Equatable {
    /// ISO weekdays that trade: 1 = Monday … 7 = Sunday.
    public var weekdays: Set<Int>
    /// Minutes after UTC midnight.
    public var openMinute: Int
    public var closeMinute: Int
    /// Days since 1970-01-01 that do not trade.
    public var holidays: Set<Int64>

    public static let alwaysOpen = TradingSession(weekdays: Set(1...7), openMinute: 0, closeMinute: 1440, holidays: [])

    public init(weekdays: Set<Int>, openMinute: Int, closeMinute: Int, holidays: Set<Int64>) {
        self.weekdays = weekdays
        self.openMinute = openMinute
        self.closeMinute = closeMinute
        self.holidays = holidays
    }

    // Sets encode in order: the same session is the same bytes in every process
    // (a batch's cache keys hash them).
    enum CodingKeys: String, CodingKey { case weekdays, openMinute, closeMinute, holidays }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weekdays.sorted(), forKey: .weekdays)
        try c.encode(openMinute, forKey: .openMinute)
        try c.encode(closeMinute, forKey: .closeMinute)
        try c.encode(holidays.sorted(), forKey: .holidays)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(weekdays: Set(try c.decode([Int].self, forKey: .weekdays)), openMinute: try c.decode(Int.self, forKey: .openMinute),
                  closeMinute: try c.decode(Int.self, forKey: .closeMinute), holidays: Set(try c.decode([Int64].self, forKey: .holidays)))
    }

    /// Every minute of every day, no holidays (no need to look at a time).
    public var isAlwaysOpen: Bool { openMinute == 0 && closeMinute == 1440 && weekdays.count == 7 && holidays.isEmpty }

    public func isOpen(_ t: Int64) -> Bool {
        let d = UTCTime.day(t)
        guard weekdays.contains(UTCTime.weekday(day: d)), !holidays.contains(d) else { return false }
        let minute = Int((t - d * 86_400_000) / 60_000)
        return minute >= openMinute && minute < closeMinute
    }

    /// The end of the trading day that `t` belongs to (its session close).
    public func dayEnd(after t: Int64) -> Int64 {
        let d = UTCTime.day(t)
        let close = d * 86_400_000 + Int64(closeMinute) * 60_000
        return t < close ? close : close + 86_400_000
    }

    /// `24/7`, or `Mon-Fri 14:30-21:00` (UTC).
    public init?(parsing text: String) {
        if text == "24/7" { self = .alwaysOpen; return }
        let parts = text.split(separator: " ")
        let names = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]
        guard parts.count == 2 else { return nil }
        let days = parts[0].lowercased().split(separator: "-").map { names[String($0)] }
        let hours = parts[1].split(separator: "-").map { hm -> Int? in
            let x = hm.split(separator: ":").compactMap { Int($0) }
            return x.count == 2 && (0...24).contains(x[0]) && (0..<60).contains(x[1]) ? x[0] * 60 + x[1] : nil
        }
        guard days.count == 2, let a = days[0], let b = days[1], a <= b,
              hours.count == 2, let o = hours[0], let c = hours[1], o < c, c <= 1440 else { return nil }
        self.init(weekdays: Set(a...b), openMinute: o, closeMinute: c, holidays: [])
    }
}

/// How the simulated exchange executes orders.
public struct ExecutionConfig: Codable, Sendable, Equatable {
    public var fill: FillTiming = .nextOpen
    /// Half the bid–ask spread as a fraction of the price, used when the data has no bid/ask.
    public var halfSpread = 0.0
    public var slippage: Slippage = .none
    /// Fees as fractions of the traded value (0.001 = 10 bps).
    public var makerFee = 0.0
    public var takerFee = 0.0
    /// Milliseconds between sending an order and its being active.
    public var latency: Int64 = 0
    /// At most this fraction of a bar's volume fills per bar (partial fills carry over).
    public var participation: Double?
    /// Tick and lot for every symbol that has no rules of its own in `instruments`.
    public var tickSize: Double?
    public var lotSize: Double?
    /// Per-symbol trading rules (e.g. Binance's exchangeInfo from the store).
    public var instruments: [String: InstrumentRules] = [:]
    public var session: TradingSession = .alwaysOpen

    public init() {}

    /// A zero step (an exchange's way of saying "no filter") counts as none.
    /// (Without per-symbol rules no lookup is made: these are asked on every fill.
    /// Inlined, so that asking the exchange's configuration reads two fields
    /// rather than copying the whole of it, its sets and dictionaries retained.)
    @inline(__always)
    public func tick(_ symbol: String) -> Double? {
        ((instruments.isEmpty ? nil : instruments[symbol]?.tickSize) ?? tickSize).flatMap { $0 > 0 ? $0 : nil }
    }
    @inline(__always)
    public func lot(_ symbol: String) -> Double? {
        ((instruments.isEmpty ? nil : instruments[symbol]?.lotSize) ?? lotSize).flatMap { $0 > 0 ? $0 : nil }
    }
}

/// An instrument's trading rules: prices on the tick grid, quantities in whole
/// lots, and no order worth less than the minimum notional.
public struct InstrumentRules: Codable, Sendable, Equatable {
    public var tickSize: Double?
    public var lotSize: Double?
    public var minNotional: Double?

    public init(tickSize: Double? = nil, lotSize: Double? = nil, minNotional: Double? = nil) {
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.minNotional = minNotional
    }
}
