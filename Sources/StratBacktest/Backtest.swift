import Foundation
import StratEngine
import StratIR
import StratMarket
import StratRuntime
import StratSema

/// Everything a backtest is run with, recorded in its provenance.
public struct BacktestConfig: Codable, Sendable, Equatable {
    public var capital = 10_000.0
    public var execution = ExecutionConfig()
    /// Input overrides (`--set`), checked against the declared types and ranges.
    public var inputs: [String: Double] = [:]
    /// Periods per year for annualising; nil estimates it from the data (bars per
    /// year of calendar time, so daily equity bars give about 252).
    public var periodsPerYear: Double?
    /// Spot margin shorts: the yearly interest on the borrowed value (charged
    /// hourly) and the maintenance margin, a fraction of the shorts' value.
    public var borrowRate = 0.0
    public var shortMaintenance: Double? = SpotPortfolio.finraMaintenance
    /// Rules act only on bars that open at or after this time; before it the
    /// indicators warm up, nothing trades and the equity curve has not begun
    /// (a walk-forward test window after its history).
    public var tradeFrom: Int64?

    public init() {}
}

/// One point of the equity curve: the value at a bar's close, labelled with the
/// bar's time (its open, as in the data).
public struct EquityPoint: Sendable, Equatable {
    public var time: Int64
    public var equity: Double
    public var cash: Double
    public init(time: Int64, equity: Double, cash: Double) {
        self.time = time
        self.equity = equity
        self.cash = cash
    }
}

public struct BacktestResult: Sendable {
    public var strategy: String
    public var symbols: [String]
    public var metrics: Metrics
    public var trades: [Trade]
    public var orders: [Order]
    public var fills: [Fill]
    /// The equity curve (empty when the run was asked not to keep it).
    public var equity: [EquityPoint]
    /// Simple returns per UTC day that has an equity point, the first against the initial equity.
    public var dailyReturns: [Double]
    /// What the run could not do as the strategy reads (e.g. an unenforced feature).
    public var warnings: [String]
    /// Actions that did nothing and orders that did not trade, with why (in the
    /// JSON's `warnings` after the warnings proper).
    public var notices: Notices
    /// What was done to the data before the run (resampling).
    public var dataNotes: [String]
    /// Every decision of the risk engine (nil without a `risk { }` block).
    public var riskEvents: [RiskEvent]?
    /// The trading state at the end.
    public var riskState: TradingState?
    /// Perpetuals: funding and liquidations (nil for spot).
    public var perp: PerpOutcome?
    /// Spot margin: borrow interest and margin calls (nil without shorts).
    public var margin: MarginOutcome?
    /// The bars and `let` series at the report's resolution (Docs/Reports.md).
    public var chart: ChartData
    /// Every rule that fired and sent orders, with its condition's values.
    public var signals: [Signal]
    /// The words of the signals (`signalText.clauses(signal)`).
    public var signalText: SignalText
}

/// What a spot margin account paid for its shorts and which it had to close.
public struct MarginOutcome: Sendable {
    public var interest: Double
    /// Shorts closed at their maintenance margin.
    public var marginCalls: [LiquidationEvent]
}

/// What a perpetual-futures run paid and suffered beyond its trades.
public struct PerpOutcome: Sendable {
    public var fundingPaid: Double
    public var fundingReceived: Double
    public var liquidations: [LiquidationEvent]
    /// Losses the account could not pay (the insurance fund's).
    public var insuranceFund: Double
}

/// Runs a compiled strategy over bar series: the clock delivers each closed bar;
/// the exchange first matches the orders resting from earlier bars along the
/// bar's path; then the runtime evaluates the bar and the rules that fire send
/// orders (active from the next bar, or filled at this close with `--fill close`);
/// the equity is marked at the close.
public final class Backtest {
    let strategy: IRStrategy
    let config: BacktestConfig
    let series: [BarSeries]
    let runtime: Runtime
    let portfolio: any Portfolio
    let exchange: SimulatedExchange
    /// Perpetuals: the portfolio, its liquidations, and its marks and funding.
    let perp: PerpPortfolio?
    /// Spot margin: the portfolio (charged interest, its shorts margin-called).
    let spotMargin: SpotPortfolio?
    /// Liquidations of perpetuals, margin calls of spot shorts.
    let liquidations: LiquidationWatch?
    let perpData: PerpData
    /// Per series index: its mark bars and funding rates (empty: none), read
    /// forward from `markRows` and `fundingRows`.
    let markSeries: [[Bar]]
    let fundingSeries: [[FundingRate]]
    var markRows: [Int]
    var fundingRows: [Int]
    let account: Account
    let router: OrderRouter
    /// The strategy's `risk { }` block, enforced (nil without one).
    let risk: RiskEngine?
    /// The bar length every symbol runs on (finer data is resampled to it).
    let length: BarLength
    /// What was done to the data before the run (resampling), for the summary.
    var dataNotes: [String] = []
    /// Trailing distances that follow a series, as (instance, node); an
    /// intent's `trailSource` indexes this list.
    var trailSources: [(instance: Int, node: Int)] = []
    var warnings: [String] = []
    /// `universe top N by …`: which instances are members, re-ranked on every
    /// bar or at the start of each `every` period and held in between.
    var members: [Bool] = []
    var equityText: EquityText?
    /// Whether the run keeps what reports and `strat explain` read: the chart of
    /// its bars and lets, the signals, the orders' histories and the notices of
    /// how orders ended (a batch's points do not).
    var keepsDetails = true
    /// Whether the run keeps its equity curve (a batch's points keep only its statistics).
    var keepsCurve = true
    var control: RunControl?
    var signals: [Signal] = []

    /// Finer bars per symbol: when given, orders meet them one by one inside each
    /// bar instead of the bar's O→H→L→C path.
    let intrabar: [String: (bars: [Bar], step: Int64)]

    /// `intrabar`: finer bars for some symbols (e.g. 1m inside 1h), for a truer
    /// order of events inside each bar.
    /// `equityText`: receives the equity curve in chunks while the run goes on,
    /// so the report's text of it is made on the other core (see `EquityText`).
    /// `depth`: order-book snapshots per symbol; taker fills of those symbols walk
    /// the latest book (`DepthFillModel`).
    /// `perp`: mark prices, funding rates, leverage brackets and liquidation fees
    /// of perpetual futures.
    /// `columns`: evaluate the strategy a column at a time where it can (one
    /// symbol, one timeframe), sharing indicator columns with the other runs
    /// given the same cache and bars (a batch); the results are the same.
    /// `details`: keep the chart, the signals, the orders' histories and the notices
    /// of how orders ended (what reports and `strat explain` read).
    /// `curve`: keep the equity curve (else the result has its metrics and daily returns only).
    /// `control`: where the run reports its progress and learns it must stop (a server's job).
    public static func run(_ strategy: IRStrategy, data: [BarSeries], config: BacktestConfig, intrabar: [BarSeries] = [],
                           depth: [String: [BookSnapshot]] = [:], perp: PerpData = PerpData(),
                           equityText: EquityText? = nil, columns: ColumnCache? = nil, details: Bool = true,
                           curve: Bool = true, control: RunControl? = nil) throws -> BacktestResult {
        let b = try Backtest(strategy, data: data, config: config, intrabar: intrabar, depth: depth, perp: perp)
        b.equityText = equityText
        b.keepsDetails = details
        b.exchange.recordsHistory = details
        b.keepsCurve = curve || equityText != nil
        b.control = control
        if let columns, b.series.count == 1 { b.runtime.computeColumns(b.series[0].bars, cache: columns) }
        return try b.run()
    }

    init(_ strategy: IRStrategy, data: [BarSeries], config: BacktestConfig, intrabar: [BarSeries] = [],
         depth: [String: [BookSnapshot]] = [:], perp: PerpData = PerpData()) throws {
        guard !data.isEmpty else { throw RuntimeError("no data: give at least one symbol's bars") }
        self.strategy = strategy
        self.config = config
        // Each series' bar length comes from the data; a strategy timeframe that
        // a series' bars divide resamples them, and the finer bars then drive the
        // fills inside each bar (unless `intrabar` gives others).
        let wanted: BarLength? = strategy.timeframe.map { .milliseconds($0 * 1000) } ?? strategy.timeframeMonths.map { .months($0) }
        var sorted = data.sorted { $0.symbol < $1.symbol }
        var fine: [String: (bars: [Bar], step: Int64)] = [:]
        var lengths: [BarLength] = []
        for i in sorted.indices {
            let x = sorted[i]
            guard let own = x.barLength ?? wanted else {
                throw RuntimeError("cannot tell the bar length of \(x.symbol) from \(x.bars.count) bar\(x.bars.count == 1 ? "" : "s"); give at least two bars")
            }
            if let wanted, own != wanted {
                guard own.divides(wanted), case .milliseconds(let step) = own else {
                    throw RuntimeError("the strategy's timeframe is \(wanted) but \(x.symbol)'s bars are \(own), which do not make whole \(wanted) bars; "
                                       + "give bars of \(wanted) or a length that divides it (higher timeframes come from `@`)")
                }
                let r = Resampler.resample(x.bars, base: own, to: wanted)
                guard !r.closed.isEmpty else {
                    throw RuntimeError("\(x.symbol)'s \(x.bars.count) bars of \(own) make no whole \(wanted) bar")
                }
                dataNotes.append("\(x.symbol): \(x.bars.count) bars of \(own) resampled to \(r.closed.count) of \(wanted)"
                                 + (r.partial != nil ? " (the last, unfinished one left out)" : "")
                                 + (x.halfSpreads != nil ? "; their bid/ask spreads are not carried over" : "")
                                 + "; the \(own) bars drive the fills inside each")
                fine[x.symbol] = (x.bars, step)
                sorted[i] = BarSeries(symbol: x.symbol, bars: r.closed)
            }
            lengths.append(wanted ?? own)
        }
        guard let length = lengths.first, lengths.allSatisfy({ $0 == length }) else {
            let found = zip(sorted, lengths).map { "\($0.0.symbol) \($0.1)" }.joined(separator: ", ")
            throw RuntimeError("every symbol needs bars of one length (found \(found)); give the strategy a `timeframe` they divide, or read higher timeframes with `@`")
        }
        series = sorted
        self.length = length
        for f in intrabar {
            guard data.contains(where: { $0.symbol == f.symbol }) else {
                throw RuntimeError("intrabar data for \(f.symbol), which has no bars")
            }
            guard let own = f.barLength, case .milliseconds(let step) = own, own.divides(length) else {
                throw RuntimeError("intrabar bars for \(f.symbol) must be shorter than the \(length) bars and divide them")
            }
            fine[f.symbol] = (f.bars, step)
        }
        self.intrabar = fine
        runtime = try Runtime(strategy: strategy, overrides: config.inputs, symbols: series.map(\.symbol), baseInterval: length.nominal)
        // The market picks the portfolio: spot (shorts on a margin account hold
        // Reg T's 50% initial margin) or a perpetual-futures account.
        perpData = perp
        let perpMarket = strategy.market.kind == .perp
        markSeries = series.map { perpMarket ? perp.marks[$0.symbol] ?? [] : [] }
        fundingSeries = series.map { perpMarket ? perp.funding[$0.symbol] ?? [] : [] }
        markRows = series.map { _ in 0 }
        fundingRows = series.map { _ in 0 }
        var perpPortfolio: PerpPortfolio?
        var spotMargin: SpotPortfolio?
        if strategy.market.kind == .perp {
            let p = PerpPortfolio(cash: config.capital, leverage: strategy.market.leverage,
                                  margin: strategy.market.margin == .cross ? .cross : .isolated, hedged: strategy.market.mode == .hedge,
                                  data: perp, symbols: series.map(\.symbol))
            perpPortfolio = p
            portfolio = p
            for x in series where perp.marks[x.symbol] == nil {
                warnings.append("no mark prices for \(x.symbol): its last price stands in for the mark (margin, liquidation, funding)")
            }
            for x in series where perp.brackets[x.symbol] == nil {
                warnings.append("no leverage brackets for \(x.symbol): one tier stands in (maintenance margin 0.5% of the notional, any leverage)")
            }
        } else {
            let spot = SpotPortfolio(cash: config.capital, allowShort: strategy.market.margin != .none, maintenanceMargin: config.shortMaintenance,
                                     borrowRate: config.borrowRate, symbols: series.map(\.symbol))
            portfolio = spot
            spotMargin = spot.allowShort ? spot : nil
        }
        var models = ExecutionModels(config.execution)
        if !depth.isEmpty {
            for symbol in depth.keys.sorted() where !data.contains(where: { $0.symbol == symbol }) {
                throw RuntimeError("order-book data for \(symbol), which has no bars")
            }
            models.fill = DepthFillModel(books: depth)
        }
        let exchange = SimulatedExchange(config: config.execution, portfolio: portfolio, models: models)
        exchange.liquidationFee = perp.liquidationFee
        self.exchange = exchange
        self.perp = perpPortfolio
        self.spotMargin = spotMargin
        let liquidating: (any LiquidatingPortfolio)? = perpPortfolio ?? spotMargin
        liquidations = liquidating.map { LiquidationWatch(exchange: exchange, portfolio: $0) }
        if spotMargin != nil {
            // A margin call buys the short back as a taker.
            for s in series { exchange.liquidationFee[s.symbol] = config.execution.takerFee }
        }
        account = Account(portfolio: portfolio, session: config.execution.session)
        router = OrderRouter(exchange: exchange, account: account, pyramiding: strategy.pyramiding ?? 0)
        let limits = Self.riskLimits(strategy.risk, runtime)
        risk = limits.isEmpty ? nil : RiskEngine(limits: limits, exchange: exchange)
        router.risk = risk
        exchange.preTrade = risk
    }

    /// The risk block's limits, inputs resolved (`--set` may change them).
    static func riskLimits(_ r: IRRisk, _ runtime: Runtime) -> RiskLimits {
        func v(_ p: IRParam?) -> Double? {
            switch p {
            case .const(let x)?: x
            case .input(let k)?: runtime.inputs[k]
            case .node(let n)?: runtime.value(node: n)
            case nil: nil
            }
        }
        func ms(_ p: IRParam?) -> Int64? { v(p).map { $0 * 1000 < 9e18 ? Int64($0 * 1000) : .max } }
        var l = RiskLimits()
        l.maxDrawdown = v(r.maxDrawdown)
        l.drawdownWindow = ms(r.drawdownWindow)
        l.onDrawdown = r.drawdownAction == "scale" ? .scale(v(r.drawdownScale) ?? 1) : .halt(pause: ms(r.haltPause))
        l.maxLeverage = v(r.maxLeverage)
        l.maxPosition = v(r.maxPosition)
        l.maxExposure = v(r.maxExposure)
        l.maxCorrelation = v(r.maxCorrelation)
        if let n = v(r.correlationBars), n >= 2, n < 1e6 { l.correlationBars = Int(n) }
        l.maxDailyLoss = v(r.maxDailyLoss)
        l.maxTradeRisk = v(r.maxTradeRisk)
        l.maxOpenRisk = v(r.maxOpenRisk)
        return l
    }

    func run() throws -> BacktestResult {
        let ends = series.map { $0.ends(length) }
        var clock = Clock(streams: series.map(\.bars), ends: ends)
        var rows = series.map { _ in 0 }
        let longest = series.map(\.bars.count).max() ?? 0
        var equity: [EquityPoint] = []
        if keepsCurve { equity.reserveCapacity(longest) }
        var curve = CurveStats(points: longest)
        var inMarket = 0
        let dataIndex = runtime.symbols.map { sym in series.firstIndex { $0.symbol == sym }! }
        let symbols = series.map(\.symbol)
        var bars: [Bar?] = []
        // Sizes held by data index (both legs in hedge mode), refreshed when fills happen.
        var held = series.map { _ in 0.0 }
        let portfolio = self.portfolio
        let spreads = series.map(\.halfSpreads)
        let slots = symbols.map(portfolio.slot)
        let hedged = portfolio.hedged
        /// What data index `s` holds, both legs counted (by slot: asked after every fill).
        func size(_ s: Int) -> Double {
            hedged ? portfolio.position(symbols[s], leg: .long) - portfolio.position(symbols[s], leg: .short) : abs(portfolio.position(slot: slots[s]))
        }
        let fine = series.map { intrabar[$0.symbol] }
        var finePositions = series.map { _ in 0 }
        let conditions = strategy.rules.map(\.condition)
        let closeFills = config.execution.fill == .close
        let equityText = self.equityText     // a local: the loop reads it on every bar
        // Read once per fill rather than once per bar (class properties cost a check).
        var cash = portfolio.cash
        var trailing = false
        members = dataIndex.map { _ in false }
        var rankedIn: Int64?    // the period of the last re-ranking
        let tradeFrom = config.tradeFrom
        // One symbol, its rules read a column ahead, and nothing that acts on
        // every bar (funding, interest, risk, liquidations, the universe, finer
        // bars): a bar on which no order rests, no trail follows and no rule
        // fires only marks the position, which the branch below does alone.
        // (A condition known before the run that holds fires on every bar.)
        let quietBars = series.count == 1 && portfolio.symbols.count == 1 && !hedged && conditions.count <= 64
            && runtime.isColumnar && perp == nil && !carrying && risk == nil && liquidations == nil
            && strategy.membership == nil && fine[0] == nil && equityText == nil
            && conditions.allSatisfy { runtime.hasColumn(node: $0) || runtime.value(node: $0) != 1 }
        let quietSeries = series[0].bars
        // The bars on which rules fire (and act), in order, each with the rules that
        // fire on it (bit r: rule r): every other bar is quiet.
        var firing: [(row: Int, which: UInt64)] = []
        if quietBars {
            firing = runtime.trueRows(of: conditions)
            if let from = tradeFrom { firing.removeAll { quietSeries[$0.row].time < from } }
            // Each firing sends about this many orders (an entry's stop and take are orders of their own).
            let orders = strategy.rules.reduce(0) { n, rule in
                rule.actions.reduce(n) { $0 + 1 + ($1.order?.stop == nil ? 0 : 1) + ($1.order?.take == nil ? 0 : 1) }
            }
            exchange.reserve(orders: min(firing.count * orders, 2 * quietSeries.count))
            account.book.reserve(trades: min(firing.count, quietSeries.count))
        }
        var cursor = 0   // into `firing`
        /// The first firing at or after bar `row` (the bars asked about only go forward).
        func nextFiring(from row: Int) -> (row: Int, which: UInt64)? {
            while cursor < firing.count, firing[cursor].row < row { cursor += 1 }
            return cursor < firing.count ? firing[cursor] : nil
        }
        /// The rules that fire on bar `row`.
        func fired(at row: Int) -> UInt64 { nextFiring(from: row).map { $0.row == row ? $0.which : 0 } ?? 0 }
        /// From bar `row` on (with no order resting), the first bar that is not
        /// quiet, or the end (`row` itself when it is not quiet).
        func quietEnd(from row: Int) -> Int { nextFiring(from: row)?.row ?? quietSeries.count }
        let instanceOf = series.indices.map { d in dataIndex.firstIndex(of: d) }
        var chart = keepsDetails ? ChartRecorder(series: series, strategy: strategy, instanceOf: instanceOf) : nil
        let signalText = SignalText(strategy, inputs: runtime.inputs)
        let control = self.control, total = Double(series.map(\.bars.count).reduce(0, +))
        var steps = 0
        while let now = clock.next(into: &bars) {
            steps &+= 1
            if let control, steps & 4095 == 0 {
                if let reason = control.stopReason { throw RunStopped(reason: reason) }
                control.progress = Double(rows.reduce(0, +)) / total
            }
            if quietBars, !trailing, !exchange.hasOpenOrders, bars[0] != nil, case let end = quietEnd(from: rows[0]), end > rows[0] {
                // This bar and the quiet ones after it (no order can appear in
                // between): what the full path below does on each, in its order.
                let first = rows[0], slot = slots[0]
                let recording = chart != nil
                // One symbol, no shorts on margin: the equity is cash + quantity × close,
                // as `portfolio.equity` sums it, without marking the portfolio on every bar.
                let quantity = portfolio.position(slot: slot), inPosition = quantity != 0
                var high = -Double.infinity, low = Double.infinity
                var dayEnd = account.day
                /// A new trading day starts from the equity at the last close.
                func newDay(_ row: Int) {
                    if inPosition, row > first { portfolio.mark(slot: slot, price: quietSeries[row - 1].close) }
                    account.beginBar(at: quietSeries[row].time)
                    dayEnd = account.day
                }
                // The stretch's equity points: from `tradeFrom` on.
                var start = first
                if let from = tradeFrom { while start < end, quietSeries[start].time < from { start += 1 } }
                if recording {
                    for row in first..<end {
                        let bar = quietSeries[row]
                        if bar.time >= dayEnd { newDay(row) }
                        if inPosition {
                            (high, low) = (max(high, bar.high), min(low, bar.low))
                            portfolio.mark(slot: slot, price: bar.close)
                        }
                        runtime.skip(1)
                        chart!.record(0, bar, row: row) { runtime.value(node: $0, instance: instanceOf[0] ?? 0) }
                        if row >= start {
                            let value = inPosition ? cash + quantity * bar.close : cash
                            if keepsCurve { equity.append(EquityPoint(time: bar.time, equity: value, cash: cash)) }
                            curve.add(value, time: bar.time)
                        }
                    }
                } else {
                    quietSeries.withUnsafeBufferPointer { bars in
                        // The days that begin in the stretch, found by bisection: a flat
                        // stretch reads no other bar. (Loops on locals keep them in registers.)
                        var row = first
                        while row < end, bars[end - 1].time >= dayEnd {
                            let time = dayEnd
                            row = bars[row..<end].partitioningIndex { $0.time >= time }
                            newDay(row)
                            row += 1
                        }
                        let (c, q) = (cash, quantity)
                        if inPosition {
                            var (hi, lo) = (high, low)
                            for row in first..<end { (hi, lo) = (max(hi, bars[row].high), min(lo, bars[row].low)) }
                            (high, low) = (hi, lo)
                            curve.add(end - start, value: { c + q * bars[start + $0].close }, time: { bars[start + $0].time })
                        } else if start < end {
                            // Flat: one value throughout.
                            curve.add(c, time: bars[start].time)
                            curve.repeatLast(end - start - 1) { bars[start + 1 + $0].time }
                        }
                        if keepsCurve {
                            for row in start..<end {
                                equity.append(EquityPoint(time: bars[row].time, equity: inPosition ? c + q * bars[row].close : c, cash: c))
                            }
                        }
                    }
                }
                portfolio.mark(slot: slot, price: quietSeries[end - 1].close)
                if inPosition {
                    inMarket += end - first
                    // The open trade's excursions take in the stretch's extremes at
                    // once: the same as bar by bar, the excursion being monotonic in each.
                    account.book.mark(symbols[0], high: high, low: low)
                }
                if !recording { runtime.skip(end - first) }
                clock.skip(end - first - 1)   // the first came from `next`
                rows[0] = end
                continue
            }
            let opened = bars.first { $0 != nil }!!.time
            account.beginBar(at: opened)
            // A new leverage-bracket table moves margins and liquidation prices from its first bar.
            if let perp, perp.advance(to: opened) { liquidations?.update(at: opened) }
            // Perpetuals: funding due by the bar's open is paid before it trades.
            if carrying {
                for s in bars.indices { if let bar = bars[s] { carry(s, symbols[s], through: bar.time, mark: markBar(s, bar)?.open ?? bar.open) } }
                cash = portfolio.cash
            }
            // 1. Orders resting from earlier bars meet this bar.
            if exchange.hasOpenOrders {
                for s in bars.indices {
                    guard let bar = bars[s] else { continue }
                    let end = ends[s][rows[s]]
                    // (The bar's fills are the ones the exchange appends from here.)
                    let first = exchange.fills.count
                    if let (f, step) = fine[s] {
                        // The finer bars inside this one, in order.
                        var k = finePositions[s]
                        while k < f.count, f[k].time < bar.time { k += 1 }
                        while k < f.count, f[k].time < end {
                            exchange.process(f[k], symbol: symbols[s], halfSpread: spreads[s]?[rows[s]], end: min(f[k].time + step, end))
                            k += 1
                        }
                        finePositions[s] = k
                    } else {
                        exchange.process(bar, symbol: symbols[s], halfSpread: spreads[s]?[rows[s]], end: end, mark: markBar(s, bar))
                    }
                    let fills = first..<exchange.fills.count
                    if !fills.isEmpty {
                        router.record(fills, bar: rows[s]); held[s] = size(s); cash = portfolio.cash
                        if risk != nil || liquidations != nil {
                            let made = Array(exchange.fills[fills])
                            risk?.fills(made, now: now, barTime: bar.time, router: router)
                            liquidations?.record(made)
                        }
                    }
                }
            }
            // Funding due inside the bar is paid after its fills (they carry the bar's time).
            if carrying {
                for s in bars.indices { if let bar = bars[s] { carry(s, symbols[s], through: ends[s][rows[s]] - 1, mark: markBar(s, bar)?.close ?? bar.close) } }
                cash = portfolio.cash
            }
            // 2. The bar has closed: evaluate, then act on the rules that fire.
            // (Bars that close together opened together: they have one length.)
            if bars.count == 1, let bar = bars[0] { runtime.step(bar) } else { runtime.step(time: opened, bars: bars) }
            for s in bars.indices {
                guard let bar = bars[s] else { continue }
                account.book.mark(symbols[s], high: bar.high, low: bar.low)
                let runtime = self.runtime, instance = instanceOf[s] ?? 0
                chart?.record(s, bar, row: rows[s]) { runtime.value(node: $0, instance: instance) }
            }
            for s in bars.indices {
                // (A perpetual is valued at its mark price, when there is one.)
                if let bar = bars[s] { portfolio.mark(slot: slots[s], price: markBar(s, bar)?.close ?? bar.close) }
            }
            risk?.close(at: now, barTime: opened, router: router)
            liquidations?.closed(at: now)
            if let m = strategy.membership {
                let period = strategy.rebalance.map { BarLength.milliseconds($0 * 1000).bucket(of: opened) }
                    ?? strategy.rebalanceMonths.map { BarLength.months($0).bucket(of: opened) }
                if period == nil || period != rankedIn {
                    rankedIn = period
                    // A symbol without a bar now is out until the next re-ranking.
                    for (i, d) in dataIndex.enumerated() { members[i] = bars[d] != nil && runtime.value(node: m, instance: i) == 1 }
                }
            }
            let acting = tradeFrom.map { opened >= $0 } ?? true
            for (i, d) in dataIndex.enumerated() where acting {
                guard let bar = bars[d] else { continue }
                if trailing { router.updateTrails { k in self.trailSources[k].instance == i ? self.runtime.value(node: self.trailSources[k].node, instance: i) : nil } }
                if strategy.membership != nil, !members[i], held[d] != 0,
                   exchange.openOrder(symbols[d], where: { $0.reduceOnly && $0.parent == nil }) == nil {
                    // Out of the universe: the position rotates out.
                    var out = OrderIntent(.flatten, symbol: symbols[d], reference: bar.close, time: now, barTime: bar.time)
                    out.reason = "left the universe"
                    router.handle(out)
                }
                // (Quiet runs know which rules fire from their list: no column is read.)
                let rules = quietBars ? fired(at: rows[d]) : 0
                for (r, condition) in conditions.enumerated()
                where quietBars ? rules & 1 << UInt64(r) != 0 : runtime.value(node: condition, instance: i) == 1 {
                    let rule = strategy.rules[r]
                    let before = exchange.orders.count
                    for action in rule.actions {
                        if let intent = intent(action, rule: r, ruleSource: rule.source, instance: i, symbol: symbols[d], bar: bar, now: now) {
                            router.handle(consume intent)
                        }
                    }
                    if keepsDetails, exchange.orders.count > before {
                        signals.append(Signal(time: now, barTime: bar.time, symbol: symbols[d], rule: r, line: rule.source?.line,
                                              orders: exchange.orders[before...].map(\.id),
                                              values: signalText.operands[r].map { runtime.value(node: $0, instance: i) }))
                    }
                }
                if closeFills {
                    let fills = exchange.fillAtClose(bar, symbol: symbols[d], halfSpread: spreads[d]?[rows[d]])
                    if !fills.isEmpty {
                        router.record(fills, bar: rows[d]); held[d] = size(d); cash = portfolio.cash
                        portfolio.mark(slot: slots[d], price: markBar(d, bar)?.close ?? bar.close)   // the fill's costs are not the market's price
                    }
                }
            }
            trailing = !router.followingTrails.isEmpty
            var any = false
            for s in bars.indices {
                if bars[s] != nil { rows[s] += 1 }
                if held[s] != 0 { any = true }
            }
            if any { inMarket += 1 }
            guard acting else { continue }
            let value = any ? portfolio.equity : cash
            // Labelled with the bar's own time, as in the data; valued at its close.
            curve.add(value, time: opened)
            guard keepsCurve else { continue }
            equity.append(EquityPoint(time: opened, equity: value, cash: cash))
            if let text = equityText, equity.count - text.received == EquityText.chunk {
                text.add(Array(equity[text.received...]))
            }
        }
        if let text = equityText, equity.count > text.received { text.add(Array(equity[text.received...])) }
        if !exchange.violations.isEmpty {
            throw RuntimeError("internal engine error (please report it): \(exchange.violations.prefix(3).joined(separator: "; "))")
        }
        account.book.finish { symbol in rows[symbols.firstIndex(of: symbol)!] - 1 }
        if keepsDetails { router.noteOrderOutcomes(end: clock.now) }
        let book = account.book
        let ppy = config.periodsPerYear ?? estimatedPeriodsPerYear()
        let metrics = Metrics.compute(curve, trades: book.trades,
                                      fees: portfolio.feesPaid, inMarket: inMarket, ambiguousBars: exchange.ambiguousBars,
                                      periodsPerYear: ppy)
        return BacktestResult(strategy: strategy.name, symbols: series.map(\.symbol), metrics: metrics, trades: book.trades,
                              orders: exchange.orders, fills: exchange.fills, equity: equity, dailyReturns: curve.dailyReturns, warnings: warnings,
                              notices: router.notices, dataNotes: dataNotes, riskEvents: risk?.events, riskState: risk?.state,
                              perp: perp.map { PerpOutcome(fundingPaid: $0.fundingPaid, fundingReceived: $0.fundingReceived,
                                                           liquidations: liquidations?.events ?? [], insuranceFund: $0.insuranceFundCovered) },
                              margin: spotMargin.map { MarginOutcome(interest: $0.interestPaid, marginCalls: liquidations?.events ?? []) },
                              chart: chart?.data ?? ChartData(prices: [], series: []), signals: signals, signalText: signalText)
    }

    /// The mark-price bar of `bar`'s time, if the symbol has mark data (data
    /// index `s`; marks are read forward, as the bars are).
    func markBar(_ s: Int, _ bar: Bar) -> Bar? {
        let marks = markSeries[s]
        guard !marks.isEmpty else { return nil }
        var k = markRows[s]
        while k < marks.count, marks[k].time < bar.time { k += 1 }
        markRows[s] = k
        return k < marks.count && marks[k].time == bar.time ? marks[k] : nil
    }

    /// Whether positions cost something to hold: funding, or borrow interest.
    var carrying: Bool { perp != nil || (spotMargin?.borrowRate ?? 0) > 0 }

    /// What holding symbol `s` costs up to `time` (inclusive): a perpetual's
    /// funding, a spot short's borrow interest.
    /// A payment moves the liquidation prices: they follow at once.
    func carry(_ s: Int, _ symbol: String, through time: Int64, mark: Double) {
        let paid = perp != nil ? fund(s, symbol, through: time, mark: mark) : chargeInterest(s, symbol, through: time, price: mark)
        if paid { liquidations?.update(at: time) }
    }

    /// The next whole hour each symbol's short has not been charged for.
    var nextHour: [Int64] = []

    /// Interest on a spot short for every whole hour up to `time` it is held
    /// at, valued at `price` (the bar's open at its start, its close inside it).
    func chargeInterest(_ s: Int, _ symbol: String, through time: Int64, price: Double) -> Bool {
        guard let spot = spotMargin else { return false }
        let hour: Int64 = 3_600_000
        if nextHour.count <= s { nextHour += Array(repeating: .min, count: s + 1 - nextHour.count) }
        if nextHour[s] == .min {
            // The first whole hour at or after the first bar.
            let r = time % hour
            nextHour[s] = r == 0 ? time : r > 0 ? time - r + hour : time - r
        }
        guard time >= nextHour[s] else { return false }
        let hours = (time - nextHour[s]) / hour + 1
        nextHour[s] += hours * hour
        let paid = spot.chargeInterest(symbol, price: price, hours: Int(hours))
        if paid != 0 { account.book.recordInterest(symbol, paid) }
        return paid != 0
    }

    /// Pays the funding of symbol `s` due up to `time` (inclusive), valued at the
    /// rate's own mark when the data gives one, else at `mark`.
    func fund(_ s: Int, _ symbol: String, through time: Int64, mark: Double) -> Bool {
        var k = fundingRows[s], any = false
        let rates = fundingSeries[s]
        guard let perp, k < rates.count, rates[k].time <= time else { return false }
        while k < rates.count, rates[k].time <= time {
            for (leg, paid) in perp.fund(symbol, rate: rates[k].rate, mark: rates[k].mark ?? mark) {
                account.book.recordFunding(symbol, leg: leg, paid)
                any = true
            }
            k += 1
        }
        fundingRows[s] = k
        return any
    }

    func estimatedPeriodsPerYear() -> Double {
        let bars = series.map(\.bars)
        guard let longest = bars.max(by: { $0.count < $1.count }), longest.count > 1 else { return 252 }
        let years = Double(longest.last!.time - longest.first!.time + length.nominal) / (365.25 * 86_400_000)
        return Double(longest.count) / years
    }

    // MARK: Actions → intents

    /// The intent a rule's action describes, its values read from the runtime
    /// for this instance (nil for an entry of a symbol out of the universe, which
    /// is noted).
    func intent(_ action: IRAction, rule: Int, ruleSource: IRSource?, instance i: Int, symbol: String, bar: Bar,
                now: Int64) -> OrderIntent? {
        func value(_ node: Int) -> Double { runtime.value(node: node, instance: i) }
        let what: OrderIntent.Action
        let side = action.side.map { $0 == .long ? PositionSide.long : .short }
        switch action.kind {
        case .flatten: what = .flatten
        case .cancel: what = .cancelEntries(side)
        case .cancelAll: what = .cancelAll
        case .enter: what = .enter(side ?? .long)
        case .exit: what = .exit(side ?? .long)
        }
        var x = OrderIntent(what, symbol: symbol, reference: bar.close, time: now, barTime: bar.time)
        x.rule = rule
        x.line = action.source?.line ?? ruleSource?.line
        guard let spec = action.order, let side else { return x }
        // With `universe top N by …` only the members may be entered on this bar.
        if action.kind == .enter, strategy.membership != nil, !members[i] {
            router.notices.note("entries ignored: not a member of the universe", at: bar.time, line: x.line)
            return nil
        }
        switch spec.type {
        case .market: x.type = .market
        case .limit: x.type = .limit; x.limitPrice = spec.price.map(value)
        case .stop: x.type = .stop; x.stopPrice = spec.price.map(value)
        case .stopLimit: x.type = .stopLimit; x.stopPrice = spec.price.map(value); x.limitPrice = spec.limitPrice.map(value)
        }
        // Stops and takes: a price, or a percentage of the fill (entries) or of this close (exits).
        // (A long position's stop lies below, its take above; a short's the other way.)
        let stopOffset: (Double) -> Double = side == .long ? { -$0 } : { $0 }
        x.stop = spec.stop.map { $0.kind == .percent ? .offset(stopOffset(value($0.node))) : .price(value($0.node)) }
        x.take = spec.take.map { $0.kind == .percent ? .offset(-stopOffset(value($0.node))) : .price(value($0.node)) }
        if let t = spec.trail {
            let v = value(t.node)
            x.trail = t.kind == .percent ? .percent(v) : .absolute(v)
            if t.kind == .price, strategy.nodes[t.node].type.qualifier == "series" {
                x.trailSource = trailSources.firstIndex { $0 == (i, t.node) } ?? {
                    trailSources.append((i, t.node))
                    return trailSources.count - 1
                }()
            }
        }
        func arg(_ k: Int) -> Double? { k < spec.size.args.count ? value(spec.size.args[k]) : nil }
        x.size = switch spec.size.kind {
        case .allIn: .allIn
        case .qty: .quantity(arg(0) ?? .nan)
        case .notional: .notional(arg(0) ?? .nan)
        case .equity: .equity(arg(0) ?? .nan)
        // `risk(f)` without `stop:` risks to the order's own stop.
        case .risk: .risk(fraction: arg(0) ?? .nan, stop: arg(1) ?? {
            switch x.stop {
            case .price(let p)?: p
            case .offset(let f)?: bar.close * (1 + f)
            case nil: .nan
            }
        }())
        case .volatility: .volatility(fraction: arg(0) ?? .nan, distance: arg(1) ?? .nan)
        case .kelly: .kelly(fraction: arg(0) ?? 1, cap: arg(1) ?? 1)
        case .position: .position(arg(0) ?? .nan)
        }
        x.timeInForce = switch spec.tif {
        case .gtc: .gtc
        case .ioc: .ioc
        case .fok: .fok
        case .day: .day
        case .gtd: .gtd
        }
        // A lifetime too long to write as a time never ends.
        func later(_ ms: Double) -> Int64 {
            let t = Double(now) + ms
            return t.isFinite && t < 9.2e18 ? Int64(t) : .max
        }
        if let bars = spec.expireBars.map(param) {
            x.timeInForce = .gtd
            if case .months(let n) = length, bars >= 0, bars < 100_000 {
                x.expireAt = BarLength.months(n * Int(bars)).end(after: now)
            } else {
                x.expireAt = later(bars.rounded(.down) * Double(length.nominal))
            }
        } else if let secs = spec.expireSeconds.map(param) {
            x.timeInForce = .gtd
            x.expireAt = later(secs * 1000)
        }
        x.reduceOnly = spec.reduceOnly
        x.postOnly = spec.postOnly
        x.triggerOnMark = spec.triggerOnMark == true
        x.display = spec.display.map(value)
        return x
    }

    func param(_ p: IRParam) -> Double {
        switch p {
        case .const(let v): v
        case .input(let k): runtime.inputs[k]
        case .node(let n): runtime.value(node: n)
        }
    }
}
