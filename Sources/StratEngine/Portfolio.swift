/// What the exchange and the driver need of an account. Spot is the first kind;
/// a perpetual-futures portfolio (margin, funding, liquidation) implements the
/// same protocol, so the order path does not change when it arrives.
public protocol Portfolio: AnyObject {
    var cash: Double { get }
    /// Signed quantity held (negative: short).
    func position(_ symbol: String) -> Double
    /// The pre-trade check: nil if a fill of this size at this price is allowed,
    /// else the reason it is not.
    func check(symbol: String, side: OrderSide, quantity: Double, price: Double, fee: Double) -> String?
    /// The largest quantity (before lot rounding) a buy or sell at `price` can
    /// have, for orders sized at fill time ("all in").
    func affordable(symbol: String, side: OrderSide, price: Double, feeRate: Double) -> Double
    func apply(_ fill: Fill)
    /// Cash plus positions valued at `marks` (symbol → price).
    func equity(marks: [String: Double]) -> Double
}

/// A position in one symbol with its average cost.
public struct Position: Codable, Sendable, Equatable {
    public var quantity = 0.0
    public var averageCost = 0.0
    public var realizedPnL = 0.0
    public var fees = 0.0
}

/// A spot account: cash in the quote currency and holdings. Buying needs the
/// cash; selling more than is held needs margin (`allowShort`).
public final class SpotPortfolio: Portfolio {
    public let initialCash: Double
    public private(set) var cash: Double
    public private(set) var positions: [String: Position] = [:]
    public private(set) var feesPaid = 0.0
    public let allowShort: Bool

    public init(cash: Double, allowShort: Bool = false) {
        initialCash = cash
        self.cash = cash
        self.allowShort = allowShort
    }

    public func position(_ symbol: String) -> Double { positions[symbol]?.quantity ?? 0 }

    public func check(symbol: String, side: OrderSide, quantity: Double, price: Double, fee: Double) -> String? {
        guard quantity > 0, price > 0 else { return "quantity and price must be positive" }
        switch side {
        case .buy:
            let held = position(symbol)
            // Covering a short frees no cash up front; buying needs it all.
            let cost = quantity * price + fee
            if held >= 0, cost > cash * (1 + 1e-12) {
                return "insufficient cash: needs \(cost), has \(cash)"
            }
        case .sell:
            if !allowShort, quantity > position(symbol) * (1 + 1e-12) {
                return "short sale of \(symbol) needs margin (holding \(position(symbol)), selling \(quantity))"
            }
        }
        return nil
    }

    public func affordable(symbol: String, side: OrderSide, price: Double, feeRate: Double) -> Double {
        switch side {
        case .buy: max(0, cash / (price * (1 + feeRate)))
        case .sell: allowShort ? max(0, cash / (price * (1 + feeRate))) : max(0, position(symbol))
        }
    }

    public func apply(_ fill: Fill) {
        var p = positions[fill.symbol] ?? Position()
        let signed = fill.side.sign * fill.quantity
        cash -= signed * fill.price
        cash -= fill.fee
        feesPaid += fill.fee
        p.fees += fill.fee
        if p.quantity == 0 || (p.quantity > 0) == (signed > 0) {
            // Opening or adding: the average cost moves.
            let total = p.quantity + signed
            p.averageCost = (p.averageCost * abs(p.quantity) + fill.price * abs(signed)) / abs(total)
            p.quantity = total
        } else {
            // Reducing, closing or flipping.
            let closed = min(abs(signed), abs(p.quantity))
            p.realizedPnL += closed * (fill.price - p.averageCost) * (p.quantity > 0 ? 1 : -1)
            let total = p.quantity + signed
            if abs(total) < 1e-12 * max(1, abs(p.quantity)) {
                p.quantity = 0
                p.averageCost = 0
            } else if (total > 0) != (p.quantity > 0) {
                p.quantity = total
                p.averageCost = fill.price
            } else {
                p.quantity = total
            }
        }
        positions[fill.symbol] = p
    }

    public func equity(marks: [String: Double]) -> Double {
        var e = cash
        for (s, p) in positions where p.quantity != 0 { e += p.quantity * (marks[s] ?? p.averageCost) }
        return e
    }

    /// The cash that the fills imply, recomputed from scratch in the same order:
    /// the ledger reconciles when it equals `cash` exactly.
    public func replayCash(_ fills: [Fill]) -> Double {
        var c = initialCash
        for f in fills {
            c -= f.side.sign * f.quantity * f.price
            c -= f.fee
        }
        return c
    }
}
