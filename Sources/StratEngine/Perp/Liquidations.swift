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
/// reaches it. In cross margin with hedge mode a symbol's two legs share one
/// price: the order sits on the leg the price runs against, and its
/// liquidation closes both (`SimulatedExchange.liquidationClosesSymbol`).
public final class LiquidationWatch {
    let exchange: SimulatedExchange
    let portfolio: PerpPortfolio
    /// Position index → its live liquidation order.
    var watching: [Int: Int] = [:]
    public private(set) var events: [LiquidationEvent] = []

    public init(exchange: SimulatedExchange, portfolio: PerpPortfolio) {
        self.exchange = exchange
        self.portfolio = portfolio
        exchange.liquidationClosesSymbol = portfolio.hedged && portfolio.margin == .cross
    }

    /// After a close is marked (and funding paid): place or re-price the orders.
    public func update(at time: Int64) {
        let symbols = portfolio.symbols
        let legs: [PositionSide?] = portfolio.hedged && portfolio.margin == .isolated ? [.long, .short] : [nil]
        for k in symbols.indices {
            for leg in legs {
                let j = portfolio.at(k, leg)
                let live = watching[j].flatMap { exchange.orders[$0].state.isTerminal ? nil : $0 }
                guard let trigger = portfolio.liquidation(k, leg) else {
                    if let live { try? exchange.cancel(live, at: time, reason: "no liquidation price") }
                    continue
                }
                let side: OrderSide = trigger.falling ? .sell : .buy
                // The leg that order closes: the one the price runs against.
                let closes: PositionSide? = portfolio.hedged ? (trigger.falling ? .long : .short) : nil
                if let live, exchange.orders[live].side == side, exchange.orders[live].leg == closes {
                    exchange.reprice(live, stop: trigger.price, exact: true)
                    continue
                }
                if let live { try? exchange.cancel(live, at: time, reason: "the position changed side") }
                var o = Order(id: 0, symbol: symbols[k], side: side, type: .stop, quantity: nil)
                o.stopPrice = trigger.price
                o.reduceOnly = true
                o.triggerOnMark = true
                o.leg = closes
                o.tag = OrderTag(action: "liquidation", role: .liquidation)
                watching[j] = exchange.submit(o, at: time)
            }
        }
    }

    /// After a bar's fills: each liquidation, with what the insurance fund covered of it.
    public func record(_ fills: [Fill]) {
        for f in fills where f.liquidation {
            events.append(LiquidationEvent(time: f.time, symbol: f.symbol, side: f.side == .sell ? .long : .short, quantity: f.quantity,
                                           price: f.price, fee: f.fee, insuranceFund: portfolio.shortfalls[events.count]))
        }
    }
}
