import StratMarket

/// A liquidation, for the report.
public struct LiquidationEvent: Sendable, Equatable {
    public var time: Int64
    public var symbol: String
    public var side: PositionSide
    public var quantity: Double
    /// The mark price it happened at (the liquidation price, or the mark's open on a gap).
    public var price: Double
    public var fee: Double
    /// The part of the loss the account could not pay (the insurance fund's).
    public var insuranceFund: Double
}

/// Keeps one liquidation order on every open perpetual position: a reduce-only
/// stop at its liquidation price that triggers on the mark price, re-priced at
/// every close (the price moves with funding, the other positions and the
/// brackets), so a liquidation happens inside a bar, where the mark's path
/// reaches it.
public final class LiquidationWatch {
    let exchange: SimulatedExchange
    let portfolio: PerpPortfolio
    var watching: [Int?] = []
    public private(set) var events: [LiquidationEvent] = []

    public init(exchange: SimulatedExchange, portfolio: PerpPortfolio) {
        self.exchange = exchange
        self.portfolio = portfolio
    }

    /// After a close is marked (and funding paid): place or re-price the orders.
    public func update(at time: Int64) {
        let symbols = portfolio.symbols
        if watching.count < symbols.count { watching += Array(repeating: nil, count: symbols.count - watching.count) }
        for k in symbols.indices {
            let q = portfolio.position(slot: k)
            let live = watching[k].flatMap { exchange.orders[$0].state.isTerminal ? nil : $0 }
            guard q != 0, let lp = portfolio.liquidationPrice(symbols[k]) else {
                if let live { try? exchange.cancel(live, at: time, reason: "no liquidation price") }
                continue
            }
            let side: OrderSide = q > 0 ? .sell : .buy
            if let live, exchange.orders[live].side == side {
                exchange.reprice(live, stop: lp, exact: true)
                continue
            }
            if let live { try? exchange.cancel(live, at: time, reason: "the position changed side") }
            var o = Order(id: 0, symbol: symbols[k], side: side, type: .stop, quantity: nil)
            o.stopPrice = lp
            o.reduceOnly = true
            o.triggerOnMark = true
            o.tag = OrderTag(action: "liquidation", role: .liquidation)
            watching[k] = exchange.submit(o, at: time)
        }
    }

    /// After a bar's fills: each liquidation, recorded with what the insurance fund covered.
    public func record(_ fills: [Fill], insuranceBefore: Double) {
        var covered = insuranceBefore
        for f in fills where f.liquidation {
            let now = portfolio.insuranceFundCovered
            events.append(LiquidationEvent(time: f.time, symbol: f.symbol, side: f.side == .sell ? .long : .short, quantity: f.quantity,
                                           price: f.price, fee: f.fee, insuranceFund: now - covered))
            covered = now
        }
    }
}
