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
    public let portfolio: any Portfolio
    public private(set) var orders: [Order] = []
    public private(set) var fills: [Fill] = []
    /// Bars where a stop and a take of the same bracket were both touched: the
    /// path decided which filled.
    public private(set) var ambiguousBars = 0
    /// Live, pending and held orders per symbol, in submission order.
    var book: [String: [Int]] = [:]
    /// Orders in the book over all symbols (a quick "nothing to do" test).
    var booked = 0
    /// End of the trading day each DAY order belongs to.
    var dayEnds: [Int: Int64] = [:]

    public init(config: ExecutionConfig, portfolio: any Portfolio) {
        self.config = config
        self.portfolio = portfolio
    }

    public var nextID: Int { orders.count }
    /// Whether any order is open (pending, held or live) on any symbol.
    public var hasOpenOrders: Bool { booked > 0 }

    // MARK: Order entry

    /// Sends an order at `time`; it becomes active after the configured latency,
    /// or, as a bracket child (`parent` set), when its parent fills.
    @discardableResult
    public func submit(_ order: Order, at time: Int64) -> Int {
        var o = order
        o.id = orders.count
        o.sentAt = time
        o.activeAt = time + config.latency
        if let tick = config.tick(o.symbol) {
            // Resting prices sit on the tick grid, rounded away from the market's favour.
            let up = o.side == .sell
            o.limitPrice = o.limitPrice.map { roundToTick($0, tick, up: up) }
            o.stopPrice = o.stopPrice.map { roundToTick($0, tick, up: !up) }
        }
        o.start(o.parent == nil ? .pending : .held, at: time)
        if o.timeInForce == .day { dayEnds[o.id] = config.session.dayEnd(after: time) }
        orders.append(o)
        if let q = o.quantity, q <= 0 || !q.isFinite {
            try? orders[o.id].transition(to: .rejected, at: time, reason: "quantity must be positive, got \(q)")
        } else if let p = o.limitPrice ?? o.stopPrice, !(p > 0) || !p.isFinite {
            try? orders[o.id].transition(to: .rejected, at: time, reason: "price must be positive, got \(p)")
        } else {
            book[o.symbol, default: []].append(o.id)
            booked += 1
        }
        return o.id
    }

    /// Cancels a live, pending or held order (and, for a bracket parent, its children).
    public func cancel(_ id: Int, at time: Int64, reason: String = "cancelled") throws {
        try orders[id].transition(to: .cancelled, at: time, reason: reason)
        for child in orders.indices where orders[child].parent == id && orders[child].state == .held {
            try orders[child].transition(to: .cancelled, at: time, reason: "parent \(id) cancelled")
        }
    }

    /// Changes a resting order's quantity or prices; it keeps its place in the
    /// queue unless its price changes (then it goes to the back, as on an exchange).
    public func modify(_ id: Int, quantity: Double? = nil, limitPrice: Double? = nil, stopPrice: Double? = nil, at time: Int64) throws {
        let o = orders[id]
        guard !o.state.isTerminal else { throw IllegalTransition(order: id, from: o.state, to: o.state) }
        if let q = quantity {
            guard q > o.filledQuantity else { throw IllegalTransition(order: id, from: o.state, to: .filled) }
            orders[id].quantity = q
        }
        let repriced = (limitPrice != nil && limitPrice != o.limitPrice) || (stopPrice != nil && stopPrice != o.stopPrice)
        if let l = limitPrice { orders[id].limitPrice = l }
        if let s = stopPrice { orders[id].stopPrice = s }
        if o.state == .working { try orders[id].transition(to: .working, at: time, reason: "modified") }
        if repriced, var queue = book[o.symbol], let at = queue.firstIndex(of: id) {
            queue.remove(at: at)
            queue.append(id)
            book[o.symbol] = queue
        }
    }

    /// Cancels every order of a symbol still open (`flatten`, `cancel all`).
    public func cancelAll(symbol: String, side: OrderSide? = nil, at time: Int64, reason: String) {
        for id in book[symbol] ?? [] where !orders[id].state.isTerminal && (side == nil || orders[id].side == side) {
            try? cancel(id, at: time, reason: reason)
        }
        compact(symbol)
    }

    /// Sets the distance of a trailing stop that follows a series.
    public func setTrail(_ id: Int, _ trail: TrailDistance) {
        orders[id].trail = trail
    }

    public func openOrders(_ symbol: String) -> [Order] {
        (book[symbol] ?? []).map { orders[$0] }.filter { !$0.state.isTerminal }
    }

    // MARK: Matching

    /// Matches one bar of `symbol` against its orders; fills go to the portfolio.
    /// `halfSpread` (a fraction of the price) comes from the data's bid/ask when known.
    /// `end`: when the bar ends. An order whose latency runs out inside the bar
    /// then joins its path at that moment, time being spread evenly over the
    /// path's three stretches (without `end`, it waits for the next bar).
    @discardableResult
    public func process(_ bar: Bar, symbol: String, halfSpread: Double? = nil, end: Int64? = nil) -> [Fill] {
        guard booked > 0, let ids = book[symbol], !ids.isEmpty else { return [] }
        let time = bar.time
        var joins: [Int: Double] = [:]     // order → the fraction of the bar at which it joins
        for id in ids {
            let o = orders[id]
            if o.state == .pending, o.activeAt <= time {
                activate(id, at: time)
            } else if o.state == .pending, let end, end > time, o.activeAt < end {
                activate(id, at: o.activeAt)
                joins[id] = Double(o.activeAt - time) / Double(end - time)
            }
            guard orders[id].state.isLive || orders[id].state == .held else { continue }
            if o.timeInForce == .gtd, let end = o.expireAt, time >= end {
                expire(id, at: time, reason: "good-till-date reached")
            } else if o.timeInForce == .day, let end = dayEnds[id], time >= end {
                expire(id, at: time, reason: "end of the trading day")
            }
        }
        guard config.session.isOpen(time) else { compact(symbol); return [] }
        countAmbiguity(bar, ids)

        let path = bar.high - bar.open <= bar.open - bar.low
            ? [bar.open, bar.high, bar.low, bar.close] : [bar.open, bar.low, bar.high, bar.close]
        var state = BarState(bar: bar, halfSpread: halfSpread ?? config.halfSpread,
                             volumeLeft: config.participation.map { $0 * bar.volume } ?? .infinity)
        let before = fills.count
        let live = ids     // no order is added while a bar is matched
        for k in path.indices {
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
            matchSegment(active, from: from, to: to, atOpen: k == 0, starts: starts, &state)
            updateTrails(active, price: to)
        }
        // IOC and FOK orders get one bar.
        for id in live where orders[id].state.isLive {
            if orders[id].timeInForce == .ioc || orders[id].timeInForce == .fok {
                try? orders[id].transition(to: .cancelled, at: time, reason: "\(orders[id].timeInForce.rawValue): unfilled rest cancelled")
            }
        }
        compact(symbol)
        return Array(fills[before...])
    }

    /// Fills market orders sent at a bar's close at that close (`--fill close`).
    /// With a latency there is no filling at the close: such orders stay pending
    /// and meet the next bar once active.
    @discardableResult
    public func fillAtClose(_ bar: Bar, symbol: String, halfSpread: Double? = nil) -> [Fill] {
        let before = fills.count
        var state = BarState(bar: bar, halfSpread: halfSpread ?? config.halfSpread, volumeLeft: .infinity)
        for id in book[symbol] ?? [] where orders[id].type == .market && orders[id].state == .pending
            && orders[id].activeAt == orders[id].sentAt {
            activate(id, at: bar.time)
            if orders[id].state.isLive { execute(id, reference: bar.close, maker: false, &state) }
        }
        compact(symbol)
        return Array(fills[before...])
    }

    struct BarState {
        var bar: Bar
        var halfSpread: Double
        var volumeLeft: Double
        var filledThisBar: [Int: Double] = [:]
    }

    func activate(_ id: Int, at time: Int64) {
        let o = orders[id]
        if o.reduceOnly, portfolio.position(o.symbol) == 0 {
            try? orders[id].transition(to: .cancelled, at: time, reason: "reduce-only with no position")
            return
        }
        try? orders[id].transition(to: .working, at: time)
        orders[id].activatedAt = time
    }

    func expire(_ id: Int, at time: Int64, reason: String) {
        try? orders[id].transition(to: orders[id].state == .held ? .cancelled : .expired, at: time, reason: reason)
    }

    /// Every live order that the stretch of path from → to reaches, in the order
    /// the price reaches them (FIFO on ties), then their executions. An order in
    /// `starts` became active part-way: it meets only the rest of the stretch,
    /// from that price on, and arrives there as at an open.
    func matchSegment(_ ids: [Int], from: Double, to: Double, atOpen: Bool, starts: [Int: Double] = [:], _ s: inout BarState) {
        var hits: [(distance: Double, id: Int, reference: Double, maker: Bool)] = []
        for id in ids where orders[id].state.isLive {
            let o = orders[id]
            let start = starts[id] ?? from
            if o.type == .trailingStop, o.trailAnchor == nil { orders[id].trailAnchor = start }
            guard let (ref, maker) = trigger(orders[id], from: start, to: to, atOpen: atOpen || starts[id] != nil, barTime: s.bar.time)
            else { continue }
            if o.postOnly, !maker {
                try? orders[id].transition(to: .rejected, at: s.bar.time, reason: "post-only order would take liquidity at \(ref)")
                continue
            }
            hits.append((abs(ref - from), id, ref, maker))
        }
        hits.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
        for h in hits where orders[h.id].state.isLive {
            let wasWorking = orders[h.id].state == .working
            if orders[h.id].type != .limit, orders[h.id].type != .market, wasWorking {
                try? orders[h.id].transition(to: .triggered, at: s.bar.time, reason: "stop reached at \(h.reference)")
            }
            if orders[h.id].type == .stopLimit {
                // Now a limit order: it fills if the rest of the stretch reaches its limit.
                guard let limit = orders[h.id].limitPrice else { continue }
                let buy = orders[h.id].side == .buy
                let reachable = buy ? min(h.reference, to) <= limit : max(h.reference, to) >= limit
                guard reachable else { continue }
                let price = buy ? min(h.reference, limit) : max(h.reference, limit)
                execute(h.id, reference: price, maker: false, &s)
            } else {
                execute(h.id, reference: h.reference, maker: h.maker, &s)
            }
        }
    }

    /// The price at which an order trades on this stretch, and whether it adds
    /// liquidity (a resting limit), or nil if the stretch does not reach it.
    func trigger(_ o: Order, from: Double, to: Double, atOpen: Bool, barTime: Int64) -> (Double, Bool)? {
        let lo = min(from, to), hi = max(from, to)
        // A stop that has fired trades on as a market order (stop-limit: as a limit).
        let fired = o.state == .triggered || o.state == .partiallyFilled
        switch o.type {
        case .market:
            return atOpen ? (from, false) : nil
        case .stop, .trailingStop, .stopLimit where !(o.type == .stopLimit && fired):
            if fired { return atOpen ? (from, false) : nil }
            guard let st = stopLevel(o) else { return nil }
            if o.side == .buy, hi >= st { return (from >= st ? from : st, false) }
            if o.side == .sell, lo <= st { return (from <= st ? from : st, false) }
            return nil
        default:
            // A limit (or a fired stop-limit). Already beyond its limit when the
            // stretch starts: it fills at that better price, taking liquidity if it
            // only became active on this bar (marketable on arrival), else as a
            // resting order hit by a gap. Reached during the stretch: at the limit.
            guard let l = o.limitPrice else { return nil }
            let resting = o.type == .limit && (o.activatedAt ?? .min) < barTime
            if o.side == .buy, lo <= l { return from <= l ? (from, resting) : (l, o.type == .limit) }
            if o.side == .sell, hi >= l { return from >= l ? (from, resting) : (l, o.type == .limit) }
            return nil
        }
    }

    func stopLevel(_ o: Order) -> Double? {
        if o.type == .trailingStop {
            guard let trail = o.trail, let anchor = o.trailAnchor else { return nil }
            return trail.stop(anchor: anchor, side: o.side)
        }
        return o.stopPrice
    }

    /// Trailing stops ratchet towards the price, never away from it.
    func updateTrails(_ ids: [Int], price: Double) {
        for id in ids where orders[id].type == .trailingStop && orders[id].state.isLive {
            let a = orders[id].trailAnchor ?? price
            orders[id].trailAnchor = orders[id].side == .sell ? max(a, price) : min(a, price)
        }
    }

    /// Fills as much of an order as the bar allows at `reference` (before spread,
    /// slippage and tick rounding), then handles OCO siblings and bracket children.
    func execute(_ id: Int, reference: Double, maker: Bool, _ s: inout BarState) {
        let o = orders[id]
        let time = s.bar.time
        let feeRate = maker ? config.makerFee : config.takerFee
        // Quantity: fixed, the rest of the position (reduce-only, unsized), or all the cash allows.
        var want: Double
        let held = portfolio.position(o.symbol)
        if let r = o.remaining {
            want = r
        } else if o.reduceOnly {
            want = abs(held)
        } else {
            want = portfolio.affordable(symbol: o.symbol, side: o.side, price: adjusted(reference, o, maker: maker, quantity: 0, s), feeRate: feeRate)
        }
        if o.reduceOnly {
            let reducible = (o.side == .sell && held > 0) || (o.side == .buy && held < 0) ? abs(held) : 0
            want = min(want, reducible)
            if want <= 0 {
                try? orders[id].transition(to: .cancelled, at: time, reason: "reduce-only with no position to reduce")
                return
            }
        }
        let lot = config.lot(o.symbol)
        if let lot { want = (want / lot + 1e-9).rounded(.down) * lot }
        var q = want
        if let shown = o.displayQuantity { q = min(q, max(0, shown - (s.filledThisBar[id] ?? 0))) }
        q = min(q, s.volumeLeft)
        if let lot { q = (q / lot + 1e-9).rounded(.down) * lot }
        if o.timeInForce == .fok, q < want * (1 - 1e-12) {
            try? orders[id].transition(to: .cancelled, at: time, reason: "fill-or-kill: only \(q) of \(want) available")
            return
        }
        guard q > 0 else {
            if o.quantity == nil && !o.reduceOnly {
                try? orders[id].transition(to: .rejected, at: time, reason: "not enough cash for one lot")
            }
            return
        }
        let price = adjusted(reference, o, maker: maker, quantity: q, s)
        // The exchange judges the whole order against its minimum notional, once.
        if o.filledQuantity == 0, let least = config.instruments[o.symbol]?.minNotional, want * price < least {
            try? orders[id].transition(to: .rejected, at: time, reason: "worth \(want * price), below \(o.symbol)'s minimum notional of \(least)")
            return
        }
        let fee = abs(q * price) * feeRate
        if let reason = portfolio.check(symbol: o.symbol, side: o.side, quantity: q, price: price, fee: fee) {
            try? orders[id].transition(to: .rejected, at: time, reason: reason)
            return
        }
        let fill = Fill(order: id, symbol: o.symbol, side: o.side, quantity: q, price: price, fee: fee, time: time,
                        liquidity: maker ? "maker" : "taker")
        portfolio.apply(fill)
        fills.append(fill)
        s.volumeLeft -= q
        s.filledThisBar[id, default: 0] += q
        let total = o.filledQuantity + q
        orders[id].averageFillPrice = o.filledQuantity == 0 ? price : o.averageFillPrice + (price - o.averageFillPrice) * (q / total)
        orders[id].filledQuantity = total
        if o.quantity == nil { orders[id].quantity = want }   // sized now
        let done = orders[id].remaining.map { $0 <= 1e-12 * max(1, total) } ?? true
        try? orders[id].transition(to: done ? .filled : .partiallyFilled, at: time)
        if let group = o.ocoGroup {
            for other in book[o.symbol] ?? [] where other != id && orders[other].ocoGroup == group && !orders[other].state.isTerminal {
                try? orders[other].transition(to: .cancelled, at: time, reason: "OCO: order \(id) filled")
            }
        }
        if done { activateChildren(of: id, at: time) }
        if portfolio.position(o.symbol) == 0 {
            for other in book[o.symbol] ?? [] where orders[other].reduceOnly && orders[other].state.isLive && other != id {
                try? orders[other].transition(to: .cancelled, at: time, reason: "position closed")
            }
        }
    }

    /// Bracket children become active at their parent's fill; prices given as
    /// offsets from the entry are fixed now.
    func activateChildren(of parent: Int, at time: Int64) {
        let entry = orders[parent]
        for id in book[entry.symbol] ?? [] where orders[id].parent == parent && orders[id].state == .held {
            if orders[id].quantity == nil { orders[id].quantity = entry.filledQuantity }
            if let f = orders[id].entryOffsets.stop { orders[id].stopPrice = entry.averageFillPrice * (1 + f) }
            if let f = orders[id].entryOffsets.limit { orders[id].limitPrice = entry.averageFillPrice * (1 + f) }
            if orders[id].type == .trailingStop { orders[id].trailAnchor = entry.averageFillPrice }
            try? orders[id].transition(to: .working, at: time, reason: "parent \(parent) filled")
            orders[id].activatedAt = time
        }
    }

    /// The fill price: takers cross the half-spread and pay slippage; then the
    /// price is rounded to the tick against the trader.
    func adjusted(_ reference: Double, _ o: Order, maker: Bool, quantity: Double, _ s: BarState) -> Double {
        let side = o.side
        var p = reference
        if !maker {
            let slip = config.slippage.fraction(quantity: quantity, barVolume: s.bar.volume)
            p *= 1 + side.sign * (s.halfSpread + slip)
        }
        if let tick = config.tick(o.symbol) { p = roundToTick(p, tick, up: side == .buy) }
        return p
    }

    func roundToTick(_ p: Double, _ tick: Double, up: Bool) -> Double {
        let steps = p / tick
        let r = (steps - steps.rounded()).magnitude < 1e-9 ? steps.rounded() : (up ? steps.rounded(.up) : steps.rounded(.down))
        return r * tick
    }

    /// A bar where both the stop and the take of one bracket were reachable.
    func countAmbiguity(_ bar: Bar, _ ids: [Int]) {
        var groups: [Int: (stop: Bool, take: Bool)] = [:]
        for id in ids where orders[id].state.isLive {
            let o = orders[id]
            guard let g = o.ocoGroup else { continue }
            switch o.type {
            case .limit:
                if let l = o.limitPrice, o.side == .sell ? bar.high >= l : bar.low <= l { groups[g, default: (false, false)].take = true }
            case .stop, .stopLimit, .trailingStop:
                let st = o.type == .trailingStop ? o.trail.map { $0.stop(anchor: o.trailAnchor ?? bar.open, side: o.side) } : o.stopPrice
                if let st, o.side == .sell ? bar.low <= st : bar.high >= st { groups[g, default: (false, false)].stop = true }
            case .market: break
            }
        }
        if groups.values.contains(where: { $0.stop && $0.take }) { ambiguousBars += 1 }
    }

    /// Drops terminal orders from the book.
    func compact(_ symbol: String) {
        var removed = 0
        book[symbol]?.removeAll { id in
            guard orders[id].state.isTerminal else { return false }
            removed += 1
            return true
        }
        booked -= removed
    }
}
