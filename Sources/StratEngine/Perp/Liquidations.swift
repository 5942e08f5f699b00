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

/// Where a position is liquidated: the price, and whether the price reaches
/// it falling (a long's) or rising (a short's).
public struct LiquidationTrigger: Equatable, Sendable {
    public var price: Double
    public var falling: Bool
    public init(price: Double, falling: Bool) {
        self.price = price
        self.falling = falling
    }
}

/// A portfolio whose positions can be liquidated: perpetuals, and the shorts
/// of a spot margin account (closed at their maintenance margin).
public protocol LiquidatingPortfolio: Portfolio {
    /// Where the position of symbol slot k (or its leg) is liquidated, if anywhere.
    func liquidation(_ k: Int, _ leg: PositionSide?) -> LiquidationTrigger?
    /// Whether a position's liquidation depends on the others (cross margin,
    /// a spot margin account): then every fill moves every price.
    var sharesMargin: Bool { get }
    /// What the insurance fund covered of each liquidation fill, in order.
    var shortfalls: [Double] { get }
    /// Whether the liquidation prices move with the marks, not only with fills
    /// and payments: when one position's depends on another's price.
    var marksMoveLiquidations: Bool { get }
}

/// Orders that follow a position (a liquidation at its liquidation price):
/// told of every fill, they are placed or re-priced at once.
public protocol PositionFollower: AnyObject {
    /// After a fill in `symbol`: the orders placed or re-priced (any symbol's).
    func positionChanged(_ symbol: String, at time: Int64) -> [Int]
}

/// Keeps one liquidation order on every open perpetual position: a reduce-only
/// stop at its liquidation price that triggers on the mark price. It is placed
/// when the position opens (joining the rest of that bar), re-priced at every
/// fill (of every symbol, in cross margin), every payment, and every close
/// when other positions' marks move it (cross margin), so a
/// liquidation happens inside a bar, where the mark's path reaches it. In
/// cross margin with hedge mode a symbol's two legs share one price: the order
/// sits on the leg the price runs against, and its liquidation closes both
/// (`SimulatedExchange.liquidationClosesSymbol`).
public final class LiquidationWatch: PositionFollower {
    let exchange: SimulatedExchange
    let portfolio: any LiquidatingPortfolio
    /// Position (2 × slot, + 1 for a short leg) → its live liquidation order.
    var watching: [Int: Int] = [:]
    public private(set) var events: [LiquidationEvent] = []
    let legs: [PositionSide?]

    public init(exchange: SimulatedExchange, portfolio: any LiquidatingPortfolio) {
        self.exchange = exchange
        self.portfolio = portfolio
        legs = portfolio.hedged && !portfolio.sharesMargin ? [.long, .short] : [nil]
        exchange.liquidationClosesSymbol = portfolio.hedged && portfolio.sharesMargin
        exchange.follower = self
    }

    /// After a payment (funding, interest): place or re-price every order.
    public func update(at time: Int64) {
        for k in portfolio.symbols.indices { _ = follow(k, at: time) }
    }

    /// After a close is marked: re-price when the marks move the prices.
    public func closed(at time: Int64) {
        if portfolio.marksMoveLiquidations { update(at: time) }
    }

    public func positionChanged(_ symbol: String, at time: Int64) -> [Int] {
        // In cross margin every position's price depends on the wallet and the others.
        guard !portfolio.sharesMargin else { return portfolio.symbols.indices.flatMap { follow($0, at: time) } }
        return follow(portfolio.slot(symbol), at: time)
    }

    /// Places, re-prices or cancels the liquidation orders of symbol slot k;
    /// returns those placed or re-priced.
    func follow(_ k: Int, at time: Int64) -> [Int] {
        var changed: [Int] = []
        for leg in legs {
            let j = 2 * k + (leg == .short ? 1 : 0)
            let live = watching[j].flatMap { exchange.orders[$0].state.isTerminal ? nil : $0 }
            guard let trigger = portfolio.liquidation(k, leg) else {
                if let live { try? exchange.cancel(live, at: time, reason: "no liquidation price") }
                continue
            }
            let side: OrderSide = trigger.falling ? .sell : .buy
            // The leg that order closes: the one the price runs against.
            let closes: PositionSide? = portfolio.hedged ? (trigger.falling ? .long : .short) : nil
            if let live, exchange.orders[live].side == side, exchange.orders[live].leg == closes {
                if exchange.orders[live].stopPrice != trigger.price {
                    exchange.reprice(live, stop: trigger.price, exact: true)
                    changed.append(live)
                }
                continue
            }
            if let live { try? exchange.cancel(live, at: time, reason: "the position changed side") }
            var o = Order(id: 0, symbol: portfolio.symbols[k], side: side, type: .stop, quantity: nil)
            o.stopPrice = trigger.price
            o.reduceOnly = true
            o.triggerOnMark = true
            o.leg = closes
            o.tag = OrderTag(action: "liquidation", role: .liquidation)
            let id = exchange.submit(o, at: time)
            exchange.activate(id, at: time)
            watching[j] = id
            changed.append(id)
        }
        return changed
    }

    /// After a bar's fills: each liquidation, with what the insurance fund covered of it.
    public func record(_ fills: [Fill]) {
        for f in fills where f.liquidation {
            events.append(LiquidationEvent(time: f.time, symbol: f.symbol, side: f.side == .sell ? .long : .short, quantity: f.quantity,
                                           price: f.price, fee: f.fee, insuranceFund: portfolio.shortfalls[events.count]))
        }
    }
}
