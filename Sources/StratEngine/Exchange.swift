import StratMarket

/// The simulated exchange: holds orders, matches them against each bar along an
/// explicit intrabar path, and reports fills to the portfolio.
///
/// Path: O→H→L→C when the high is nearer the open than the low, else O→L→H→C.
/// The price moves straight between those points, so an order triggers at the
/// first point of the path that reaches its price; orders triggered on the same
/// stretch fill in path order, ties by submission (FIFO). A stop the open has
/// already gapped through fills at the open, not at its stop price.
public final class SimulatedExchange {
    public var config: ExecutionConfig
    /// Fill, slippage, fee and latency models (by default those `config` describes).
    public var models: ExecutionModels
    /// Checked at every fill (the risk engine's limits).
    public weak var preTrade: (any PreTradeCheck)?
    /// Told of every fill, to place or re-price the orders that follow positions
    /// (liquidations) at once: those of the fill's symbol join the rest of the bar.
    public weak var follower: (any PositionFollower)?
    public let portfolio: any Portfolio
    public private(set) var orders: [Order] = []
    public private(set) var fills: [Fill] = []
    /// Whether orders keep their history of events (what reports show). A
    /// batch's points do not: an order's history is an allocation of its own,
    /// and nothing in the engine reads it.
    public var recordsHistory = true

    /// Room for about `orders` orders and their fills, made at once (a run that
    /// knows how many it will send copies no growing history).
    public func reserve(orders n: Int) {
        orders.reserveCapacity(n)
        slotOf.reserveCapacity(n)
        fills.reserveCapacity(n)
    }
    /// Bars where a stop and a take of the same bracket were both touched: the
    /// path decided which filled.
    public private(set) var ambiguousBars = 0
    /// Live, pending and held orders per symbol slot, in submission order.
    /// (Slots, not names: the book is read at every order event, and hashing
    /// a name costs more than the rest of most lookups.)
    var book: [[Int]] = []
    /// Each symbol's slot in `book`, given at its first order, and each order's.
    var slots = SymbolSlots()
    var slotOf: [Int] = []
    /// Orders in the book over all symbols (a quick "nothing to do" test).
    var booked = 0
    /// Orders that ended and may still be in the book.
    var unswept = 0
    /// Order moves the transition table refused: engine defects, reported by the
    /// backtest as an internal error (empty on every correct run).
    public internal(set) var violations: [String] = []
    /// End of the trading day each DAY order belongs to.
    var dayEnds: [Int: Int64] = [:]

    public init(config: ExecutionConfig, portfolio: any Portfolio, models: ExecutionModels? = nil) {
        self.config = config
        self.portfolio = portfolio
        self.models = models ?? ExecutionModels(config)
    }

    public var nextID: Int { orders.count }

    /// A symbol's slot in the book (registered on first use).
    func slot(_ symbol: String) -> Int {
        let k = slots.register(symbol)
        if k == book.count { book.append([]) }
        return k
    }

    /// The orders in the book for a symbol (none for a symbol never ordered).
    func bookedIDs(_ symbol: String) -> [Int] { slots.find(symbol).map { book[$0] } ?? [] }
    /// Whether any order is open (pending, held or live) on any symbol.
    public var hasOpenOrders: Bool { booked > 0 }

    // MARK: Order entry

    /// Sends an order at `time`; it becomes active after the configured latency,
    /// or, as a bracket child (`parent` set), when its parent fills.
    @discardableResult
    public func submit(_ order: consuming Order, at time: Int64) -> Int {
        var o = consume order   // (moved: an order holds strings and arrays)
        o.id = orders.count
        o.sentAt = time
        // (A liquidation is the exchange's own order: no latency.)
        let delay = o.tag.role == .liquidation ? 0 : models.latency.delay(for: o)
        o.activeAt = delay < 0 || time.addingReportingOverflow(delay).overflow ? .max : time + delay
        if let tick = config.tick(o.symbol), o.tag.role != .liquidation {
            // Resting prices sit on the tick grid, rounded away from the market's favour.
            let up = o.side == .sell
            o.limitPrice = o.limitPrice.map { roundToTick($0, tick, up: up) }
            o.stopPrice = o.stopPrice.map { roundToTick($0, tick, up: !up) }
        }
        o.start(o.parent == nil ? .pending : .held, at: time, recording: recordsHistory)
        if o.timeInForce == .day { dayEnds[o.id] = config.session.dayEnd(after: time) }
        var rejection: String?
        if let q = o.quantity, q <= 0 || !q.isFinite {
            rejection = "quantity must be positive, got \(NumberText.readable(q))"
        } else if let p = o.limitPrice ?? o.stopPrice, !(p > 0) || !p.isFinite {
            rejection = "price must be positive, got \(NumberText.readable(p))"
        } else if let q = o.quantity, let lot = config.lot(o.symbol) {
            // The quantity is rounded to whole lots once, here, so no remainder
            // smaller than a lot can keep the order open.
            let whole = Self.wholeLots(q, lot)
            if whole <= 0 { rejection = "quantity \(NumberText.readable(q)) rounds to zero lots of \(NumberText.readable(lot))" }
            o.quantity = whole
        }
        if o.type == .trailingStop, o.trailAnchor != nil { o.trailLevel = nil; Self.ratchet(&o) }
        let id = o.id, k = slot(o.symbol)
        orders.append(consume o)   // (moved, not copied: an order holds strings and arrays)
        slotOf.append(k)
        if let rejection {
            move(id, to: .rejected, at: time, reason: rejection)
        } else {
            book[k].append(id)
            booked += 1
        }
        return id
    }

    /// `q` rounded down to whole multiples of `lot` (a hair of tolerance so that
    /// 0.3 of lots of 0.001 stays 0.3).
    static func wholeLots(_ q: Double, _ lot: Double) -> Double {
        (q / lot + 1e-9).rounded(.down) * lot
    }

    /// Cancels a live, pending or held order (and, for a bracket parent, its children).
    public func cancel(_ id: Int, at time: Int64, reason: String = "cancelled") throws {
        try orders[id].transition(to: .cancelled, at: time, reason: reason, recording: recordsHistory)
        unswept += 1
        for child in book[slotOf[id]] where orders[child].parent == id && orders[child].state == .held {
            try orders[child].transition(to: .cancelled, at: time, reason: "parent \(id) cancelled", recording: recordsHistory)
            unswept += 1
        }
    }

    /// Changes a resting order's quantity or prices (rounded to the lot and
    /// tick as at submission); it keeps its place in the queue unless its price
    /// changes (then it goes to the back, as on an exchange). A quantity not
    /// above what has filled, or a terminal order, is an error.
    public func modify(_ id: Int, quantity: Double? = nil, limitPrice: Double? = nil, stopPrice: Double? = nil, at time: Int64) throws {
        let o = orders[id]
        guard !o.state.isTerminal else { throw IllegalTransition(order: id, from: o.state, to: o.state) }
        let q = quantity.map { wholeLots($0, symbol: o.symbol) }
        if let q { guard q > o.filledQuantity, q.isFinite else { throw IllegalTransition(order: id, from: o.state, to: .filled) } }
        var limit = limitPrice, stop = stopPrice
        if let tick = config.tick(o.symbol) {
            let up = o.side == .sell
            limit = limit.map { roundToTick($0, tick, up: up) }
            stop = stop.map { roundToTick($0, tick, up: !up) }
        }
        if let q { orders[id].quantity = q }
        let repriced = (limit != nil && limit != o.limitPrice) || (stop != nil && stop != o.stopPrice)
        if let l = limit { orders[id].limitPrice = l }
        if let s = stop { orders[id].stopPrice = s }
        if o.state == .working { try orders[id].transition(to: .working, at: time, reason: "modified", recording: recordsHistory) }
        if repriced, let at = book[slotOf[id]].firstIndex(of: id) {
            book[slotOf[id]].remove(at: at)
            book[slotOf[id]].append(id)
        }
    }

    /// Moves a resting stop's trigger without a history event (the risk engine
    /// re-prices its drawdown stop at every close; its history keeps when it
    /// was placed and how it ended). The queue position is kept.
    /// `exact`: not on the tick grid (a liquidation price is the mark's, exactly).
    public func reprice(_ id: Int, stop: Double, exact: Bool = false) {
        guard !orders[id].state.isTerminal else { return }
        orders[id].stopPrice = exact ? stop : config.tick(orders[id].symbol).map { roundToTick(stop, $0, up: orders[id].side == .buy) } ?? stop
    }

    /// `q` in whole lots of the symbol (unchanged without a lot size).
    public func wholeLots(_ q: Double, symbol: String) -> Double {
        config.lot(symbol).map { Self.wholeLots(q, $0) } ?? q
    }

    /// Cancels every order of a symbol still open (`flatten`, `cancel all`).
    public func cancelAll(symbol: String, side: OrderSide? = nil, at time: Int64, reason: String) {
        guard let k = slots.find(symbol) else { return }
        for id in book[k] where !orders[id].state.isTerminal && (side == nil || orders[id].side == side) {
            try? cancel(id, at: time, reason: reason)
        }
        compact(k)
    }

    /// Sets the distance of a trailing stop that follows a series. The stop
    /// level still only moves in the position's favour: a wider distance does
    /// not loosen it.
    public func setTrail(_ id: Int, _ trail: TrailDistance) {
        orders[id].trail = trail
        ratchet(id)
    }

    /// Every change of a trailing stop's level, when `tracesTrails` is set (the
    /// invariant tests check that no level moves against its position).
    public var tracesTrails = false
    public private(set) var trailTrace: [(order: Int, level: Double)] = []

    func ratchet(_ id: Int) {
        let before = orders[id].trailLevel
        Self.ratchet(&orders[id])
        if tracesTrails, let level = orders[id].trailLevel, level != before { trailTrace.append((id, level)) }
    }

    /// Moves a trailing stop's level to where its anchor and distance put it, if
    /// that is tighter (higher for a sell stop, lower for a buy stop).
    static func ratchet(_ o: inout Order) {
        guard let trail = o.trail, let anchor = o.trailAnchor else { return }
        let level = trail.stop(anchor: anchor, side: o.side)
        guard let old = o.trailLevel else { o.trailLevel = level; return }
        o.trailLevel = o.side == .sell ? max(old, level) : min(old, level)
    }

    /// The first open order of `symbol` that `match` accepts, in submission
    /// order (without building the list of open orders).
    public func openOrder(_ symbol: String, where match: (Order) -> Bool) -> Order? {
        openOrderID(symbol, where: match).map { orders[$0] }
    }

    /// The first open order of `symbol` that `match` accepts, by id (no copy of it).
    public func openOrderID(_ symbol: String, where match: (Order) -> Bool) -> Int? {
        guard let k = slots.find(symbol) else { return nil }
        return orders.withUnsafeBufferPointer { o in book[k].first { !o[$0].state.isTerminal && match(o[$0]) } }
    }

    public func openOrders(_ symbol: String) -> [Order] {
        bookedIDs(symbol).map { orders[$0] }.filter { !$0.state.isTerminal }
    }

    // MARK: Matching

    /// Matches one bar of `symbol` against its orders; fills go to the portfolio.
    /// Returns where the bar's fills lie in `fills` (a range, not a copy: most
    /// bars that fill do so once, and an array of one costs an allocation).
    /// `halfSpread` (a fraction of the price) comes from the data's bid/ask when known.
    /// `end`: when the bar ends. An order whose latency runs out inside the bar
    /// then joins its path at that moment, time being spread evenly over the
    /// path's three stretches (without `end`, it waits for the next bar).
    /// `mark`: the mark-price bar of the same time (perpetuals): orders that
    /// trigger on the mark (`trigger mark`, liquidations) meet its path, stretch
    /// by stretch in step with the last price's.
    @discardableResult
    public func process(_ bar: Bar, symbol: String, halfSpread: Double? = nil, end: Int64? = nil, mark: Bar? = nil) -> Range<Int> {
        let none = fills.count..<fills.count
        guard booked > 0, let slot = slots.find(symbol), case let ids = book[slot], !ids.isEmpty else { return none }
        let time = bar.time
        /// What the bar's matching starts from (the spread, and the volume a participation cap leaves).
        func fresh(_ path: BarPath) -> BarState {
            BarState(bar: bar, end: end, path: path, halfSpread: halfSpread ?? config.halfSpread,
                     volumeLeft: config.participation.map { $0 * bar.volume } ?? .infinity)
        }
        if ids.count == 1, mark == nil, fillsAtOpen(ids[0], time), config.session.isAlwaysOpen, follower == nil, !walksEveryPath {
            // The usual next-open fill: one market order, alone in the book, due by
            // the open. What the path below does for it, without walking the path:
            // it becomes active and trades at the open (unless it is reduce-only
            // with nothing left to reduce), at the bar's time, as a taker.
            let id = ids[0]
            activate(id, at: time)
            if orders[id].state.isLive {
                var state = fresh(BarPath(bar))
                execute(id, reference: bar.open, maker: false, at: time, &state)
            }
            compact(slot)
            return none.lowerBound..<fills.count
        }
        // Outside the trading session orders only expire: they become active at
        // the first bar of the session (where IOC and FOK orders get their one chance).
        let open = config.session.isAlwaysOpen || config.session.isOpen(time)
        var joins: [Int: Double] = [:]     // order → the fraction of the bar at which it joins
        // (Fields are read one by one in these loops: copying an order whole costs
        // a retain and release of each of its strings and arrays, on every bar.)
        for id in ids {
            let state = orders[id].state, activeAt = orders[id].activeAt
            if !open {
            } else if state == .pending, activeAt <= time {
                activate(id, at: time)
            } else if state == .pending, let end, end > time, activeAt < end {
                activate(id, at: activeAt)
                joins[id] = Double(activeAt - time) / Double(end - time)
            }
            guard !orders[id].state.isTerminal else { continue }
            let tif = orders[id].timeInForce
            if tif == .gtd, let end = orders[id].expireAt, time >= end {
                expire(id, at: time, reason: "good-till-date reached")
            } else if tif == .day, let end = dayEnds[id], time >= end {
                expire(id, at: time, reason: "end of the trading day")
            }
        }
        guard open else { compact(slot); return none }
        if joins.isEmpty, orders.withUnsafeBufferPointer({ o in ids.allSatisfy { Self.unreachable(o, $0, bar, mark: mark) } }) {
            compact(slot)
            return none
        }

        let path = BarPath(bar)
        var state = fresh(path)
        state.markPath = mark.map(BarPath.init)
        let before = fills.count
        var live = ids     // children activated during the bar are in the book already (held)
        lateJoiners.removeAll()
        for k in 0..<BarPath.count {
            for id in lateJoiners where !live.contains(id) { live.append(id) }
            lateJoiners.removeAll()
            // Past the open, market orders (the usual next-open fill) meet
            // nothing more: when no other order can trade, the rest of the path
            // is left unwalked.
            if k > 0, joins.isEmpty, live.allSatisfy({ !orders[$0].state.isLive || orders[$0].type == .market && orders[$0].ocoGroup == nil }) {
                break
            }
            let from = k == 0 ? path[0] : path[k - 1], to = path[k]
            // Stretch k spans the fractions [(k-1)/3, k/3) of the bar; k = 0 is the open.
            var active = live, starts: [Int: Double] = [:]
            if !joins.isEmpty {
                let t0 = Double(k - 1) / 3, t1 = Double(k) / 3
                active = live.filter { id in
                    guard let f = joins[id] else { return true }
                    if k == 0 || f >= t1 { return false }
                    if f >= t0 { starts[id] = from + (to - from) * (f - t0) * 3 }
                    return true
                }
            }
            matchSegment(active, k: k, from: from, to: to, starts: starts, &state)
            updateTrails(active, price: to, mark: state.markPath?[k])
        }
        if state.isAmbiguous(orders) { ambiguousBars += 1 }
        compact(slot)
        return before..<fills.count
    }

    /// Tests: every bar with an order walks its path (the open-fill shortcut is
    /// checked against the walk).
    var walksEveryPath = false

    /// Whether order `id` is a plain market order due by `time` (good till
    /// cancelled, no OCO group, not post-only, not a liquidation): on a bar it
    /// meets alone, it trades at the open and nothing else can happen to it.
    /// (Fields read one by one: a copy of the order retains its strings and arrays.)
    func fillsAtOpen(_ id: Int, _ time: Int64) -> Bool {
        orders[id].type == .market && orders[id].state == .pending && orders[id].activeAt <= time && orders[id].timeInForce == .gtc
            && orders[id].ocoGroup == nil && !orders[id].postOnly && orders[id].tag.role != .liquidation
    }

    /// Fills market orders sent at a bar's close at that close (`--fill close`),
    /// at the moment they were sent. With a latency there is no filling at the
    /// close: such orders stay pending and meet the next bar once active.
    /// Returns where the fills lie in `fills`.
    @discardableResult
    public func fillAtClose(_ bar: Bar, symbol: String, halfSpread: Double? = nil) -> Range<Int> {
        guard let slot = slots.find(symbol) else { return fills.count..<fills.count }
        let before = fills.count
        var state = BarState(bar: bar, end: nil, path: BarPath(bar), halfSpread: halfSpread ?? config.halfSpread, volumeLeft: .infinity)
        for id in book[slot] where orders[id].type == .market && orders[id].state == .pending
            && orders[id].activeAt == orders[id].sentAt {
            let now = orders[id].sentAt
            activate(id, at: now)
            guard orders[id].state.isLive else { continue }
            execute(id, reference: bar.close, maker: false, at: now, &state)
            if Self.isImmediate(orders[id]), orders[id].state.isLive { cancelImmediate(id, at: now) }
        }
        compact(slot)
        return before..<fills.count
    }

    /// Whether an order surely does nothing on this bar: a resting stop or limit
    /// whose price the bar's range does not reach (most bars of a position held
    /// with a stop). Anything else — pending, held, market, trailing, triggered,
    /// reached, in an OCO group — is matched in full. Stops that trigger on the
    /// mark (liquidations among them) are judged on the mark bar's range.
    static func unreachable(_ orders: UnsafeBufferPointer<Order>, _ id: Int, _ bar: Bar, mark: Bar?) -> Bool {
        let state = orders[id].state
        if state.isTerminal { return true }
        guard state == .working, orders[id].ocoGroup == nil,
              !isImmediate(orders[id].timeInForce, orders[id].type) else { return false }
        let buy = orders[id].side == .buy
        switch orders[id].type {
        case .stop, .stopLimit:
            guard let st = orders[id].stopPrice else { return false }
            let range = orders[id].triggerOnMark ? mark ?? bar : bar
            return buy ? range.high < st : range.low > st
        case .limit:
            guard let l = orders[id].limitPrice else { return false }
            return buy ? bar.low > l : bar.high < l
        case .market, .trailingStop: return false
        }
    }

    /// A bar's path: the open, the extreme nearer to it, the other, the close.
    /// (Four stored prices, not an array: one is walked on every bar with an order.)
    struct BarPath {
        static let count = 4
        let open: Double, first: Double, second: Double, close: Double

        init(_ b: Bar) {
            open = b.open
            close = b.close
            (first, second) = b.high - b.open <= b.open - b.low ? (b.high, b.low) : (b.low, b.high)
        }

        subscript(k: Int) -> Double {
            switch k {
            case 0: open
            case 1: first
            case 2: second
            default: close
            }
        }

        /// The lowest and the highest point from point `k` on.
        func range(from k: Int) -> (low: Double, high: Double) {
            var low = self[k], high = self[k]
            for i in k + 1 ..< Self.count {
                if self[i] < low { low = self[i] }
                if self[i] > high { high = self[i] }
            }
            return (low, high)
        }
    }

    /// What one bar's matching keeps track of.
    struct BarState {
        var bar: Bar
        var end: Int64?
        var path: BarPath
        var halfSpread: Double
        var volumeLeft: Double
        /// What each iceberg order (`displayQuantity`) has filled on this bar.
        var filledThisBar: [Int: Double] = [:]
        /// The mark price's path, when the bar has a mark bar.
        var markPath: BarPath?
        /// OCO orders met during the bar, with the stretch and price from which
        /// they took part (children activated inside the bar meet only the rest).
        var ocoMembers: [(id: Int, stretch: Int, start: Double, level: Double)] = []
        var seenOCO: Set<Int> = []

        /// Whether a stop and a take of one OCO group both lay on the part of the
        /// path each took part in: then the path decided which filled.
        func isAmbiguous(_ orders: [Order]) -> Bool {
            var groups: [Int: (stop: Bool, take: Bool)] = [:]
            for m in ocoMembers {
                let o = orders[m.id]
                guard let g = o.ocoGroup else { continue }
                let rest = path.range(from: m.stretch)
                let lo = min(m.start, rest.low), hi = max(m.start, rest.high)
                let reached = o.side == .sell ? (o.type == .limit ? hi >= m.level : lo <= m.level)
                                              : (o.type == .limit ? lo <= m.level : hi >= m.level)
                guard reached else { continue }
                if o.type == .limit { groups[g, default: (false, false)].take = true } else { groups[g, default: (false, false)].stop = true }
            }
            return groups.values.contains { $0.stop && $0.take }
        }
    }

    /// An order the price reaches on a stretch of the path.
    struct Hit {
        /// How far along the stretch the price reaches the order (0 at its start,
        /// 1 at its end): the last price's and the mark's stretches keep step.
        var fraction: Double
        var id: Int
        var reference: Double
        var maker: Bool
        /// For an order that triggers on the mark: the mark price where it did,
        /// and the stop price it had then.
        var mark: Double? = nil
        var level: Double? = nil
        /// Path order, first in first out at the same point.
        static func precedes(_ a: Hit, _ b: Hit) -> Bool { a.fraction != b.fraction ? a.fraction < b.fraction : a.id < b.id }
    }

    /// Where `price` lies along the stretch from → to, as a fraction.
    static func fraction(_ price: Double, from: Double, to: Double) -> Double {
        to != from ? min(1, max(0, (price - from) / (to - from))) : 0
    }

    /// Moves an order to a new state. The table forbids a move only when the
    /// engine itself is wrong; such a move is recorded (the backtest then fails
    /// with it) rather than dropped or trapped.
    func move(_ id: Int, to state: OrderState, at time: Int64, reason: String? = nil) {
        do { try orders[id].transition(to: state, at: time, reason: reason, recording: recordsHistory) } catch {
            violations.append("\(error) at \(time)\(reason.map { " (\($0))" } ?? "")")
        }
        if state.isTerminal { unswept += 1 }
    }

    /// The exchange will not fill an order: rejected, or, if part of it has
    /// filled already, the rest cancelled with the reason.
    func refuse(_ id: Int, at time: Int64, reason: String) {
        if orders[id].filledQuantity > 0 {
            move(id, to: .cancelled, at: time, reason: "rest cancelled: \(reason)")
        } else {
            move(id, to: .rejected, at: time, reason: reason)
        }
    }

    /// `matchSegment`'s list of hits, empty between stretches.
    var spareHits: [Hit] = []

    /// Bracket children activated by the fill being executed (they join the
    /// rest of the stretch at the fill's price).
    var joined: [Int] = []
    /// Orders placed during a bar (liquidations of positions it opened): they
    /// meet the stretches after the one they joined.
    var lateJoiners: [Int] = []

    /// After a fill: the follower's new or re-priced orders of that symbol join
    /// the rest of the bar at the fill's price.
    func followFill(_ symbol: String, at time: Int64) {
        guard let follower else { return }
        for id in follower.positionChanged(symbol, at: time) where orders[id].symbol == symbol && orders[id].state.isLive {
            joined.append(id)
            if !lateJoiners.contains(id) { lateJoiners.append(id) }
        }
    }

    func activate(_ id: Int, at time: Int64) {
        if orders[id].reduceOnly, portfolio.position(orders[id].symbol, leg: orders[id].leg) == 0 {
            move(id, to: .cancelled, at: time, reason: "reduce-only with no position")
            return
        }
        move(id, to: .working, at: time)
        orders[id].activatedAt = time
    }

    func expire(_ id: Int, at time: Int64, reason: String) {
        move(id, to: orders[id].state == .held ? .cancelled : .expired, at: time, reason: reason)
    }

    /// IOC and FOK market and limit orders trade only at the moment they become
    /// active; stop orders with IOC/FOK trade that way at their trigger.
    static func isImmediate(_ o: Order) -> Bool { isImmediate(o.timeInForce, o.type) }

    static func isImmediate(_ tif: TimeInForce, _ type: OrderType) -> Bool {
        (tif == .ioc || tif == .fok) && (type == .market || type == .limit)
    }

    /// Every live order that the stretch of path from → to reaches, in the order
    /// the price reaches them (FIFO on ties), then their executions. An order in
    /// `starts` became active part-way: it meets only the rest of the stretch,
    /// from that price on, and arrives there as at an open. Bracket children
    /// that a fill activates join the stretch at that fill's price.
    func matchSegment(_ ids: [Int], k: Int, from: Double, to: Double, starts: [Int: Double], _ s: inout BarState) {
        // (One buffer for every stretch, kept between them: most hit one order or none.)
        var hits = spareHits
        spareHits = []
        defer { hits.removeAll(keepingCapacity: true); spareHits = hits }
        var arriving: [Int] = []
        for id in ids where orders[id].state.isLive {
            let start = starts[id] ?? from
            let arrives = k == 0 || starts[id] != nil
            if let h = consider(id, k: k, from: from, start: start, to: to, arrives: arrives, &s) { hits.append(h) }
            if arrives, Self.isImmediate(orders[id].timeInForce, orders[id].type) { arriving.append(id) }
        }
        hits.sort(by: Hit.precedes)
        var i = 0
        while i < hits.count {
            let h = hits[i]
            i += 1
            // (A hit of an order re-priced since is stale: the order joined again.)
            guard orders[h.id].state.isLive, h.level == nil || h.level == orders[h.id].stopPrice else { continue }
            joined.removeAll(keepingCapacity: true)
            fire(h, k: k, from: from, to: to, &s)
            guard !joined.isEmpty else { continue }
            let children = joined
            var more: [Hit] = []
            for id in children where orders[id].state.isLive {
                if let x = consider(id, k: k, from: from, start: h.reference, to: to, arrives: true, &s) { more.append(x) }
            }
            if !more.isEmpty {
                hits += more
                hits[i...].sort(by: Hit.precedes)
            }
        }
        for id in arriving where orders[id].state.isLive { cancelImmediate(id, at: s.bar.time) }
    }

    /// Whether the stretch from `start` to `to` reaches order `id`: its hit, or nil.
    func consider(_ id: Int, k: Int, from: Double, start: Double, to: Double, arrives: Bool, _ s: inout BarState) -> Hit? {
        let type = orders[id].type
        if type == .trailingStop, orders[id].trailAnchor == nil {
            orders[id].trailAnchor = start
            ratchet(id)
        }
        if orders[id].ocoGroup != nil, !s.seenOCO.contains(id), let level = type == .limit ? orders[id].limitPrice : stopLevel(id) {
            s.seenOCO.insert(id)
            s.ocoMembers.append((id, k, start, level))
        }
        if Self.isImmediate(orders[id].timeInForce, type), !arrives { return nil }
        if orders[id].triggerOnMark, type != .limit, type != .market, let m = s.markPath {
            // Triggered on the mark's stretch (starting at the same point of the bar);
            // it then trades at the last price of that moment.
            let mfrom = k == 0 ? m[0] : m[k - 1], mto = m[k]
            let mstart = mfrom + (mto - mfrom) * Self.fraction(start, from: from, to: to)
            guard let (mref, _) = trigger(id, from: mstart, to: mto, atOpen: arrives, barTime: s.bar.time) else { return nil }
            let f = Self.fraction(mref, from: mfrom, to: mto)
            return Hit(fraction: f, id: id, reference: from + (to - from) * f, maker: false, mark: mref, level: orders[id].stopPrice)
        }
        guard let (ref, maker) = trigger(id, from: start, to: to, atOpen: arrives, barTime: s.bar.time) else { return nil }
        if orders[id].postOnly, !maker {
            refuse(id, at: s.bar.time, reason: "post-only order would take liquidity at \(NumberText.readable(ref))")
            return nil
        }
        return Hit(fraction: Self.fraction(ref, from: from, to: to), id: id, reference: ref, maker: maker)
    }

    /// Executes a hit: a stop is triggered first (a stop-limit then needs its
    /// limit on the rest of the stretch); IOC and FOK orders lose what they do
    /// not fill now.
    func fire(_ h: Hit, k: Int, from: Double, to: Double, _ s: inout BarState) {
        let id = h.id
        // (Fields read one by one: a whole copy of the order retains and releases its strings and arrays.)
        let type = orders[id].type, tif = orders[id].timeInForce
        let time = fillTime(id, k: k, from: from, to: to, price: h.reference, s)
        if type != .limit, type != .market, orders[id].state == .working {
            move(id, to: .triggered, at: time, reason: "stop reached at \(NumberText.readable(h.reference))")
        }
        let immediate = tif == .ioc || tif == .fok
        if type == .stopLimit {
            // Now a limit order: it fills if the rest of the stretch reaches its limit
            // (with IOC/FOK: only if the trigger price itself does).
            guard let limit = orders[id].limitPrice else { return }
            let buy = orders[id].side == .buy
            let end = immediate ? h.reference : to
            let reachable = buy ? min(h.reference, end) <= limit : max(h.reference, end) >= limit
            if reachable {
                execute(id, reference: buy ? min(h.reference, limit) : max(h.reference, limit), maker: false, at: time, &s)
            }
        } else {
            if orders[id].tag.role == .liquidation {
                liquidate(id, at: h.mark ?? h.reference, time: time)   // (without mark data the last price is the mark)
            } else {
                execute(id, reference: h.reference, maker: h.maker, at: time, &s)
            }
        }
        if immediate, orders[id].state.isLive { cancelImmediate(id, at: time) }
    }

    func cancelImmediate(_ id: Int, at time: Int64) {
        let o = orders[id]
        let reason = o.filledQuantity > 0 ? "\(o.timeInForce.rawValue): unfilled rest cancelled"
                                           : "\(o.timeInForce.rawValue): not marketable when active"
        move(id, to: .cancelled, at: time, reason: reason)
    }

    /// When a fill happens: the bar's time, unless the order became active
    /// part-way through the bar (latency, or a bracket child of such an order),
    /// then the moment the path reaches the price, time being spread evenly over
    /// the path's three stretches.
    func fillTime(_ id: Int, k: Int, from: Double, to: Double, price: Double, _ s: BarState) -> Int64 {
        guard let active = orders[id].activatedAt, active > s.bar.time, let end = s.end, end > s.bar.time else { return s.bar.time }
        let within = to != from ? min(1, max(0, (price - from) / (to - from))) : 0
        let fraction = k == 0 ? 0 : (Double(k - 1) + within) / 3
        // The close is reached just before the bar ends (the end belongs to the next bar).
        return min(end - 1, max(active, s.bar.time + Int64((Double(end - s.bar.time) * fraction).rounded(.down))))
    }

    /// The price at which order `id` trades on this stretch, and whether it adds
    /// liquidity (a resting limit), or nil if the stretch does not reach it.
    func trigger(_ id: Int, from: Double, to: Double, atOpen: Bool, barTime: Int64) -> (Double, Bool)? {
        let lo = min(from, to), hi = max(from, to)
        let type = orders[id].type, state = orders[id].state, side = orders[id].side
        // A stop that has fired trades on as a market order (stop-limit: as a limit).
        let fired = state == .triggered || state == .partiallyFilled
        switch type {
        case .market:
            return atOpen ? (from, false) : nil
        case .stop, .trailingStop, .stopLimit where !(type == .stopLimit && fired):
            if fired { return atOpen ? (from, false) : nil }
            guard let st = stopLevel(id) else { return nil }
            if side == .buy, hi >= st { return (from >= st ? from : st, false) }
            if side == .sell, lo <= st { return (from <= st ? from : st, false) }
            return nil
        default:
            // A limit (or a fired stop-limit). Already beyond its limit when the
            // stretch starts: it fills at that better price, taking liquidity if it
            // only became active on this bar (marketable on arrival), else as a
            // resting order hit by a gap. Reached during the stretch: at the limit.
            guard let l = orders[id].limitPrice else { return nil }
            let resting = type == .limit && (orders[id].activatedAt ?? .min) < barTime
            if side == .buy, lo <= l { return from <= l ? (from, resting) : (l, type == .limit) }
            if side == .sell, hi >= l { return from >= l ? (from, resting) : (l, type == .limit) }
            return nil
        }
    }

    func stopLevel(_ id: Int) -> Double? {
        guard orders[id].type == .trailingStop else { return orders[id].stopPrice }
        guard let trail = orders[id].trail, let anchor = orders[id].trailAnchor else { return nil }
        return orders[id].trailLevel ?? trail.stop(anchor: anchor, side: orders[id].side)
    }

    func stopLevel(_ o: Order) -> Double? { stopLevel(o.id) }

    /// Trailing stops ratchet towards the price, never away from it.
    func updateTrails(_ ids: [Int], price last: Double, mark: Double? = nil) {
        for id in ids where orders[id].type == .trailingStop && orders[id].state.isLive {
            let price = orders[id].triggerOnMark ? mark ?? last : last
            let a = orders[id].trailAnchor ?? price
            orders[id].trailAnchor = orders[id].side == .sell ? max(a, price) : min(a, price)
            ratchet(id)
        }
    }

    /// Fills as much of an order as the bar allows at `reference` (before spread,
    /// slippage and tick rounding), then handles OCO siblings and bracket children.
    func execute(_ id: Int, reference: Double, maker: Bool, at time: Int64, _ s: inout BarState) {
        // (Fields read one by one: a whole copy of the order retains and releases its strings and arrays.)
        let symbol = orders[id].symbol, side = orders[id].side, leg = orders[id].leg, reduceOnly = orders[id].reduceOnly
        let quantity = orders[id].quantity, filled = orders[id].filledQuantity
        let liquidity: Liquidity = maker ? .maker : .taker
        let feeRate = models.fees.rate(liquidity, symbol: symbol)
        // Quantity: fixed, the rest of the position (reduce-only, unsized), or all the cash allows.
        var want: Double
        let held = reduceOnly ? portfolio.position(symbol, leg: leg) : 0   // (only reduce-only orders look at it)
        if let r = orders[id].remaining {
            want = r
        } else if reduceOnly {
            want = abs(held)
        } else {
            let estimate = price(reference, symbol, side, liquidity, quantity: 0, time: time, s).price
            want = portfolio.affordable(symbol: symbol, side: side, price: estimate, feeRate: feeRate, leg: leg)
            if let cap = orders[id].notionalCap { want = min(want, cap / estimate) }
        }
        if reduceOnly {
            let reducible = (side == .sell && held > 0) || (side == .buy && held < 0) ? abs(held) : 0
            want = min(want, reducible)
            if want <= 0 {
                move(id, to: .cancelled, at: time, reason: "reduce-only with no position to reduce")
                return
            }
        }
        let lot = config.lot(symbol)
        if let lot { want = Self.wholeLots(want, lot) }
        var q = want
        if let shown = orders[id].displayQuantity { q = min(q, max(0, shown - (s.filledThisBar[id] ?? 0))) }
        q = min(q, s.volumeLeft)
        if let lot { q = Self.wholeLots(q, lot) }
        // The fill model prices the quantity (and may take less of it, e.g. what a book holds).
        let taken = q > 0 ? self.price(reference, symbol, side, liquidity, quantity: q, time: time, s) : (price: reference, quantity: 0)
        var price = taken.price
        if taken.quantity < q { q = lot.map { Self.wholeLots(taken.quantity, $0) } ?? taken.quantity }
        var cut: String?
        // Limits on value are judged at the market's price (the reference), before costs.
        if q > 0, let pre = preTrade, let (allowed, why) = pre.allowed(orders[id], quantity: q, price: reference) {
            q = lot.map { Self.wholeLots(allowed, $0) } ?? allowed
            cut = why
            if q <= 0 { return refuse(id, at: time, reason: why) }
            price = self.price(reference, symbol, side, liquidity, quantity: q, time: time, s).price   // priced for what fills
        }
        if orders[id].timeInForce == .fok, q < want * (1 - 1e-12) {
            move(id, to: .cancelled, at: time, reason: "fill-or-kill: only \(NumberText.readable(q)) of \(NumberText.readable(want)) available")
            return
        }
        guard q > 0 else {
            if quantity == nil && !reduceOnly {
                refuse(id, at: time, reason: "not enough cash for one lot")
            }
            return
        }
        // The exchange judges the whole order against its minimum notional, once.
        if filled == 0, !config.instruments.isEmpty, let least = config.instruments[symbol]?.minNotional, want * price < least {
            move(id, to: .rejected, at: time, reason: "worth \(NumberText.readable(want * price)), below \(symbol)'s minimum notional of \(NumberText.readable(least))")
            return
        }
        let fee = abs(q * price) * feeRate
        if let reason = portfolio.check(symbol: symbol, side: side, quantity: q, price: price, fee: fee, leg: leg) {
            refuse(id, at: time, reason: reason)
            return
        }
        var fill = Fill(order: id, symbol: symbol, side: side, quantity: q, price: price, fee: fee, time: time,
                        liquidity: liquidity, reference: reference)
        fill.leg = leg
        portfolio.apply(fill)
        fill.positionAfter = portfolio.position(symbol, leg: leg)
        fills.append(fill)
        s.volumeLeft -= q
        if orders[id].displayQuantity != nil { s.filledThisBar[id, default: 0] += q }
        let total = filled + q
        orders[id].averageFillPrice = filled == 0 ? price : orders[id].averageFillPrice + (price - orders[id].averageFillPrice) * (q / total)
        orders[id].filledQuantity = total
        if quantity == nil { orders[id].quantity = want }   // sized now
        let done = orders[id].remaining.map { $0 <= 1e-12 * max(1, total) } ?? true
        move(id, to: done ? .filled : .partiallyFilled, at: time)
        if let cut, !done, orders[id].state.isLive { move(id, to: .cancelled, at: time, reason: "rest cancelled: \(cut)") }
        if let group = orders[id].ocoGroup {
            for other in book[slotOf[id]] where other != id && orders[other].ocoGroup == group && !orders[other].state.isTerminal {
                move(other, to: .cancelled, at: time, reason: "OCO: order \(id) filled")
            }
        }
        if done { activateChildren(of: id, at: time) }
        followFill(symbol, at: time)
        if fill.positionAfter == 0 {
            // Nothing is left to reduce: other reduce-only orders go, and so does
            // the rest of this one if it asked for more than the position held.
            for other in book[slotOf[id]] where orders[other].reduceOnly && orders[other].leg == leg && orders[other].state.isLive {
                move(other, to: .cancelled, at: time, reason: other == id ? "rest cancelled: the position is closed" : "position closed")
            }
        }
    }

    /// Clearance fee rates of liquidations, per symbol (a fraction of the notional).
    public var liquidationFee: [String: Double] = [:]
    /// Cross margin in hedge mode: a symbol's legs share one liquidation, which
    /// closes both (the other leg first, so its gain counts before the loss).
    public var liquidationClosesSymbol = false

    /// A liquidation: the whole position (leg) closes at `price` (the mark where
    /// the liquidation price was reached, or the mark's open on a gap through
    /// it), with no spread or slippage, paying the clearance fee on that notional.
    func liquidate(_ id: Int, at price: Double, time: Int64) {
        let o = orders[id]
        let held = portfolio.position(o.symbol, leg: o.leg)
        guard held != 0, (held > 0) == (o.side == .sell) else { return move(id, to: .cancelled, at: time, reason: "no position to liquidate") }
        if liquidationClosesSymbol, let leg = o.leg, portfolio.position(o.symbol, leg: leg == .long ? .short : .long) != 0 {
            var other = Order(id: 0, symbol: o.symbol, side: o.side.opposite, type: .market, quantity: nil)
            other.reduceOnly = true
            other.leg = leg == .long ? .short : .long
            other.tag = o.tag
            let companion = submit(other, at: time)
            move(companion, to: .working, at: time)
            closeLiquidated(companion, at: price, time: time)
        }
        closeLiquidated(id, at: price, time: time)
    }

    func closeLiquidated(_ id: Int, at price: Double, time: Int64) {
        let o = orders[id]
        let q = abs(portfolio.position(o.symbol, leg: o.leg))
        let fee = q * price * (liquidationFee[o.symbol] ?? 0)
        var fill = Fill(order: id, symbol: o.symbol, side: o.side, quantity: q, price: price, fee: fee, time: time,
                        liquidity: .taker, reference: price)
        fill.liquidation = true
        fill.leg = o.leg
        portfolio.apply(fill)
        fill.positionAfter = portfolio.position(o.symbol, leg: o.leg)
        fills.append(fill)
        orders[id].averageFillPrice = price
        orders[id].filledQuantity = q
        orders[id].quantity = q
        move(id, to: .filled, at: time, reason: "liquidated at the mark \(NumberText.readable(price))")
        for other in book[slotOf[id]] where orders[other].reduceOnly && orders[other].leg == o.leg && orders[other].state.isLive && other != id {
            move(other, to: .cancelled, at: time, reason: "position liquidated")
        }
        followFill(o.symbol, at: time)
    }

    /// Bracket children become active at their parent's fill; prices given as
    /// offsets from the entry are fixed now.
    func activateChildren(of parent: Int, at time: Int64) {
        for id in book[slotOf[parent]] where orders[id].parent == parent && orders[id].state == .held {
            if orders[id].quantity == nil { orders[id].quantity = orders[parent].filledQuantity }
            let entry = orders[parent].averageFillPrice
            if let f = orders[id].entryOffsets.stop { orders[id].stopPrice = entry * (1 + f) }
            if let f = orders[id].entryOffsets.limit { orders[id].limitPrice = entry * (1 + f) }
            if orders[id].type == .trailingStop {
                orders[id].trailAnchor = entry
                orders[id].trailLevel = nil
                ratchet(id)
            }
            move(id, to: .working, at: time, reason: "parent \(parent) filled")
            orders[id].activatedAt = time
            joined.append(id)
        }
    }

    /// The fill price: a maker's is the reference; a taker's comes from the fill
    /// model (by default: across the half-spread, plus slippage). Then it is
    /// rounded to the tick against the trader.
    func price(_ reference: Double, _ symbol: String, _ side: OrderSide, _ liquidity: Liquidity, quantity: Double, time: Int64,
               _ s: BarState) -> (price: Double, quantity: Double) {
        var p = reference, q = quantity
        if liquidity == .taker {
            (p, q) = models.fill.take(TakerRequest(symbol: symbol, side: side, quantity: quantity, reference: reference, time: time,
                                                  bar: s.bar, halfSpread: s.halfSpread, slippage: models.slippage,
                                                  capped: config.participation != nil))
        }
        if let tick = config.tick(symbol) { p = roundToTick(p, tick, up: side == .buy) }
        return (p, q)
    }

    func roundToTick(_ p: Double, _ tick: Double, up: Bool) -> Double {
        let steps = p / tick
        let r = (steps - steps.rounded()).magnitude < 1e-9 ? steps.rounded() : (up ? steps.rounded(.up) : steps.rounded(.down))
        return r * tick
    }

    /// Drops terminal orders from the book (only when some order has ended
    /// since: most bars end none, and sweeping costs more than matching them).
    func compact(_ slot: Int) {
        guard unswept > 0 else { return }
        var removed = 0
        book[slot].removeAll { id in
            guard orders[id].state.isTerminal else { return false }
            removed += 1
            return true
        }
        booked -= removed
        unswept = max(0, unswept - removed)
    }
}
