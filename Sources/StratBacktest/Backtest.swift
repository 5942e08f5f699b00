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

    public init() {}
}

/// One point of the equity curve: the value at a bar's close, labelled with the
/// bar's time (its open, as in the data).
public struct EquityPoint: Sendable, Equatable {
    public var time: Int64
    public var equity: Double
    public var cash: Double
}

public struct BacktestResult: Sendable {
    public var strategy: String
    public var symbols: [String]
    public var metrics: Metrics
    public var trades: [Trade]
    public var orders: [Order]
    public var fills: [Fill]
    public var equity: [EquityPoint]
    /// What the run could not do as the strategy reads (e.g. an unenforced feature).
    public var warnings: [String]
    /// Actions that did nothing and orders that did not trade, with why (in the
    /// JSON's `warnings` after the warnings proper).
    public var notices: Notices
    /// What was done to the data before the run (resampling).
    public var dataNotes: [String]
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
    let portfolio: SpotPortfolio
    let exchange: SimulatedExchange
    /// The bar length every symbol runs on (finer data is resampled to it).
    let length: BarLength
    /// What was done to the data before the run (resampling), for the summary.
    var dataNotes: [String] = []
    var book = TradeBook()
    var nextOCO = 0
    /// Trailing stops whose distance follows a series: order id → (instance, node, multiple).
    var seriesTrails: [Int: (instance: Int, node: Int)] = [:]
    var warnings: [String] = []
    /// What rules asked for and did not get, and why.
    var notices = Notices()
    /// Entries that added to an open position, per symbol (for `pyramiding`);
    /// emptied when the position is flat.
    var additions: [String: Set<Int>] = [:]
    /// `universe top N by …`: which instances are members, re-ranked on every
    /// bar or at the start of each `every` period and held in between.
    var members: [Bool] = []
    var equityText: EquityText?

    /// Finer bars per symbol: when given, orders meet them one by one inside each
    /// bar instead of the bar's O→H→L→C path.
    let intrabar: [String: (bars: [Bar], step: Int64)]

    /// `intrabar`: finer bars for some symbols (e.g. 1m inside 1h), for a truer
    /// order of events inside each bar.
    /// `equityText`: receives the equity curve in chunks while the run goes on,
    /// so the report's text of it is made on the other core (see `EquityText`).
    public static func run(_ strategy: IRStrategy, data: [BarSeries], config: BacktestConfig,
                           intrabar: [BarSeries] = [], equityText: EquityText? = nil) throws -> BacktestResult {
        let b = try Backtest(strategy, data: data, config: config, intrabar: intrabar)
        b.equityText = equityText
        return try b.run()
    }

    init(_ strategy: IRStrategy, data: [BarSeries], config: BacktestConfig, intrabar: [BarSeries] = []) throws {
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
        let margin = strategy.market.kind == "perp" || strategy.market.margin != "none"
        if strategy.market.kind == "perp" {
            warnings.append("perpetual futures run on a margin account for now: leverage, funding and liquidation are not simulated yet")
        }
        let r = strategy.risk
        if [r.maxDrawdown, r.maxLeverage, r.maxPosition, r.maxExposure, r.maxCorrelation, r.maxDailyLoss].contains(where: { $0 != nil }) {
            warnings.append("the risk block is not enforced yet (the portfolio risk engine is the next step)")
        }
        // Shorts hold initial margin: Reg T's 50% on a spot margin account; a
        // perp's 1/leverage until the perpetual-futures portfolio arrives.
        let shortMargin = strategy.market.kind == "perp" ? 1 / max(1, strategy.market.leverage) : SpotPortfolio.regTMargin
        portfolio = SpotPortfolio(cash: config.capital, allowShort: margin, shortMargin: shortMargin, symbols: series.map(\.symbol))
        exchange = SimulatedExchange(config: config.execution, portfolio: portfolio)
    }

    func run() throws -> BacktestResult {
        let ends = series.map { $0.barEnds(length) }
        var clock = Clock(streams: series.map(\.bars), ends: ends)
        var rows = series.map { _ in 0 }
        var equity: [EquityPoint] = []
        equity.reserveCapacity(series.map(\.bars.count).max() ?? 0)
        var inMarket = 0
        let dataIndex = runtime.symbols.map { sym in series.firstIndex { $0.symbol == sym }! }
        let symbols = series.map(\.symbol)
        var bars: [Bar?] = []
        // Positions and last closes by data index, refreshed when fills happen.
        var held = series.map { _ in 0.0 }
        var closes = series.map { _ in 0.0 }
        let spreads = series.map(\.halfSpreads)
        let slots = symbols.map(portfolio.slot)
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
        while let now = clock.next(into: &bars) {
            // 1. Orders resting from earlier bars meet this bar.
            if exchange.hasOpenOrders {
                for s in bars.indices {
                    guard let bar = bars[s] else { continue }
                    let end = ends[s][rows[s]]
                    var fills: [Fill] = []
                    if let (f, step) = fine[s] {
                        // The finer bars inside this one, in order.
                        var k = finePositions[s]
                        while k < f.count, f[k].time < bar.time { k += 1 }
                        while k < f.count, f[k].time < end {
                            fills += exchange.process(f[k], symbol: symbols[s], halfSpread: spreads[s]?[rows[s]],
                                                      end: min(f[k].time + step, end))
                            k += 1
                        }
                        finePositions[s] = k
                    } else {
                        fills = exchange.process(bar, symbol: symbols[s], halfSpread: spreads[s]?[rows[s]], end: end)
                    }
                    if !fills.isEmpty { record(fills, bar: rows[s]); held[s] = portfolio.position(symbols[s]); cash = portfolio.cash }
                }
            }
            // 2. The bar has closed: evaluate, then act on the rules that fire.
            // (Bars that close together opened together: they have one length.)
            let opened = bars.first { $0 != nil }!!.time
            if bars.count == 1, let bar = bars[0] { runtime.step(bar) } else { runtime.step(time: opened, bars: bars) }
            for s in bars.indices {
                if let bar = bars[s] { closes[s] = bar.close; portfolio.mark(slot: slots[s], price: bar.close) }
            }
            if let m = strategy.membership {
                let period = strategy.rebalance.map { BarLength.milliseconds($0 * 1000).bucket(of: opened) }
                    ?? strategy.rebalanceMonths.map { BarLength.months($0).bucket(of: opened) }
                if period == nil || period != rankedIn {
                    rankedIn = period
                    // A symbol without a bar now is out until the next re-ranking.
                    for (i, d) in dataIndex.enumerated() { members[i] = bars[d] != nil && runtime.value(node: m, instance: i) == 1 }
                }
            }
            for (i, d) in dataIndex.enumerated() {
                guard let bar = bars[d] else { continue }
                if trailing { updateTrails(instance: i) }
                if strategy.membership != nil, !members[i], held[d] != 0,
                   exchange.openOrder(symbols[d], where: { $0.reduceOnly && $0.parent == nil }) == nil {
                    // Out of the universe: the position rotates out.
                    exchange.cancelAll(symbol: symbols[d], at: now, reason: "left the universe")
                    submitClose(symbols[d], side: held[d] > 0 ? .sell : .buy, quantity: nil, now: now,
                                tag: OrderTag(rule: nil, line: nil, action: "left the universe"))
                }
                for (r, condition) in conditions.enumerated() where runtime.value(node: condition, instance: i) == 1 {
                    let rule = strategy.rules[r]
                    for action in rule.actions {
                        try perform(action, rule: r, ruleSource: rule.source, instance: i, symbol: symbols[d], bar: bar, now: now, closes: closes)
                    }
                }
                if closeFills {
                    let fills = exchange.fillAtClose(bar, symbol: symbols[d], halfSpread: spreads[d]?[rows[d]])
                    if !fills.isEmpty {
                        record(fills, bar: rows[d]); held[d] = portfolio.position(symbols[d]); cash = portfolio.cash
                        portfolio.mark(slot: slots[d], price: bar.close)   // the fill's costs are not the market's price
                    }
                }
            }
            trailing = !seriesTrails.isEmpty
            var any = false
            for s in bars.indices {
                if bars[s] != nil { rows[s] += 1 }
                if held[s] != 0 { any = true }
            }
            if any { inMarket += 1 }
            let value = any ? portfolio.equity : cash
            // Labelled with the bar's own time, as in the data; valued at its close.
            equity.append(EquityPoint(time: opened, equity: value, cash: cash))
            if let text = equityText, equity.count - text.received == EquityText.chunk {
                text.add(Array(equity[text.received...]))
            }
        }
        if let text = equityText, equity.count > text.received { text.add(Array(equity[text.received...])) }
        if !exchange.violations.isEmpty {
            throw RuntimeError("internal engine error (please report it): \(exchange.violations.prefix(3).joined(separator: "; "))")
        }
        book.finish { symbol in rows[symbols.firstIndex(of: symbol)!] - 1 }
        noteOrderOutcomes(end: clock.now)
        let ppy = config.periodsPerYear ?? estimatedPeriodsPerYear()
        let metrics = Metrics.compute(equity.count, equity: { equity[$0].equity }, time: { equity[$0].time }, trades: book.trades,
                                      fees: portfolio.feesPaid, inMarket: inMarket, ambiguousBars: exchange.ambiguousBars,
                                      periodsPerYear: ppy)
        return BacktestResult(strategy: strategy.name, symbols: series.map(\.symbol), metrics: metrics, trades: book.trades,
                              orders: exchange.orders, fills: exchange.fills, equity: equity, warnings: warnings,
                              notices: notices, dataNotes: dataNotes)
    }

    func record(_ fills: [Fill], bar: Int) {
        for f in fills {
            let tag = exchange.orders[f.order].tag
            book.record(f, line: tag.line, positionAfter: f.positionAfter, bar: bar)
            let before = f.positionAfter - f.side.sign * f.quantity
            if f.positionAfter == 0 {
                additions[f.symbol] = nil
            } else if tag.isEntry, before != 0, (before > 0) == (f.side == .buy) {
                additions[f.symbol, default: []].insert(f.order)
            }
        }
    }

    /// Orders the exchange rejected, orders left partly filled and orders that
    /// never became active, counted by reason. (Other orders open at the end,
    /// such as the stop of an open trade, are working as meant.)
    func noteOrderOutcomes(end: Int64) {
        for o in exchange.orders {
            if o.state == .rejected, let last = o.history.last {
                let reason = last.reason ?? "rejected"
                let kind = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? reason
                notices.note("orders rejected (\(kind))", at: last.time, line: o.tag.line, detail: "order \(o.id): \(reason)")
            } else if o.state == .partiallyFilled {
                notices.note("orders left partly filled at the end", at: o.sentAt, line: o.tag.line,
                             detail: "order \(o.id): \(NumberText.readable(o.filledQuantity)) of \(NumberText.readable(o.quantity ?? 0))")
            } else if o.state == .pending, o.activeAt < end {
                notices.note("orders never active (no bar in the trading session)", at: o.sentAt, line: o.tag.line,
                             detail: "order \(o.id) \(o.tag.action ?? o.type.rawValue)")
            }
        }
    }

    func estimatedPeriodsPerYear() -> Double {
        let bars = series.map(\.bars)
        guard let longest = bars.max(by: { $0.count < $1.count }), longest.count > 1 else { return 252 }
        let years = Double(longest.last!.time - longest.first!.time + length.nominal) / (365.25 * 86_400_000)
        return Double(longest.count) / years
    }

    // MARK: Actions → orders

    func perform(_ action: IRAction, rule: Int, ruleSource: IRSource?, instance i: Int, symbol: String, bar: Bar, now: Int64,
                 closes: [Double]) throws {
        let line = action.source?.line ?? ruleSource?.line
        let held = portfolio.position(symbol)
        // Labelled with the signal bar's time, as the equity curve is.
        func ignored(_ why: String) { notices.note(why, at: bar.time, line: line) }
        switch action.kind {
        case .flatten:
            guard held != 0 || exchange.openOrder(symbol, where: { _ in true }) != nil else {
                return ignored("flatten with no position and no open order")
            }
            exchange.cancelAll(symbol: symbol, at: now, reason: "flatten (line \(line ?? 0))")
            if held != 0 { submitClose(symbol, side: held > 0 ? .sell : .buy, quantity: nil, now: now, tag: OrderTag(rule: rule, line: line, action: "flatten")) }
        case .cancel:
            // Resting entries (and their held brackets) of one side, or of both.
            let side: OrderSide? = action.side.map { $0 == .long ? .buy : .sell }
            let entries = exchange.openOrders(symbol).filter { $0.tag.isEntry && (side == nil || $0.side == side) }
            guard !entries.isEmpty else { return ignored("cancel with no resting entry") }
            for o in entries { try exchange.cancel(o.id, at: now, reason: "cancel (line \(line ?? 0))") }
        case .cancelAll:
            // Every resting order, the open position's stops and takes included.
            guard exchange.openOrder(symbol, where: { _ in true }) != nil else { return ignored("cancel all with no open order") }
            exchange.cancelAll(symbol: symbol, at: now, reason: "cancel all (line \(line ?? 0))")
        case .enter:
            guard let side = action.side, let spec = action.order else { return }
            // With `universe top N by …` only the members may be entered on this bar.
            if strategy.membership != nil, !members[i] { return ignored("entries ignored: not a member of the universe") }
            let buy = side == .long
            let tag = OrderTag(rule: rule, line: line, action: buy ? "enter long" : "enter short", role: .entry)
            // A resting entry that way is re-sent: re-priced and re-sized in place.
            if let resting = exchange.openOrder(symbol, where: { $0.tag.isEntry && $0.side == (buy ? .buy : .sell) && $0.filledQuantity == 0 }) {
                try replace(resting, with: spec, tag: tag, instance: i, symbol: symbol, bar: bar, now: now, closes: closes)
                return
            }
            // One position per direction unless `pyramiding N` lets entries add to it.
            if buy ? held > 0 : held < 0 {
                let limit = strategy.pyramiding ?? 0
                guard (additions[symbol]?.count ?? 0) < limit else {
                    return ignored(limit == 0 ? "entries ignored: already \(side.rawValue) (no pyramiding)"
                                              : "entries ignored: already \(side.rawValue) with \(limit) additions (pyramiding \(limit))")
                }
            }
            let qty = try quantity(spec.size, instance: i, symbol: symbol, close: bar.close, equity: portfolio.equity)
            if let q = qty, !(q > 0) { return ignored("entries ignored: " + Self.unsized(q, spec.size)) }
            var o = try makeOrder(spec, symbol: symbol, side: buy ? .buy : .sell, quantity: qty, instance: i, now: now)
            o.tag = tag
            if let na = naPart(o) { return ignored("entries ignored: \(na)") }
            let (legs, why) = bracketLegs(spec, forEntry: true, side: buy ? .sell : .buy, symbol: symbol, instance: i, tag: tag)
            if let why { return ignored("entries ignored: \(why)") }
            if buy ? held < 0 : held > 0 {
                submitClose(symbol, side: buy ? .buy : .sell, quantity: nil, now: now, tag: OrderTag(rule: rule, line: line, action: "reverse"))
            }
            submitLegs(legs, entry: exchange.submit(o, at: now), spec: spec, instance: i, now: now)
        case .exit:
            guard let side = action.side, let spec = action.order else { return }
            let long = side == .long
            guard long ? held > 0 : held < 0 else { return ignored("exits ignored: no \(side.rawValue) position") }
            var q = try quantity(spec.size, instance: i, symbol: symbol, close: bar.close, equity: portfolio.equity)
            if spec.size.kind == .allIn { q = nil }
            let tag = OrderTag(rule: rule, line: line, action: long ? "exit long" : "exit short", role: .exit)
            if let q, !(q > 0) { return ignored("exits ignored: the size is \(q.isNaN ? "na" : "not positive")") }
            let exitSide: OrderSide = long ? .sell : .buy
            if spec.type == .market, spec.stop != nil || spec.take != nil || spec.trail != nil {
                // `exit long trail 1.5%` (or stop/take): arm exit orders on the open
                // position, priced from this close, instead of leaving at market;
                // once per position side while they are armed.
                if exchange.openOrder(symbol, where: { $0.tag.role == .protection && $0.parent == nil && $0.side == exitSide }) != nil {
                    return ignored("exits ignored: exit orders already armed on the \(side.rawValue) position")
                }
                let (legs, why) = bracketLegs(spec, forEntry: false, side: exitSide, symbol: symbol, instance: i, tag: tag,
                                              quantity: q, reference: bar.close)
                if let why { return ignored("exits ignored: \(why)") }
                return submitLegs(legs, entry: nil, spec: spec, instance: i, now: now)
            }
            var o = try makeOrder(spec, symbol: symbol, side: exitSide, quantity: q, instance: i, now: now)
            o.reduceOnly = true
            o.tag = tag
            if let na = naPart(o) { return ignored("exits ignored: \(na)") }
            // An exit of the same type still open takes this one in: market exits add
            // up (a whole-position exit covers any other), limit and stop exits are re-priced.
            if let pending = exchange.openOrder(symbol, where: { $0.tag.role == .exit && $0.side == exitSide && $0.type == o.type }) {
                if o.type == .market {
                    guard let more = q, let sized = pending.quantity else {
                        if pending.quantity == nil { return ignored("exits ignored: the whole position is already being closed") }
                        try exchange.cancel(pending.id, at: now, reason: "taken into a whole-position exit (line \(line ?? 0))")
                        exchange.submit(o, at: now)
                        return
                    }
                    try exchange.modify(pending.id, quantity: sized + more, at: now)
                } else if pending.filledQuantity == 0 {
                    try exchange.modify(pending.id, quantity: q, limitPrice: o.limitPrice, stopPrice: o.stopPrice, at: now)
                }
                return
            }
            exchange.submit(o, at: now)
        }
    }

    /// An entry sent again while the first still rests unfilled: the same order
    /// type is modified in place (new prices and size; its bracket's prices
    /// follow; it keeps its lifetime); another type replaces it.
    func replace(_ resting: Order, with spec: IROrder, tag: OrderTag, instance i: Int, symbol: String, bar: Bar, now: Int64,
                 closes: [Double]) throws {
        let qty = try quantity(spec.size, instance: i, symbol: symbol, close: bar.close, equity: portfolio.equity)
        if let q = qty, !(q > 0) { return notices.note("entries ignored: " + Self.unsized(q, spec.size), at: bar.time, line: tag.line) }
        var o = try makeOrder(spec, symbol: symbol, side: resting.side, quantity: qty, instance: i, now: now)
        o.tag = tag
        if let na = naPart(o) { return notices.note("entries ignored: \(na)", at: bar.time, line: tag.line) }
        let (legs, why) = bracketLegs(spec, forEntry: true, side: resting.side.opposite, symbol: symbol, instance: i, tag: tag)
        if let why { return notices.note("entries ignored: \(why)", at: bar.time, line: tag.line) }
        guard o.type == resting.type, resting.state != .triggered else {
            try exchange.cancel(resting.id, at: now, reason: "replaced by a new entry (line \(tag.line ?? 0))")
            submitLegs(legs, entry: exchange.submit(o, at: now), spec: spec, instance: i, now: now)
            return
        }
        if let q = qty, !(exchange.wholeLots(q, symbol: symbol) > 0) {
            return notices.note("entries ignored: the size rounds to zero lots", at: bar.time, line: tag.line)
        }
        try exchange.modify(resting.id, quantity: qty, limitPrice: o.limitPrice, stopPrice: o.stopPrice, at: now)
        for child in exchange.openOrders(symbol) where child.parent == resting.id && child.state == .held {
            // (A resting entry has at most three held children.)
            let price: IRPriceSpec? = child.type == .stop ? spec.stop : child.type == .limit ? spec.take : nil
            guard let p = price, p.kind == .price else { continue }
            let v = runtime.value(node: p.node, instance: i)
            try exchange.modify(child.id, limitPrice: child.type == .limit ? v : nil, stopPrice: child.type == .stop ? v : nil, at: now)
        }
    }

    func submitClose(_ symbol: String, side: OrderSide, quantity: Double?, now: Int64, tag: OrderTag) {
        var o = Order(id: 0, symbol: symbol, side: side, type: .market, quantity: quantity)
        o.reduceOnly = true
        o.tag = tag
        exchange.submit(o, at: now)
    }

    /// Order type, prices and lifetime from the strategy's order.
    func makeOrder(_ spec: IROrder, symbol: String, side: OrderSide, quantity: Double?, instance i: Int, now: Int64) throws -> Order {
        func value(_ node: Int?) -> Double? { node.map { runtime.value(node: $0, instance: i) } }
        let type: OrderType = switch spec.type {
        case .market: .market
        case .limit: .limit
        case .stop: .stop
        case .stopLimit: .stopLimit
        }
        var o = Order(id: 0, symbol: symbol, side: side, type: type, quantity: quantity)
        switch spec.type {
        case .limit: o.limitPrice = value(spec.price)
        case .stop: o.stopPrice = value(spec.price)
        case .stopLimit: o.stopPrice = value(spec.price); o.limitPrice = value(spec.limitPrice)
        case .market: break
        }
        o.timeInForce = switch spec.tif {
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
            o.timeInForce = .gtd
            if case .months(let n) = length, bars >= 0, bars < 100_000 {
                o.expireAt = BarLength.months(n * Int(bars)).end(after: now)
            } else {
                o.expireAt = later(bars.rounded(.down) * Double(length.nominal))
            }
        } else if let secs = spec.expireSeconds.map(param) {
            o.timeInForce = .gtd
            o.expireAt = later(secs * 1000)
        }
        o.reduceOnly = spec.reduceOnly
        o.postOnly = spec.postOnly
        o.displayQuantity = value(spec.display).flatMap { $0 > 0 ? $0 : nil }
        return o
    }

    func param(_ p: IRParam) -> Double {
        switch p {
        case .const(let v): v
        case .input(let k): runtime.inputs[k]
        case .node(let n): runtime.value(node: n)
        }
    }

    /// Stop, take and trailing stop: reduce-only orders in one OCO group. For an
    /// entry they are its bracket, held until it fills and priced from its fill;
    /// for an exit (`forEntry` false) they are active at once, priced from
    /// `reference`. Nil, with the reason, when a price or distance is na or not
    /// positive: then nothing of the order is sent.
    func bracketLegs(_ spec: IROrder, forEntry: Bool, side: OrderSide, symbol: String, instance i: Int, tag: OrderTag,
                     quantity: Double? = nil, reference: Double = 0) -> (legs: [Order], why: String?) {
        guard spec.stop != nil || spec.take != nil || spec.trail != nil else { return ([], nil) }
        let long = side == .sell
        func leg(_ type: OrderType) -> Order {
            var o = Order(id: 0, symbol: symbol, side: side, type: type, quantity: quantity)
            o.reduceOnly = true
            o.tag = OrderTag(rule: tag.rule, line: tag.line, action: forEntry ? type.rawValue : "\(tag.action ?? "exit") (\(type.rawValue))",
                             role: .protection)
            return o
        }
        /// A percentage is an offset from the entry's fill (bracket) or a price from `reference` (exit).
        func percent(_ o: inout Order, _ f: Double, stop: Bool) {
            if forEntry {
                if stop { o.stopOffset = f } else { o.limitOffset = f }
            } else if stop { o.stopPrice = reference * (1 + f) } else { o.limitPrice = reference * (1 + f) }
        }
        var legs: [Order] = []
        if let s = spec.stop {
            var o = leg(.stop)
            let v = runtime.value(node: s.node, instance: i)
            guard v.isFinite, s.kind == .percent || v > 0 else { return ([], "the stop is \(v.isNaN ? "na" : "not positive")") }
            if s.kind == .percent { percent(&o, long ? -v : v, stop: true) } else { o.stopPrice = v }
            legs.append(o)
        }
        if let t = spec.take {
            var o = leg(.limit)
            let v = runtime.value(node: t.node, instance: i)
            guard v.isFinite, t.kind == .percent || v > 0 else { return ([], "the take is \(v.isNaN ? "na" : "not positive")") }
            if t.kind == .percent { percent(&o, long ? v : -v, stop: false) } else { o.limitPrice = v }
            legs.append(o)
        }
        if let t = spec.trail {
            var o = leg(.trailingStop)
            let v = runtime.value(node: t.node, instance: i)
            guard v.isFinite, v > 0 else { return ([], "the trailing distance is \(v.isNaN ? "na" : "not positive")") }
            o.trail = t.kind == .percent ? .percent(v) : .absolute(v)
            if !forEntry { o.trailAnchor = reference }
            legs.append(o)
        }
        return (legs, nil)
    }

    /// Sends bracket legs as one OCO group, held until `entry` fills (or active
    /// at once without one); a trail that follows a series is registered.
    func submitLegs(_ legs: [Order], entry: Int?, spec: IROrder, instance i: Int, now: Int64) {
        guard !legs.isEmpty else { return }
        let group = nextOCO
        nextOCO += 1
        for var o in legs {
            o.parent = entry
            o.ocoGroup = group
            if let entry { o.tag.action = "\(o.type.rawValue) of order \(entry)" }
            let id = exchange.submit(o, at: now)
            if o.type == .trailingStop, let t = spec.trail, t.kind == .price, strategy.nodes[t.node].type.qualifier == "series" {
                seriesTrails[id] = (i, t.node)
            }
        }
    }

    /// Why an entry has no size: na, or a sizing rule that gives nothing.
    static func unsized(_ q: Double, _ size: IRSizing) -> String {
        if q.isNaN { return "the size is na" }
        return size.kind == .kelly ? "the Kelly size is 0 (the closed trades show no edge)" : "the size is not positive"
    }

    /// What of an order is na, if anything: its prices or its size.
    func naPart(_ o: Order) -> String? {
        if let p = o.limitPrice, !p.isFinite { return "the limit price is na" }
        if let p = o.stopPrice, !p.isFinite { return "the stop price is na" }
        if let q = o.displayQuantity, !q.isFinite { return "the display is na" }
        return nil
    }

    /// A trailing distance given by a series (`trail 3 * atr(14)`) follows it bar by bar.
    func updateTrails(instance i: Int) {
        for (id, t) in seriesTrails where t.instance == i {
            if exchange.orders[id].state.isTerminal { seriesTrails[id] = nil; continue }
            let v = runtime.value(node: t.node, instance: i)
            if v > 0 { exchange.setTrail(id, .absolute(v)) }
        }
    }

    /// The order quantity from the sizing form; nil sizes at the fill with all the cash.
    func quantity(_ size: IRSizing, instance i: Int, symbol: String, close: Double, equity: Double) throws -> Double? {
        func arg(_ k: Int) -> Double? { k < size.args.count ? runtime.value(node: size.args[k], instance: i) : nil }
        switch size.kind {
        case .allIn: return nil
        case .qty: return arg(0)
        case .notional: return arg(0).map { $0 / close }
        case .equity: return arg(0).map { equity * $0 / close }
        case .risk:
            guard let f = arg(0), let stop = arg(1), stop != close else { return 0 }
            return equity * f / abs(close - stop)
        case .volatility:
            guard let f = arg(0), let d = arg(1), d > 0 else { return 0 }
            return equity * f / d
        case .kelly:
            let f = arg(0) ?? 1, cap = arg(1) ?? 1
            return equity * min(cap, max(0, f * kellyFraction(cap: cap))) / close
        case .position:
            return arg(0).map { abs(portfolio.position(symbol)) * $0 }
        }
    }

    /// Kelly's fraction W − (1 − W)/R from the closed trades so far (R: average
    /// win over average loss); the cap until there is at least one win and one loss.
    func kellyFraction(cap: Double) -> Double {
        let pnls = book.trades.compactMap(\.pnl)
        let wins = pnls.filter { $0 > 0 }, losses = pnls.filter { $0 < 0 }
        guard !wins.isEmpty, !losses.isEmpty else { return cap }
        let w = Double(wins.count) / Double(pnls.count)
        let r = (wins.reduce(0, +) / Double(wins.count)) / (-losses.reduce(0, +) / Double(losses.count))
        return w - (1 - w) / r
    }
}
