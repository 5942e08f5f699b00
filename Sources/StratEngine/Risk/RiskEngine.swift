import StratMarket

/// Where trading stands: every order (ACTIVE), only orders that reduce exposure
/// (REDUCING), or no new entries at all (HALTED).
public enum TradingState: String, Codable, Sendable {
    case active = "ACTIVE"
    case reducing = "REDUCING"
    case halted = "HALTED"
}

/// The limits of a strategy's `risk { }` block, inputs resolved. Fractions are
/// of equity (0.2 = 20%); times in milliseconds.
public struct RiskLimits: Sendable, Equatable {
    public enum OnDrawdown: Sendable, Equatable {
        /// Close everything and take no entry for the rest of the run, or for a pause.
        case halt(pause: Int64?)
        /// Size new entries at this fraction while the drawdown lasts.
        case scale(Double)
    }
    public var maxDrawdown: Double?
    public var drawdownWindow: Int64?
    public var onDrawdown: OnDrawdown = .halt(pause: nil)
    public var maxLeverage: Double?
    public var maxPosition: Double?
    public var maxExposure: Double?
    public var maxCorrelation: Double?
    public var correlationBars = 30
    public var maxDailyLoss: Double?
    public var maxTradeRisk: Double?
    public var maxOpenRisk: Double?
    public init() {}

    public var isEmpty: Bool { self == RiskLimits() }
}

/// One decision of the risk engine, for the report.
public struct RiskEvent: Sendable, Equatable {
    public enum Decision: String, Sendable {
        /// An intent went through as asked.
        case accept
        /// An intent was cut down to what the limits allow.
        case resize
        /// An intent was refused.
        case deny
        /// A fill was cut down (or refused) at the moment it happened.
        case cut
        /// The trading state changed.
        case state
    }
    public var time: Int64
    public var symbol: String?
    public var line: Int?
    public var decision: Decision
    /// The limit that decided, as written in the language (`max position 10% of equity`).
    public var limit: String?
    public var requested: Double?
    public var approved: Double?
    public var reason: String
    /// For state changes: the new state.
    public var state: TradingState?
}

/// Reviews every entry against the strategy's risk limits (accept, resize or
/// deny, with the limit that decided), keeps the trading state (ACTIVE →
/// REDUCING → HALTED) from the equity at each close, closes positions when a
/// drawdown halt is reached (also inside a bar, through a stop at the price
/// that would breach it), and checks every fill against the position,
/// exposure and leverage limits at the moment it happens. Docs/Risk.md states
/// each rule.
///
///     let risk = RiskEngine(limits: limits, exchange: exchange)
///     router.risk = risk
///     exchange.preTrade = risk
///     risk.close(at: time, barTime: bar.time, router: router)   // every close
public final class RiskEngine: RiskReview, PreTradeCheck {
    public let limits: RiskLimits
    let exchange: SimulatedExchange
    public private(set) var state: TradingState = .active
    public private(set) var events: [RiskEvent] = []
    /// Why the state is what it is (the last change's reason).
    public private(set) var stateReason = ""
    /// The high-water mark the drawdown is measured from (reset after a pause).
    var peak: Double?
    /// Equity at each close within the drawdown window (time, equity), for its high-water mark.
    var recent: [(time: Int64, equity: Double)] = []
    var recentStart = 0
    var scaling = false
    var haltUntil: Int64?
    var reducingDay: Int64?
    /// Drawdown stops by the portfolio's symbol slot (order ids).
    var drawdownStops: [Int?] = []
    /// Closes per event for the correlation limit: symbol → the last bars' closes.
    var closes: [String: [Double]] = [:]

    public init(limits: RiskLimits, exchange: SimulatedExchange) {
        self.limits = limits
        self.exchange = exchange
    }

    var drawdownText: String {
        guard let x = limits.maxDrawdown else { return "" }
        var t = "max drawdown \(Self.percent(x))"
        if let w = limits.drawdownWindow { t += " over \(Self.duration(w))" }
        switch limits.onDrawdown {
        case .halt(let pause): t += " then halt" + (pause.map { " for \(Self.duration($0))" } ?? "")
        case .scale(let f): t += " then scale \(Self.percent(f))"
        }
        return t
    }

    static func percent(_ f: Double) -> String { NumberText.readable(f * 100) + "%" }
    static func duration(_ ms: Int64) -> String { BarLength.milliseconds(ms).description }

    func record(_ e: RiskEvent) { events.append(e) }

    func enter(_ new: TradingState, at time: Int64, because reason: String, limit: String?) {
        guard new != state else { return }
        state = new
        stateReason = reason
        record(RiskEvent(time: time, symbol: nil, line: nil, decision: .state, limit: limit, requested: nil, approved: nil,
                         reason: reason, state: new))
    }

    // MARK: Every close

    /// After a close is marked: the drawdown and daily-loss limits move the
    /// state; a halt cancels resting entries and closes every position; the
    /// drawdown stops follow the equity.
    public func close(at time: Int64, barTime: Int64, router: OrderRouter) {
        let account = router.account
        let equity = account.equity
        if limits.maxCorrelation != nil {
            for s in account.portfolio.symbols {
                guard let p = account.portfolio.latestPrice(s) else { continue }
                var c = closes[s, default: []]
                c.append(p)
                if c.count > limits.correlationBars + 1 { c.removeFirst(c.count - limits.correlationBars - 1) }
                closes[s] = c
            }
        }
        // A pause ends: trading resumes with the drawdown measured afresh.
        if state == .halted, let until = haltUntil, time >= until {
            haltUntil = nil
            peak = nil
            recent.removeAll()
            recentStart = 0
            enter(.active, at: barTime, because: "the pause after the drawdown halt is over", limit: drawdownText)
        }
        if let x = limits.maxDrawdown, state != .halted || haltUntil != nil {
            let high = highWaterMark(equity, at: time)
            let drawdown = high > 0 ? 1 - equity / high : 0
            switch limits.onDrawdown {
            case .halt(let pause) where drawdown >= x && state != .halted:
                halt(at: time, barTime: barTime, router: router, pause: pause,
                     reason: "equity \(NumberText.readable(equity)) is \(Self.percent(drawdown)) below its high-water mark \(NumberText.readable(high))")
            case .scale(let f):
                let now = drawdown >= x
                if now != scaling {
                    scaling = now
                    record(RiskEvent(time: barTime, symbol: nil, line: nil, decision: .state, limit: drawdownText, requested: nil, approved: nil,
                                     reason: now ? "drawdown \(Self.percent(drawdown)): new entries at \(Self.percent(f)) of their size"
                                                 : "drawdown back within the limit: entries at full size", state: nil))
                }
            default: break
            }
        }
        if let x = limits.maxDailyLoss {
            if state == .reducing, let day = reducingDay, account.day != day {
                reducingDay = nil
                enter(.active, at: barTime, because: "a new trading day", limit: "max daily loss \(Self.percent(x))")
            }
            let start = account.dayStartEquity
            if state == .active, start > 0, equity <= start * (1 - x) {
                reducingDay = account.day
                enter(.reducing, at: barTime, because: "equity \(NumberText.readable(equity)) is \(Self.percent(1 - equity / start)) below the day's start \(NumberText.readable(start))",
                      limit: "max daily loss \(Self.percent(x))")
                cancelEntries(router, time: time, reason: "risk: max daily loss reached")
            }
        }
        if state == .active, limits.maxDrawdown != nil, case .halt = limits.onDrawdown { placeDrawdownStops(router, time: time, equity: equity) }
    }

    /// The high-water mark the drawdown is measured from: all-time (since the
    /// start or the last pause), or over the window.
    func highWaterMark(_ equity: Double, at time: Int64) -> Double {
        guard let w = limits.drawdownWindow else {
            peak = max(peak ?? equity, equity)
            return peak!
        }
        recent.append((time, equity))
        while recentStart < recent.count, recent[recentStart].time <= time - w { recentStart += 1 }
        if recentStart > 4096 { recent.removeFirst(recentStart); recentStart = 0 }
        return recent[recentStart...].map(\.equity).max() ?? equity
    }

    func halt(at time: Int64, barTime: Int64, router: OrderRouter, pause: Int64?, reason: String) {
        haltUntil = pause.map { time.addingReportingOverflow($0).overflow ? .max : time + $0 }
        enter(.halted, at: barTime, because: reason + (pause.map { "; trading resumes after \(Self.duration($0))" } ?? "; no new entry for the rest of the run"),
              limit: drawdownText)
        cancelEntries(router, time: time, reason: "risk: drawdown halt")
        let portfolio = router.account.portfolio
        for s in portfolio.symbols where portfolio.position(s, leg: .long) != 0 || portfolio.position(s, leg: .short) != 0 {
            var i = OrderIntent(.flatten, symbol: s, reference: portfolio.latestPrice(s) ?? 0, time: time, barTime: barTime)
            i.reason = "risk: drawdown halt"
            router.handle(i)
        }
    }

    func cancelEntries(_ router: OrderRouter, time: Int64, reason: String) {
        for s in router.account.portfolio.symbols {
            while let o = exchange.openOrder(s, where: { $0.tag.isEntry }) {
                router.cancel(o.id, time, reason)
            }
        }
    }

    /// A reduce-only stop per position at the price where the equity would reach
    /// the drawdown limit (the other positions at their closes), re-priced at
    /// every close: the halt is reached inside a bar, not only at its close.
    func placeDrawdownStops(_ router: OrderRouter, time: Int64, equity: Double) {
        guard let x = limits.maxDrawdown, let high = peak ?? recent.last?.equity else { return }
        let floor = (limits.drawdownWindow == nil ? high : recent[recentStart...].map(\.equity).max() ?? high) * (1 - x)
        let portfolio = router.account.portfolio, symbols = portfolio.symbols
        if drawdownStops.count < symbols.count { drawdownStops += Array(repeating: nil, count: symbols.count - drawdownStops.count) }
        for k in symbols.indices {
            let q = portfolio.position(slot: k)
            guard q != 0, let mark = portfolio.latestPrice(slot: k) else { continue }
            let level = (floor - (equity - q * mark)) / q
            let live = drawdownStops[k].flatMap { exchange.orders[$0].state.isTerminal ? nil : $0 }
            guard level > 0, level.isFinite, q > 0 ? level < mark : level > mark else {
                if let live { router.cancel(live, time, "risk: the drawdown limit is out of reach") }
                continue
            }
            if let live {
                if exchange.orders[live].side == (q > 0 ? .sell : .buy) {
                    exchange.reprice(live, stop: level)
                    continue
                }
                router.cancel(live, time, "risk: the position changed side")
            }
            var o = Order(id: 0, symbol: symbols[k], side: q > 0 ? .sell : .buy, type: .stop, quantity: nil)
            o.stopPrice = level
            o.reduceOnly = true
            // (In hedge mode: on the leg the symbol's net position leans to.)
            if portfolio.hedged { o.leg = q > 0 ? .long : .short }
            o.tag = OrderTag(action: "drawdown stop", role: .risk)
            drawdownStops[k] = exchange.submit(o, at: time)
        }
    }

    /// After a bar's fills: a drawdown stop that filled halts trading; the other
    /// positions close from the next bar on (`now`: this bar's close).
    public func fills(_ fills: [Fill], now: Int64, barTime: Int64, router: OrderRouter) {
        guard state != .halted, case .halt(let pause) = limits.onDrawdown else { return }
        for f in fills where exchange.orders[f.order].tag.role == .risk {
            halt(at: now, barTime: barTime, router: router, pause: pause,
                 reason: "the drawdown stop of \(f.symbol) filled at \(NumberText.readable(f.price))")
            return
        }
    }

    // MARK: Intents

    public func review(_ intent: inout OrderIntent, _ account: Account) -> RiskDecision {
        guard case .enter(let side) = intent.action, let asked = intent.quantity else { return .accept }
        func event(_ d: RiskEvent.Decision, _ limit: String?, _ approved: Double?, _ reason: String) {
            record(RiskEvent(time: intent.barTime, symbol: intent.symbol, line: intent.line, decision: d, limit: limit,
                             requested: asked, approved: approved, reason: reason, state: nil))
        }
        guard state == .active else {
            let why = "trading is \(state.rawValue): \(stateReason)"
            event(.deny, nil, 0, why)
            return .deny(why)
        }
        let equity = account.equity, ref = intent.reference
        var q = asked, binding: (limit: String, reason: String)?
        // (Labels and reasons are built only for the limit that binds: reviews are frequent.)
        func cap(_ allowed: Double, _ limit: @autoclosure () -> String, _ reason: @autoclosure () -> String) {
            let a = max(0, allowed.isNaN ? 0 : allowed)
            if a < q * (1 - 1e-12) { q = a; binding = (limit(), reason()) }
        }
        if scaling, case .scale(let f) = limits.onDrawdown {
            cap(asked * f, drawdownText, "in drawdown: entries at \(Self.percent(f)) of their size")
        }
        if let rho = limits.maxCorrelation {
            for other in account.portfolio.symbols where other != intent.symbol {
                // Held that way, or being entered that way (an entry sent at the same close).
                let held = account.position(other)
                let entering = exchange.openOrder(other) { $0.tag.isEntry && $0.side == side.entry } != nil
                guard held != 0 && (held > 0) == (side == .long) || entering else { continue }
                guard let r = correlation(intent.symbol, other) else {
                    event(.accept, "max correlation \(NumberText.readable(rho)) over \(limits.correlationBars) bars", asked,
                          "too little history to correlate \(intent.symbol) with \(other); allowed")
                    continue
                }
                if r > rho {
                    let why = "\(intent.symbol) correlates \(NumberText.readable((r * 1000).rounded() / 1000)) with \(other), held \(side.rawValue)"
                    event(.deny, "max correlation \(NumberText.readable(rho)) over \(limits.correlationBars) bars", 0, why)
                    return .deny(why)
                }
            }
        }
        // The position after the entry (a reversal closes the opposite one first).
        let held = account.position(intent.symbol)
        let same = (held > 0) == (side == .long) ? abs(held) : 0
        let others = account.grossExposure - account.notional(intent.symbol)
        if let p = limits.maxPosition {
            cap(p * equity / ref - same, "max position \(Self.percent(p)) of equity",
                "\(intent.symbol) may be worth \(NumberText.readable(p * equity)) (\(Self.percent(p)) of equity \(NumberText.readable(equity)))")
        }
        for (x, exposure) in [(limits.maxExposure, true), (limits.maxLeverage, false)] {
            guard let x else { continue }
            cap((x * equity - others) / ref - same, exposure ? "max exposure \(Self.percent(x)) of equity" : "max leverage \(NumberText.readable(x))x",
                "all positions may be worth \(NumberText.readable(x * equity)) together; the others are worth \(NumberText.readable(others))")
        }
        let distance: Double = {
            switch intent.stop {
            case .price(let p)?: abs(ref - p)
            case .offset(let f)?: ref * abs(f)
            case nil: if case .risk(_, let stop) = intent.size, stop.isFinite { abs(ref - stop) } else { ref }   // no stop: all of it
            }
        }()
        if let r = limits.maxTradeRisk, distance > 0 {
            cap(r * equity / distance, "max trade risk \(Self.percent(r))",
                "a loss of \(NumberText.readable(distance)) a unit to the stop may cost \(NumberText.readable(r * equity))")
        }
        if let r = limits.maxOpenRisk, distance > 0 {
            let open = openRisk(account)
            cap((r * equity - open) / distance, "max open risk \(Self.percent(r))",
                "the open positions already risk \(NumberText.readable(open)) of \(NumberText.readable(r * equity))")
        }
        guard let binding else { event(.accept, nil, asked, "within every limit"); return .accept }
        if !(exchange.wholeLots(q, symbol: intent.symbol) > 0) {
            event(.deny, binding.limit, 0, binding.reason)
            return .deny("\(binding.limit): \(binding.reason)")
        }
        event(.resize, binding.limit, q, binding.reason)
        intent.requestedQuantity = asked
        intent.quantity = q
        intent.riskLimit = binding.limit
        if intent.size == .allIn { intent.notionalCap = q * ref }
        return .accept
    }

    /// What the open positions would lose at their stops (a working stop or
    /// trailing stop that closes them); a position without one counts whole.
    func openRisk(_ account: Account) -> Double {
        var total = 0.0
        for s in account.portfolio.symbols {
            let q = account.position(s)
            guard q != 0, let mark = account.portfolio.latestPrice(s) else { continue }
            let exit: OrderSide = q > 0 ? .sell : .buy
            let stop = exchange.openOrder(s) { o in
                o.side == exit && o.reduceOnly && (o.type == .stop || o.type == .trailingStop) && o.state.isLive
            }.flatMap { exchange.stopLevel($0) }
            let loss = stop.map { q > 0 ? mark - $0 : $0 - mark } ?? mark
            total += abs(q) * max(0, loss)
        }
        return total
    }

    /// Pearson correlation of two symbols' bar returns over the last N bars
    /// where both have a close; nil with fewer than three such returns.
    func correlation(_ a: String, _ b: String) -> Double? {
        guard let x = closes[a], let y = closes[b] else { return nil }
        let n = min(x.count, y.count)
        guard n >= 4 else { return nil }
        let xs = Array(x.suffix(n)), ys = Array(y.suffix(n))
        var ra: [Double] = [], rb: [Double] = []
        for k in 1..<n where xs[k - 1] > 0 && ys[k - 1] > 0 {
            ra.append(xs[k] / xs[k - 1] - 1)
            rb.append(ys[k] / ys[k - 1] - 1)
        }
        guard ra.count >= 3 else { return nil }
        let ma = ra.reduce(0, +) / Double(ra.count), mb = rb.reduce(0, +) / Double(rb.count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for k in ra.indices { sab += (ra[k] - ma) * (rb[k] - mb); saa += (ra[k] - ma) * (ra[k] - ma); sbb += (rb[k] - mb) * (rb[k] - mb) }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }

    // MARK: Every fill

    /// The largest part of `quantity` that may fill now at `price`: no entry
    /// while REDUCING or HALTED; no position, gross exposure or leverage beyond
    /// its limit at the fill (what reduces exposure always passes).
    public func allowed(_ o: Order, quantity: Double, price: Double) -> (quantity: Double, reason: String)? {
        let portfolio = exchange.portfolio
        let held = portfolio.position(o.symbol, leg: o.leg)
        let after = held + o.side.sign * quantity
        guard abs(after) > abs(held) * (1 + 1e-12) || (after > 0) != (held > 0) && after != 0 else { return nil }
        if o.tag.isEntry, state != .active { return (0, "risk: trading is \(state.rawValue)") }
        // Equity with this symbol at the fill's price (its whole position: both legs
        // in hedge mode); the part that closes an opposite position is free.
        let equity = portfolio.equity + portfolio.position(o.symbol) * (price - (portfolio.latestPrice(o.symbol) ?? price))
        let closing = (held > 0) != (o.side == .buy) ? min(abs(held), quantity) : 0
        let base = (held > 0) == (o.side == .buy) ? abs(held) : 0
        var q = quantity, why = ""
        func cap(_ opening: Double, _ reason: @autoclosure () -> String) {
            let a = closing + max(0, opening)
            if a < q * (1 - 1e-12) { q = a; why = reason() }
        }
        if let p = limits.maxPosition { cap(p * equity / price - base, "risk: max position \(Self.percent(p)) of equity") }
        let others = portfolio.grossExposure - abs(held) * (portfolio.latestPrice(o.symbol) ?? price)
        if let x = limits.maxExposure { cap((x * equity - others) / price - base, "risk: max exposure \(Self.percent(x)) of equity") }
        if let x = limits.maxLeverage { cap((x * equity - others) / price - base, "risk: max leverage \(NumberText.readable(x))x") }
        guard q < quantity else { return nil }
        record(RiskEvent(time: o.activatedAt ?? o.sentAt, symbol: o.symbol, line: o.tag.line, decision: .cut, limit: why.replacingOccurrences(of: "risk: ", with: ""),
                         requested: quantity, approved: q, reason: "at the fill price \(NumberText.readable(price))", state: nil))
        return (q, why)
    }
}
