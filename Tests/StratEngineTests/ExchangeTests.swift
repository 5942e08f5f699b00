import StratMarket
@testable import StratEngine
import Testing

let hour: Int64 = 3_600_000

/// Hand-built hourly bars starting at 2024-01-01T00:00Z.
func bars(_ ohlc: [(Double, Double, Double, Double)], volume: Double = 1_000) -> [Bar] {
    ohlc.enumerated().map { i, x in
        Bar(time: 1_704_067_200_000 + Int64(i) * hour, open: x.0, high: x.1, low: x.2, close: x.3, volume: volume)
    }
}

/// A small market: one symbol, a spot portfolio, an exchange; orders are sent at
/// a bar's close and meet the following bars.
final class Market {
    let portfolio: SpotPortfolio
    let exchange: SimulatedExchange
    let series: [Bar]
    var next = 0
    /// Tell the exchange when each bar ends (orders may then join a bar part-way).
    var timed = false

    init(_ series: [Bar], cash: Double = 100_000, config: ExecutionConfig = ExecutionConfig(), allowShort: Bool = false) {
        self.series = series
        portfolio = SpotPortfolio(cash: cash, allowShort: allowShort)
        exchange = SimulatedExchange(config: config, portfolio: portfolio)
    }

    /// The close time of the bar before the next one to run.
    var now: Int64 { next == 0 ? series[0].time : series[next - 1].time + hour }

    @discardableResult
    func send(_ side: OrderSide, _ type: OrderType, _ qty: Double?, limit: Double? = nil, stop: Double? = nil,
              _ edit: (inout Order) -> Void = { _ in }) -> Int {
        var o = Order(id: 0, symbol: "X", side: side, type: type, quantity: qty)
        o.limitPrice = limit
        o.stopPrice = stop
        edit(&o)
        return exchange.submit(o, at: now)
    }

    /// Runs the next `n` bars; returns their fills.
    @discardableResult
    func run(_ n: Int = 1) -> [Fill] {
        var out: [Fill] = []
        for _ in 0..<n {
            let made = exchange.process(series[next], symbol: "X", end: timed ? series[next].time + hour : nil)
            out += exchange.fills[made]
            next += 1
        }
        return out
    }

    func order(_ id: Int) -> Order { exchange.orders[id] }
}

@Suite struct OrderLifecycleTests {
    /// A batch's points keep no history of events; the orders go through the same states.
    @Test func withoutHistoryTheStatesAreTheSame() {
        func run(_ recording: Bool) -> [Order] {
            let m = Market(bars([(100, 101, 99, 100), (100, 101, 99, 100)]))
            m.exchange.recordsHistory = recording
            m.send(.buy, .market, 1)
            m.send(.sell, .limit, 0, limit: 100)
            m.run(2)
            return m.exchange.orders
        }
        let kept = run(true), lean = run(false)
        #expect(kept.map(\.state) == [.filled, .rejected] && lean.map(\.state) == kept.map(\.state))
        #expect(kept.map(\.history.count) == [3, 2] && lean.allSatisfy { $0.history.isEmpty })
        #expect(lean.map(\.averageFillPrice) == kept.map(\.averageFillPrice))
    }

    @Test func everyPairOfStatesIsLegalOrIllegalAsTheTableSays() throws {
        var legal = 0, illegal = 0
        for from in OrderState.allCases {
            for to in OrderState.allCases {
                var o = Order(id: 7, symbol: "X", side: .buy, type: .limit, quantity: 1)
                o.start(from, at: 0)
                if OrderState.allowed[from]!.contains(to) {
                    try o.transition(to: to, at: 1)
                    #expect(o.state == to)
                    #expect(o.history.last == OrderEvent(time: 1, state: to, reason: nil))
                    legal += 1
                } else {
                    #expect(throws: IllegalTransition(order: 7, from: from, to: to)) { try o.transition(to: to, at: 1) }
                    #expect(o.state == from)
                    illegal += 1
                }
            }
        }
        #expect(legal == 24 && illegal == 57)
        #expect(OrderState.allCases.filter(\.isTerminal) == [.filled, .cancelled, .rejected, .expired])
    }

    @Test func cancellingAFilledOrderIsAnError() throws {
        let m = Market(bars([(100, 101, 99, 100), (100, 101, 99, 100)]))
        let id = m.send(.buy, .market, 1)
        m.run()
        #expect(m.order(id).state == .filled)
        #expect(throws: IllegalTransition.self) { try m.exchange.cancel(id, at: m.now) }
        #expect(throws: IllegalTransition.self) { try m.exchange.modify(id, quantity: 2, at: m.now) }
    }
}

@Suite struct OrderTypeTests {
    @Test func marketOrderFillsAtTheNextOpen() {
        let m = Market(bars([(100, 105, 95, 102), (103, 106, 101, 104)]))
        m.run()
        let id = m.send(.buy, .market, 10)
        let f = m.run()
        #expect(f == [Fill(order: id, symbol: "X", side: .buy, quantity: 10, price: 103, fee: 0, time: m.series[1].time, liquidity: .taker, positionAfter: 10, reference: 103)])
        #expect(m.portfolio.cash == 100_000 - 1030)
        #expect(m.order(id).history.map(\.state) == [.pending, .working, .filled])
    }

    @Test func limitBuyFillsAtItsLimitOrAtABetterOpen() {
        // Bar 1 path O→H→L→C (high nearer): 100 → 101 → 94 → 96; the limit 95 is reached on the way down.
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 94, 96), (90, 92, 89, 91)]))
        m.run()
        let a = m.send(.buy, .limit, 1, limit: 95)
        let b = m.send(.buy, .limit, 1, limit: 93)
        #expect(m.run().map(\.price) == [95])
        #expect(m.order(a).state == .filled && m.order(b).state == .working)
        // The next bar opens at 90, below b's limit: it fills at the open, as a resting order (maker).
        let f = m.run()
        #expect(f.map(\.price) == [90] && f[0].liquidity == .maker)
    }

    @Test func limitThatIsMarketableOnArrivalTakes() {
        let m = Market(bars([(100, 100, 100, 100), (100, 102, 99, 101)]), config: { var c = ExecutionConfig(); c.makerFee = 0.001; c.takerFee = 0.002; return c }())
        m.run()
        m.send(.buy, .limit, 10, limit: 105)
        let f = m.run()
        #expect(f.map(\.price) == [100] && f[0].liquidity == .taker && f[0].fee == 10 * 100 * 0.002)
    }

    @Test func stopBuyTriggersAtItsPriceAndGapsFillAtTheOpen() {
        let m = Market(bars([(100, 100, 100, 100), (100, 104, 99, 103), (110, 111, 108, 109)]))
        m.run()
        let a = m.send(.buy, .stop, 1, stop: 102)
        let b = m.send(.buy, .stop, 1, stop: 106)
        #expect(m.run().map(\.price) == [102])
        #expect(m.order(a).history.map(\.state) == [.pending, .working, .triggered, .filled])
        // Gap: the next bar opens at 110, above b's stop of 106: it fills at 110, not 106.
        #expect(m.run().map(\.price) == [110])
        #expect(m.order(b).state == .filled)
    }

    @Test func sellStopGapsDownThroughItsPrice() {
        let m = Market(bars([(100, 100, 100, 100), (100, 100, 100, 100), (90, 95, 88, 94)]))
        m.send(.buy, .market, 5)
        m.run(2)
        m.send(.sell, .stop, 5, stop: 97)
        #expect(m.run().map(\.price) == [90])
        #expect(m.portfolio.position("X") == 0)
    }

    @Test func stopLimitTriggersThenNeedsItsLimit() {
        // Bar 1: 100 → 99 → 106 → 104 (low nearer the open): triggers at 103, then the limit 103.5
        // is met at the trigger point: fills at 103.
        let m = Market(bars([(100, 100, 100, 100), (100, 106, 99, 104), (100, 100, 100, 100), (108, 109, 107, 108)]))
        m.run()
        let a = m.send(.buy, .stopLimit, 1, limit: 103.5, stop: 103)
        #expect(m.run().map(\.price) == [103])
        #expect(m.order(a).state == .filled)
        // Gap above both stop and limit: triggered but unfilled; it then rests as a limit.
        m.run()
        let b = m.send(.buy, .stopLimit, 1, limit: 103.5, stop: 103)
        #expect(m.run().isEmpty)
        #expect(m.order(b).state == .triggered)
    }

    @Test func trailingStopRatchetsOnlyInTheTradesFavour() {
        // Long 1 unit; trail 5 below the best price. Bar 2 rises to 120 (stop 115),
        // bar 3 dips to 116 (no fill) and back; bar 4 falls through 115.
        let m = Market(bars([(100, 100, 100, 100), (100, 100, 100, 100), (100, 120, 99, 118), (118, 119, 116, 117), (117, 117, 110, 111)]))
        m.send(.buy, .market, 1)
        m.run(2)
        let t = m.send(.sell, .trailingStop, 1) { $0.trail = .absolute(5) }
        // Bar 2 path: 100 → 99 (low nearer) → 120 → 118. Anchor starts at 100 (stop 95), rises to 120 (stop 115).
        #expect(m.run().isEmpty)
        #expect(m.order(t).trailAnchor == 120)
        #expect(m.run().isEmpty)
        #expect(m.order(t).trailAnchor == 120)
        #expect(m.run().map(\.price) == [115])
    }

    @Test func percentTrailFromTheEntry() {
        let m = Market(bars([(100, 100, 100, 100), (100, 100, 100, 100), (100, 110, 100, 108), (108, 108, 98, 99)]))
        let entry = m.send(.buy, .market, 2)
        let trail = m.send(.sell, .trailingStop, nil) { $0.trail = .percent(0.1); $0.parent = entry; $0.reduceOnly = true }
        #expect(m.order(trail).state == .held)
        m.run(2)
        #expect(m.order(trail).state == .working && m.order(trail).quantity == 2)
        m.run()
        // Best 110 → stop 99; bar 3 falls to 98: fills at 99.
        #expect(m.run().map(\.price) == [99])
    }

    @Test func bracketChildrenActivateOnTheEntryFillAndFormAnOCOPair() {
        // Entry fills at bar 1's open (100); stop 95 and take 110 from offsets; bar 2 reaches 111: the take fills, the stop is cancelled.
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 99, 100), (101, 111, 100, 108)]))
        m.run()
        let entry = m.send(.buy, .market, 3)
        let stop = m.send(.sell, .stop, nil) { $0.parent = entry; $0.ocoGroup = 1; $0.reduceOnly = true; $0.stopOffset = -0.05 }
        let take = m.send(.sell, .limit, nil) { $0.parent = entry; $0.ocoGroup = 1; $0.reduceOnly = true; $0.limitOffset = 0.10 }
        m.run()
        #expect(m.order(stop).stopPrice == 95 && abs(m.order(take).limitPrice! - 110) < 1e-9)
        #expect(m.order(stop).state == .working)
        #expect(m.run().map(\.price) == [m.order(take).limitPrice!])
        #expect(m.order(take).state == .filled && m.order(stop).state == .cancelled)
        #expect(m.order(stop).history.last?.reason == "OCO: order \(take) filled")
    }

    @Test func cancellingABracketParentCancelsItsChildren() throws {
        let m = Market(bars([(100, 100, 100, 100)]))
        let entry = m.send(.buy, .limit, 1, limit: 90)
        let child = m.send(.sell, .stop, nil, stop: 85) { $0.parent = entry }
        try m.exchange.cancel(entry, at: m.now)
        #expect(m.order(child).state == .cancelled)
    }

    @Test func ambiguousBarsAreCounted() {
        // Stop 95 and take 105 both inside bar 2's range 94…106: the path decides (high nearer → take first).
        let m = Market(bars([(100, 100, 100, 100), (100, 100, 100, 100), (100, 106, 94, 100)]))
        let entry = m.send(.buy, .market, 1)
        m.send(.sell, .stop, nil, stop: 95) { $0.parent = entry; $0.ocoGroup = 0; $0.reduceOnly = true }
        m.send(.sell, .limit, nil, limit: 105) { $0.parent = entry; $0.ocoGroup = 0; $0.reduceOnly = true }
        m.run(2)
        #expect(m.run().map(\.price) == [105])
        #expect(m.exchange.ambiguousBars == 1)
    }

    @Test func icebergShowsOneSlicePerBar() {
        let m = Market(bars(Array(repeating: (100, 101, 99, 100), count: 5)))
        let id = m.send(.buy, .limit, 10, limit: 100) { $0.displayQuantity = 4 }
        #expect(m.run().map(\.quantity) == [4])
        #expect(m.run().map(\.quantity) == [4])
        #expect(m.run().map(\.quantity) == [2])
        #expect(m.order(id).state == .filled)
    }

    @Test func reduceOnlyNeverOpensOrFlipsAPosition() {
        let m = Market(bars(Array(repeating: (100, 101, 99, 100), count: 4)), allowShort: true)
        m.send(.buy, .market, 3)
        m.run()
        let id = m.send(.sell, .market, 10) { $0.reduceOnly = true }
        #expect(m.run().map(\.quantity) == [3])
        #expect(m.portfolio.position("X") == 0 && m.order(id).state == .partiallyFilled || m.order(id).state == .cancelled)
        let none = m.send(.sell, .market, 1) { $0.reduceOnly = true }
        m.run()
        #expect(m.order(none).state == .cancelled)
        #expect(m.order(none).history.last?.reason == "reduce-only with no position")
    }

    @Test func postOnlyIsRejectedWhenItWouldTake() {
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 95, 98), (98, 99, 90, 92)]))
        m.run()
        let taker = m.send(.buy, .limit, 1, limit: 101) { $0.postOnly = true }
        let maker = m.send(.buy, .limit, 1, limit: 96) { $0.postOnly = true }
        let f = m.run()
        #expect(m.order(taker).state == .rejected)
        #expect(f.map(\.price) == [96] && f[0].liquidity == .maker && f[0].order == maker)
    }

    @Test func iocFillsWhatItCanOnItsFirstBarAndCancelsTheRest() {
        var c = ExecutionConfig()
        c.participation = 0.5
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 99, 100), (100, 101, 99, 100)], volume: 10), config: c)
        m.run()
        let id = m.send(.buy, .market, 8) { $0.timeInForce = .ioc }
        #expect(m.run().map(\.quantity) == [5])
        #expect(m.order(id).state == .cancelled)
        #expect(m.run().isEmpty)
    }

    @Test func fokFillsCompletelyOrNotAtAll() {
        var c = ExecutionConfig()
        c.participation = 0.5
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 99, 100)], volume: 10), config: c)
        m.run()
        let kill = m.send(.buy, .market, 8) { $0.timeInForce = .fok }
        let fill = m.send(.buy, .market, 4) { $0.timeInForce = .fok }
        #expect(m.run().map(\.quantity) == [4])
        #expect(m.order(kill).state == .cancelled && m.order(fill).state == .filled)
    }

    @Test func participationCapCarriesTheRestToLaterBars() {
        var c = ExecutionConfig()
        c.participation = 0.1
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 99, 100), (102, 103, 101, 102), (104, 105, 103, 104)], volume: 100), config: c)
        m.run()
        let id = m.send(.buy, .market, 25)
        #expect(m.run().map(\.quantity) == [10])
        #expect(m.run().map(\.price) == [102])
        #expect(m.run().map(\.quantity) == [5])
        let average: Double = (10 * 100 + 10 * 102 + 5 * 104) / 25
        #expect(m.order(id).state == .filled)
        #expect(m.order(id).averageFillPrice == average)
    }

    @Test func goodTillDateAndDayOrdersExpire() {
        let m = Market(bars(Array(repeating: (100, 101, 99, 100), count: 30)))
        m.run()
        let gtd = m.send(.buy, .limit, 1, limit: 50) { $0.timeInForce = .gtd; $0.expireAt = m.now + 3 * hour }
        let day = m.send(.buy, .limit, 1, limit: 50) { $0.timeInForce = .day }
        m.run(3)
        #expect(m.order(gtd).state == .working)
        m.run()
        #expect(m.order(gtd).state == .expired)
        #expect(m.order(day).state == .working)
        m.run(20)
        #expect(m.order(day).state == .expired && m.order(day).history.last?.reason == "end of the trading day")
        #expect(m.order(day).history.last?.time == 1_704_067_200_000 + 24 * hour)
    }

    @Test func modifyAndCancelRestingOrders() throws {
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 97, 99), (99, 100, 94, 95)]))
        m.run()
        let id = m.send(.buy, .limit, 1, limit: 96)
        m.run()
        try m.exchange.modify(id, quantity: 2, limitPrice: 95, at: m.now)
        #expect(m.order(id).history.last?.reason == "modified")
        let other = m.send(.buy, .limit, 1, limit: 90)
        try m.exchange.cancel(other, at: m.now)
        let f = m.run()
        #expect(f.map(\.quantity) == [2] && f.map(\.price) == [95])
        #expect(m.order(other).state == .cancelled)
    }

    @Test func ordersAtTheSamePriceFillFirstInFirstOut() {
        var c = ExecutionConfig()
        c.participation = 0.01
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 94, 96)], volume: 300), config: c)
        m.run()
        let a = m.send(.buy, .limit, 2, limit: 95)
        let b = m.send(.buy, .limit, 2, limit: 95)
        // Volume for 3: the first order gets 2, the second 1.
        let f = m.run()
        #expect(f.map(\.order) == [a, b] && f.map(\.quantity) == [2, 1])
    }

    /// Active from the first bar that opens at or after the send time plus the latency.
    @Test func latencyDelaysActivation() {
        var c = ExecutionConfig()
        c.latency = 30 * 60_000
        let m = Market(bars([(100, 100, 100, 100), (101, 101, 101, 101), (102, 102, 102, 102)]), config: c)
        m.run()
        m.send(.buy, .market, 1)
        #expect(m.run().isEmpty)
        #expect(m.run().map(\.price) == [102])
    }

    /// Latency that runs out inside a bar: the order joins the bar's path at
    /// that moment, an hour's bar spread evenly over its three stretches.
    @Test func latencyInsideABarJoinsItsPath() {
        // Bar 1 runs O→L→H→C (its low is nearer the open): 100 → 99 → 104 → 103.
        let series = bars([(100, 100, 100, 100), (100, 104, 99, 103), (103, 103, 103, 103)])
        func fills(latency minutes: Int64, _ side: OrderSide = .buy, _ type: OrderType = .market, limit: Double? = nil) -> (Market, [Fill]) {
            var c = ExecutionConfig()
            c.latency = minutes * 60_000
            let m = Market(series, config: c)
            m.timed = true
            m.run()
            m.send(side, type, 1, limit: limit)
            return (m, m.run() + m.run())
        }
        // 10 minutes: half-way down the first stretch.
        let (m, early) = fills(latency: 10)
        #expect(early.map(\.price) == [99.5])
        #expect(m.order(0).activatedAt == series[1].time + 600_000)
        // 30 minutes: half-way through the bar, the middle of 99 → 104.
        #expect(fills(latency: 30).1.map(\.price) == [101.5])
        // 90 minutes: half-way through bar 2 (flat at 103).
        #expect(fills(latency: 90).1.map(\.price) == [103])
        // A limit met later on the stretch rests and fills at its price, as a maker;
        // one already through when it arrives takes at the arrival price.
        let resting = fills(latency: 10, .buy, .limit, limit: 99.2).1
        #expect(resting.map(\.price) == [99.2] && resting.map(\.liquidity) == [.maker])
        let marketable = fills(latency: 10, .buy, .limit, limit: 99.7).1
        #expect(marketable.map(\.price) == [99.5] && marketable.map(\.liquidity) == [.taker])
        // Filling at the signal's close (`--fill close`) needs no latency; with one,
        // the order meets the next bar once active.
        for (latency, atClose, later) in [(Int64(0), [100.0], [Double]()), (10, [], [99.5])] {
            var c = ExecutionConfig()
            c.latency = latency * 60_000
            let m = Market(series, config: c)
            m.timed = true
            m.run()
            m.send(.buy, .market, 1)
            let made = m.exchange.fillAtClose(series[0], symbol: "X")
            #expect(m.exchange.fills[made].map(\.price) == atClose)
            #expect(m.run().map(\.price) == later)
        }
    }

    @Test func spreadSlippageFeesTicksAndLots() {
        var c = ExecutionConfig()
        c.halfSpread = 0.001
        c.slippage = .fixedBps(10)
        c.takerFee = 0.0005
        c.tickSize = 0.05
        c.lotSize = 0.5
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 99, 100)]), config: c)
        m.run()
        m.send(.buy, .market, 3.7)
        let f = m.run()
        // 100 × (1 + 0.001 + 0.001) = 100.2, on the tick grid; 3.7 → 3.5 lots.
        #expect(f.count == 1)
        #expect(f[0].quantity == 3.5)
        #expect(abs(f[0].price - 100.2) < 1e-9)
        let fee: Double = 3.5 * f[0].price * 0.0005
        #expect(abs(f[0].fee - fee) < 1e-12)
    }

    /// A symbol's own rules win over the defaults; an order worth less than the
    /// minimum notional is rejected with its reason, and a larger one fills.
    @Test func instrumentRulesPerSymbol() {
        var c = ExecutionConfig()
        c.tickSize = 1
        c.lotSize = 1
        c.instruments["X"] = InstrumentRules(tickSize: 0.01, lotSize: 0.001, minNotional: 5)
        let m = Market(bars([(100, 100, 100, 100), (100.123, 101, 99, 100), (100, 101, 99, 100)]), config: c)
        m.run()
        // 0.0449 → 0.044 lots at 100.123 → 100.13 (tick 0.01, not the default 1): 4.41 < 5.
        let small = m.send(.buy, .market, 0.0449)
        #expect(m.run().isEmpty)
        #expect(m.exchange.orders[small].state == .rejected)
        #expect(m.exchange.orders[small].history.last?.reason == "worth 4.40572, below X's minimum notional of 5")
        m.send(.buy, .market, 0.0509)
        let f = m.run()
        // 0.0509 → 0.050 at 100.
        #expect(f.count == 1 && f[0].quantity == 0.05 && f[0].price == 100)
        #expect(c.lot("Y") == 1 && c.tick("Y") == 1 && c.lot("X") == 0.001 && c.tick("X") == 0.01)
        c.instruments["Z"] = InstrumentRules(tickSize: 0, lotSize: 0)
        #expect(c.tick("Z") == nil && c.lot("Z") == nil)
    }

    @Test func slippageModels() {
        #expect(abs(Slippage.linear(0.1).fraction(quantity: 10, barVolume: 100) - 0.01) < 1e-15)
        #expect(Slippage.squareRoot(0.1).fraction(quantity: 25, barVolume: 100) == 0.05)
        #expect(Slippage(parsing: "fixed:5") == .fixedBps(5))
        #expect(Slippage(parsing: "sqrt") == nil)
    }

    @Test func nothingTradesOutsideTheSession() {
        var c = ExecutionConfig()
        c.session = TradingSession(parsing: "Mon-Fri 14:30-21:00")!
        // 2024-01-01 is a Monday; hourly bars from midnight: the session opens at the 15:00 bar.
        let m = Market(bars(Array(repeating: (100, 101, 99, 100), count: 16)), config: c)
        m.run()
        m.send(.buy, .market, 1)
        let f = m.run(15)
        #expect(f.count == 1 && f[0].time == 1_704_067_200_000 + 15 * hour)
    }

    @Test func spotRejectsShortSalesAndUnaffordableBuys() {
        let m = Market(bars([(100, 100, 100, 100), (100, 101, 99, 100)]), cash: 1_000)
        m.run()
        let short = m.send(.sell, .market, 1)
        let big = m.send(.buy, .market, 11)
        m.run()
        #expect(m.order(short).state == .rejected && m.order(short).history.last!.reason!.hasPrefix("short sale of X needs margin"))
        #expect(m.order(big).state == .rejected && m.order(big).history.last!.reason!.hasPrefix("insufficient cash"))
    }

    @Test func allInOrdersAreSizedAtTheFill() {
        var c = ExecutionConfig()
        c.lotSize = 1
        let m = Market(bars([(100, 100, 100, 100), (33, 34, 32, 33)]), cash: 1_000, config: c)
        m.run()
        let id = m.send(.buy, .market, nil)
        #expect(m.run().map(\.quantity) == [30])
        #expect(m.order(id).state == .filled && m.portfolio.cash == 10)
    }
}
