import StratMarket

/// The one place intents become exchange commands. It keeps one position per
/// side unless `pyramiding` lets entries add, re-prices an entry (or limit/stop
/// exit) sent again while the first still rests, combines exits fired together,
/// reverses an opposite position (in hedge mode the other leg stays open),
/// attaches brackets, and says why whenever an intent does nothing (`notices`).
///
///     let router = OrderRouter(exchange: exchange, account: account, pyramiding: 0)
///     router.handle(intent)               // sized, reviewed, routed — or noted
public final class OrderRouter {
    public let exchange: SimulatedExchange
    public let account: Account
    /// Reviews every sized intent; nil accepts everything.
    public var risk: RiskReview?
    /// Entries that may add to an open position (`pyramiding N`).
    public let pyramiding: Int
    /// What rules asked for and did not get, and why.
    public var notices = Notices()
    /// Entries that added to the open position, per symbol and leg (emptied when flat).
    var additions: [String: Set<Int>] = [:]
    func additionsKey(_ symbol: String, _ leg: PositionSide?) -> String { leg.map { "\(symbol) \($0.rawValue)" } ?? symbol }
    var nextOCO = 0
    /// Trailing stops whose distance follows a series: order id → the intent's `trailSource`.
    public private(set) var followingTrails: [Int: Int] = [:]

    public init(exchange: SimulatedExchange, account: Account, pyramiding: Int = 0) {
        self.exchange = exchange
        self.account = account
        self.pyramiding = pyramiding
    }

    var portfolio: any Portfolio { account.portfolio }
    /// The leg orders of one side trade: that side's in hedge mode, else none.
    func leg(_ side: PositionSide) -> PositionSide? { portfolio.hedged ? side : nil }
    /// The position a side's entries and exits act on: its leg in hedge mode,
    /// else the symbol's one position.
    func held(_ symbol: String, _ side: PositionSide) -> Double { portfolio.position(symbol, leg: portfolio.hedged ? side : nil) }

    func ignored(_ why: String, _ i: OrderIntent) { notices.note(why, at: i.barTime, line: i.line) }

    // MARK: Intents

    public func handle(_ i: consuming OrderIntent) {
        let held = portfolio.position(i.symbol)
        switch i.action {
        case .flatten:
            guard held != 0 || exchange.openOrder(i.symbol, where: { _ in true }) != nil else {
                return ignored("flatten with no position and no open order", i)
            }
            let why = i.reason ?? "flatten (line \(i.line ?? 0))"
            exchange.cancelAll(symbol: i.symbol, at: i.time, reason: why)
            for side in [PositionSide.long, .short] where self.held(i.symbol, side) != 0 {
                submitClose(i, side: side, action: i.reason ?? "flatten")
            }
        case .cancelEntries(let side):
            // Resting entries (and their held brackets) of one side, or of both.
            var cancelled = false
            while let o = exchange.openOrder(i.symbol, where: { $0.tag.isEntry && (side == nil || $0.side == side!.entry) }) {
                cancel(o.id, i.time, "cancel (line \(i.line ?? 0))")
                cancelled = true
            }
            if !cancelled { ignored("cancel with no resting entry", i) }
        case .cancelAll:
            guard exchange.openOrder(i.symbol, where: { _ in true }) != nil else { return ignored("cancel all with no open order", i) }
            exchange.cancelAll(symbol: i.symbol, at: i.time, reason: "cancel all (line \(i.line ?? 0))")
        case .enter(let side):
            let legHeld = portfolio.hedged ? self.held(i.symbol, side) : held
            enter(consume i, side, held: legHeld)
        case .exit(let side):
            let legHeld = self.held(i.symbol, side)
            exit(consume i, side, held: legHeld)
        }
    }

    func enter(_ i: consuming OrderIntent, _ side: PositionSide, held: Double) {
        if let na = i.naPart { return ignored("entries ignored: \(na)", i) }
        // A resting entry that way is sent again: re-priced and re-sized in place.
        let resting = exchange.openOrderID(i.symbol, where: { $0.tag.isEntry && $0.side == side.entry && $0.filledQuantity == 0 })
        if resting == nil, side == .long ? held > 0 : held < 0 {
            // One position per direction unless `pyramiding N` lets entries add to it.
            guard (additions[additionsKey(i.symbol, leg(side))]?.count ?? 0) < pyramiding else {
                return ignored(pyramiding == 0 ? "entries ignored: already \(side.rawValue) (no pyramiding)"
                                               : "entries ignored: already \(side.rawValue) with \(pyramiding) additions (pyramiding \(pyramiding))", i)
            }
        }
        guard let q = i.size.sizing.quantity(for: i, account), q > 0 else {
            let q = i.size.sizing.quantity(for: i, account) ?? 0
            let why = q.isNaN ? "the size is na"
                : { if case .kelly = i.size { "the Kelly size is 0 (the closed trades show no edge)" } else { "the size is not positive" } }()
            return ignored("entries ignored: " + why, i)
        }
        i.quantity = q
        if let risk {
            switch risk.review(&i, account) {
            case .deny(let reason): return ignored("entries denied by the risk engine: \(reason)", i)
            case .accept: break
            }
        }
        // An all-in entry is sized again at its fill (within what risk allowed).
        let quantity: Double? = i.size == .allIn ? nil : i.quantity
        // (Literals, not interpolation: no string is built per order.)
        var tag = OrderTag(rule: i.rule, line: i.line, action: side == .long ? "enter long" : "enter short", role: .entry)
        tag.riskLimit = i.riskLimit
        let o = order(i, side: side.entry, quantity: quantity, leg: leg(side), tag: tag, notionalCap: i.size == .allIn ? i.notionalCap : nil)
        let legs = bracketLegs(i, side: side.exit, forEntry: true, quantity: nil)
        if let resting {
            replace(exchange.orders[resting], with: o, legs: legs, intent: i)
            return
        }
        if side == .long ? held < 0 : held > 0 { submitClose(i, side: side == .long ? .short : .long, action: "reverse") }
        submitLegs(legs, entry: exchange.submit(o, at: i.time), intent: i)
    }

    /// An entry sent again while the first still rests unfilled: the same order
    /// type is modified in place (new prices and size; its bracket's prices
    /// follow; it keeps its lifetime); another type replaces it.
    func replace(_ resting: Order, with o: Order, legs: [Order], intent i: OrderIntent) {
        guard o.type == resting.type, resting.state != .triggered else {
            cancel(resting.id, i.time, "replaced by a new entry (line \(i.line ?? 0))")
            submitLegs(legs, entry: exchange.submit(o, at: i.time), intent: i)
            return
        }
        if let q = o.quantity, !(exchange.wholeLots(q, symbol: i.symbol) > 0) {
            return ignored("entries ignored: the size rounds to zero lots", i)
        }
        modify(resting.id, quantity: o.quantity, limit: o.limitPrice, stop: o.stopPrice, at: i.time)
        for child in exchange.openOrders(i.symbol) where child.parent == resting.id && child.state == .held {
            // An absolute stop or take follows the new signal (offsets are priced at the fill anyway).
            if child.type == .stop, case .price(let p)? = i.stop { modify(child.id, stop: p, at: i.time) }
            if child.type == .limit, case .price(let p)? = i.take { modify(child.id, limit: p, at: i.time) }
        }
    }

    func exit(_ i: consuming OrderIntent, _ side: PositionSide, held: Double) {
        guard side == .long ? held > 0 : held < 0 else { return ignored("exits ignored: no \(side.rawValue) position", i) }
        if let na = i.naPart { return ignored("exits ignored: \(na)", i) }
        // Unsized: the whole position (nil).
        let q = i.size == .allIn ? nil : i.size.sizing.quantity(for: i, account)
        if let q, !(q > 0) { return ignored("exits ignored: the size is \(q.isNaN ? "na" : "not positive")", i) }
        i.quantity = q
        if i.type == .market, i.hasProtection {
            // `exit long trail 1.5%` (or stop/take): arm exit orders on the open
            // position, priced from this close, instead of leaving at market;
            // once per position side while they are armed.
            if exchange.openOrder(i.symbol, where: { $0.tag.role == .protection && $0.parent == nil && $0.side == side.exit }) != nil {
                return ignored("exits ignored: exit orders already armed on the \(side.rawValue) position", i)
            }
            return submitLegs(bracketLegs(i, side: side.exit, forEntry: false, quantity: q), entry: nil, intent: i)
        }
        let o = order(i, side: side.exit, quantity: q, leg: leg(side), reduceOnly: true,
                      tag: OrderTag(rule: i.rule, line: i.line, action: side == .long ? "exit long" : "exit short", role: .exit))
        // An exit of the same type still open takes this one in: market exits add
        // up (a whole-position exit covers any other), limit and stop exits are re-priced.
        if let pending = exchange.openOrder(i.symbol, where: { $0.tag.role == .exit && $0.side == side.exit && $0.type == o.type }) {
            if o.type == .market {
                guard let more = q, let sized = pending.quantity else {
                    if pending.quantity == nil { return ignored("exits ignored: the whole position is already being closed", i) }
                    cancel(pending.id, i.time, "taken into a whole-position exit (line \(i.line ?? 0))")
                    exchange.submit(o, at: i.time)
                    return
                }
                modify(pending.id, quantity: sized + more, at: i.time)
            } else if pending.filledQuantity == 0 {
                modify(pending.id, quantity: q, limit: o.limitPrice, stop: o.stopPrice, at: i.time)
            }
            return
        }
        exchange.submit(o, at: i.time)
    }

    // MARK: Orders

    /// The order an intent describes (type, prices, lifetime, flags), on `leg`,
    /// tagged. (Made whole in one place: an order is large, and each change to a
    /// copy of it afterwards would copy it again.)
    func order(_ i: OrderIntent, side: OrderSide, quantity: Double?, leg: PositionSide? = nil, reduceOnly: Bool = false,
               tag: OrderTag = OrderTag(), notionalCap: Double? = nil) -> Order {
        var o = Order(id: 0, symbol: i.symbol, side: side, type: i.type, quantity: quantity)
        o.limitPrice = i.limitPrice
        o.stopPrice = i.stopPrice
        o.timeInForce = i.timeInForce
        o.expireAt = i.expireAt
        o.reduceOnly = i.reduceOnly || reduceOnly
        o.postOnly = i.postOnly
        o.triggerOnMark = i.triggerOnMark && o.type != .market && o.type != .limit
        o.displayQuantity = i.display.flatMap { $0 > 0 ? $0 : nil }
        o.leg = leg
        o.tag = tag
        o.notionalCap = notionalCap
        return o
    }

    /// A reduce-only market order for the whole position (on one side).
    func submitClose(_ i: OrderIntent, side: PositionSide, action: String) {
        var o = Order(id: 0, symbol: i.symbol, side: side.exit, type: .market, quantity: nil)
        o.reduceOnly = true
        o.leg = leg(side)
        o.tag = OrderTag(rule: i.rule, line: i.line, action: action, role: .close)
        exchange.submit(o, at: i.time)
    }

    /// Stop, take and trailing stop: reduce-only orders, one OCO group. For an
    /// entry they are its bracket, held until it fills and priced from its fill;
    /// for an exit they are active at once, priced from the intent's reference.
    func bracketLegs(_ i: OrderIntent, side: OrderSide, forEntry: Bool, quantity: Double?) -> [Order] {
        func leg(_ type: OrderType) -> Order {
            var o = Order(id: 0, symbol: i.symbol, side: side, type: type, quantity: quantity)
            o.reduceOnly = true
            o.leg = self.leg(side == .sell ? .long : .short)
            o.triggerOnMark = i.triggerOnMark && type != .limit
            o.tag = OrderTag(rule: i.rule, line: i.line, action: forEntry ? type.rawValue : "exit \(side == .sell ? "long" : "short") (\(type.rawValue))",
                             role: .protection)
            return o
        }
        var legs: [Order] = []
        if let s = i.stop {
            var o = leg(.stop)
            switch s {
            case .price(let p): o.stopPrice = p
            case .offset(let f): if forEntry { o.stopOffset = f } else { o.stopPrice = i.reference * (1 + f) }
            }
            legs.append(o)
        }
        if let t = i.take {
            var o = leg(.limit)
            switch t {
            case .price(let p): o.limitPrice = p
            case .offset(let f): if forEntry { o.limitOffset = f } else { o.limitPrice = i.reference * (1 + f) }
            }
            legs.append(o)
        }
        if let t = i.trail {
            var o = leg(.trailingStop)
            o.trail = t
            if !forEntry { o.trailAnchor = i.reference }
            legs.append(o)
        }
        return legs
    }

    /// Sends bracket legs as one OCO group, held until `entry` fills (or active
    /// at once without one).
    func submitLegs(_ legs: [Order], entry: Int?, intent i: OrderIntent) {
        guard !legs.isEmpty else { return }
        let group = nextOCO
        nextOCO += 1
        for var o in legs {
            o.parent = entry
            o.ocoGroup = group
            if let entry { o.tag.action = "\(o.type.rawValue) of order \(entry)" }
            let id = exchange.submit(o, at: i.time)
            if o.type == .trailingStop, let source = i.trailSource { followingTrails[id] = source }
        }
    }

    /// A trailing distance that follows a series is set anew every bar
    /// (`distance` gives the series' value for a source; nil leaves it).
    public func updateTrails(_ distance: (Int) -> Double?) {
        for (id, source) in followingTrails {
            if exchange.orders[id].state.isTerminal { followingTrails[id] = nil; continue }
            if let v = distance(source), v > 0 { exchange.setTrail(id, .absolute(v)) }
        }
    }

    func cancel(_ id: Int, _ time: Int64, _ reason: String) {
        do { try exchange.cancel(id, at: time, reason: reason) } catch { exchange.violations.append("\(error) (\(reason))") }
    }

    func modify(_ id: Int, quantity: Double? = nil, limit: Double? = nil, stop: Double? = nil, at time: Int64) {
        do { try exchange.modify(id, quantity: quantity, limitPrice: limit, stopPrice: stop, at: time) } catch {
            exchange.violations.append("\(error) (modify)")
        }
    }

    // MARK: Fills and the end

    /// Fills (where they lie in the exchange's `fills`) into the trade book;
    /// entries that added to a position count against `pyramiding` until it is flat again.
    public func record(_ fills: Range<Int>, bar: Int) {
        for k in fills {
            let f = exchange.fills[k]
            let tag = exchange.orders[f.order].tag
            account.record(f, line: tag.line, bar: bar, riskLimit: tag.riskLimit, reason: Self.exitReason(tag, exchange.orders[f.order].type))
            let before = f.positionAfter - f.side.sign * f.quantity
            if f.positionAfter == 0 {
                // (Most runs never add to a position: no name is hashed for them.)
                if !additions.isEmpty { additions[additionsKey(f.symbol, f.leg)] = nil }
            } else if tag.isEntry, before != 0, (before > 0) == (f.side == .buy) {
                additions[additionsKey(f.symbol, f.leg), default: []].insert(f.order)
            }
        }
    }

    /// What an order that closes a trade says about why.
    static func exitReason(_ tag: OrderTag, _ type: OrderType) -> String {
        switch tag.role {
        case .entry: "reverse"
        case .exit: "signal"
        case .protection: type == .limit ? "take" : type == .trailingStop ? "trail" : "stop"
        case .close: tag.action == "reverse" ? "reverse" : tag.action == "left the universe" ? "universe"
            : tag.action?.hasPrefix("risk") == true ? "risk" : "flatten"
        case .risk: "risk"
        case .liquidation: "liquidation"
        }
    }

    /// Orders the exchange rejected, orders left partly filled and orders that
    /// never became active, counted by reason. (Other orders open at the end,
    /// such as the stop of an open trade, are working as meant.)
    public func noteOrderOutcomes(end: Int64) {
        // (States read in place: a copy of every order would retain its strings and arrays.)
        for id in exchange.orders.indices {
            switch exchange.orders[id].state {
            case .rejected, .partiallyFilled, .pending: break
            default: continue
            }
            let o = exchange.orders[id]
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
}
