import StratMarket
@testable import StratEngine
import Testing

/// Seeded random markets with random orders of every kind.
@Suite struct PropertyTests {
    static func randomOrder(_ rng: inout SplitMix64, price: Double, held: Double) -> Order {
        let types: [OrderType] = [.market, .limit, .stop, .stopLimit, .trailingStop]
        let side: OrderSide = rng.unit() < 0.5 ? .buy : .sell
        let type = types[Int(rng.next() % 5)]
        var o = Order(id: 0, symbol: "X", side: side, type: type, quantity: rng.unit() < 0.2 ? nil : 1 + (rng.unit() * 20).rounded())
        let away = price * (0.9 + 0.2 * rng.unit())
        switch type {
        case .limit: o.limitPrice = away
        case .stop: o.stopPrice = away
        case .stopLimit: o.stopPrice = away; o.limitPrice = away * (side == .buy ? 1.01 : 0.99)
        case .trailingStop: o.trail = rng.unit() < 0.5 ? .absolute(price * 0.02) : .percent(0.03)
        case .market: break
        }
        let tifs: [TimeInForce] = [.gtc, .ioc, .fok, .day, .gtd]
        o.timeInForce = tifs[Int(rng.next() % 5)]
        if o.timeInForce == .gtd { o.expireAt = 1_700_000_000_000 + Int64(rng.next() % 500) * 3_600_000 }
        o.reduceOnly = rng.unit() < 0.2
        o.postOnly = type == .limit && rng.unit() < 0.2
        if rng.unit() < 0.1 { o.displayQuantity = 3 }
        if held != 0 && rng.unit() < 0.1 { o.ocoGroup = Int(rng.next() % 3) }
        return o
    }

    /// A market order alone in the book takes a shortcut to its fill at the
    /// open; walking the bar's path gives the same orders, fills and cash.
    @Test(arguments: [11, 12, 13, 14, 15, 16] as [UInt64])
    func theOpenFillShortcutIsThePathsFill(_ seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let series = BarSeries.randomWalk(count: 800, seed: seed)
        var config = ExecutionConfig()
        config.participation = seed % 3 == 0 ? 0.1 : nil
        config.lotSize = seed % 2 == 0 ? 1 : nil
        config.takerFee = 0.001
        let markets = [false, true].map { walks in
            let exchange = SimulatedExchange(config: config, portfolio: SpotPortfolio(cash: 20_000, allowShort: seed % 2 == 1))
            exchange.walksEveryPath = walks
            return exchange
        }
        var shortcuts = 0
        for bar in series.bars {
            if markets[0].book.first?.count == 1, markets[0].fillsAtOpen(markets[0].book[0][0], bar.time) { shortcuts += 1 }
            for exchange in markets {
                exchange.process(bar, symbol: "X", end: bar.time + 3_600_000)
                exchange.portfolio.mark("X", price: bar.close)
            }
            // Mostly one market order at a time (the shortcut), sometimes two, or another kind.
            let orders = (0..<Int(rng.next() % 4 == 0 ? 2 : rng.next() % 2)).map { _ in
                var o = rng.unit() < 0.9 ? Order(id: 0, symbol: "X", side: rng.unit() < 0.5 ? .buy : .sell, type: .market,
                                                 quantity: rng.unit() < 0.4 ? nil : 1 + (rng.unit() * 30).rounded())
                                         : Self.randomOrder(&rng, price: bar.close, held: markets[0].portfolio.position("X"))
                if o.type == .market { o.reduceOnly = rng.unit() < 0.3 } else { o.timeInForce = .day }   // (the others do not pile up)
                if rng.unit() < 0.1 { o.displayQuantity = 5 }
                return o
            }
            for exchange in markets { for o in orders { exchange.submit(o, at: bar.time + 3_600_000) } }
        }
        #expect(shortcuts > 50, "the shortcut was taken \(shortcuts) times")
        #expect(markets[0].orders == markets[1].orders)
        #expect(markets[0].fills == markets[1].fills && markets[0].fills.count > 100)
        #expect(markets[0].portfolio.cash == markets[1].portfolio.cash)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func ledgerReconcilesAndFillsStayInsideTheirBars(_ seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let series = BarSeries.randomWalk(count: 600, seed: seed)
        var config = ExecutionConfig()
        config.participation = rng.unit() < 0.5 ? 0.01 : nil
        config.lotSize = rng.unit() < 0.5 ? 1 : nil
        config.makerFee = 0.0002
        config.takerFee = 0.0007
        // No latency, a third of a bar (orders join the next bar part-way), a bar and a half.
        config.latency = [0, 20 * 60_000, 90 * 60_000][Int(seed % 3)]
        let portfolio = SpotPortfolio(cash: 50_000, allowShort: seed % 2 == 0)
        let exchange = SimulatedExchange(config: config, portfolio: portfolio)
        var position = 0.0
        for (i, bar) in series.bars.enumerated() {
            let fills = exchange.process(bar, symbol: "X", end: bar.time + 3_600_000)
            for f in exchange.fills[fills] {
                #expect(f.price >= bar.low && f.price <= bar.high, "seed \(seed) bar \(i): fill at \(f.price) outside \(bar.low)…\(bar.high)")
                #expect(f.quantity > 0 && f.fee >= 0)
                position += f.side.sign * f.quantity
            }
            #expect(portfolio.replayCash(exchange.fills) == portfolio.cash, "seed \(seed) bar \(i): the ledger does not reconcile")
            #expect(abs(portfolio.position("X") - position) <= 1e-9 * max(1, abs(position)))
            if !portfolio.allowShort { #expect(portfolio.position("X") >= -1e-9) }
            #expect(portfolio.cash >= -1e-6 || portfolio.allowShort)
            // Equity is cash plus holdings at the close.
            portfolio.mark("X", price: bar.close)
            #expect(portfolio.equity == portfolio.cash + portfolio.position("X") * bar.close)
            for _ in 0..<Int(rng.next() % 3) {
                exchange.submit(Self.randomOrder(&rng, price: bar.close, held: portfolio.position("X")), at: bar.time + 3_600_000)
            }
            if rng.unit() < 0.05, let o = exchange.openOrders("X").first { try? exchange.cancel(o.id, at: bar.time + 3_600_000) }
        }
        // Every order's history follows the transition table.
        for o in exchange.orders {
            for (a, b) in zip(o.history, o.history.dropFirst()) { #expect(OrderState.allowed[a.state]!.contains(b.state)) }
        }
        #expect(exchange.fills.count > 50)
    }
}
