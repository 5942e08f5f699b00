import StratMarket

/// What the exchange, the sizing rules and the risk engine need of an account.
/// Spot is the first kind; a perpetual-futures portfolio (margin, funding,
/// liquidation) implements the same protocol, so the order path does not change
/// when it arrives. The portfolio is the one place equity is computed.
public protocol Portfolio: AnyObject {
    var cash: Double { get }
    var feesPaid: Double { get }
    /// Signed quantity held (negative: short); in hedge mode both legs' sum.
    func position(_ symbol: String) -> Double
    /// Hedge mode keeps a long and a short leg per symbol apart.
    var hedged: Bool { get }
    /// The signed quantity of one leg (hedge mode), or with `leg` nil the
    /// symbol's position; without hedge mode a leg is the position's part on that side.
    func position(_ symbol: String, leg: PositionSide?) -> Double
    /// The pre-trade check: nil if a fill of this size at this price (on `leg`,
    /// in hedge mode) is allowed, else the reason it is not.
    func check(symbol: String, side: OrderSide, quantity: Double, price: Double, fee: Double, leg: PositionSide?) -> String?
    /// The largest quantity (before lot rounding) a buy or sell at `price` can
    /// have, for orders sized at fill time ("all in").
    func affordable(symbol: String, side: OrderSide, price: Double, feeRate: Double, leg: PositionSide?) -> Double
    func apply(_ fill: Fill)
    /// The latest price of a symbol (a fill, then the bar's close): what equity,
    /// exposure and margin value the position at.
    func mark(_ symbol: String, price: Double)
    func latestPrice(_ symbol: String) -> Double?
    /// Cash plus every position at its latest price, summed in a fixed symbol order.
    var equity: Double { get }
    /// Σ |position| × latest price over all symbols.
    var grossExposure: Double { get }
    /// The symbols that have ever been marked or held, in their fixed order.
    var symbols: [String] { get }
    /// The position and latest price of `symbols[slot]` (no lookup by name).
    func position(slot: Int) -> Double
    func latestPrice(slot: Int) -> Double?
    /// A symbol's slot (registered on first use), and marking by slot.
    func slot(_ symbol: String) -> Int
    func mark(slot: Int, price: Double)
}

extension Portfolio {
    public var hedged: Bool { false }
    public func position(_ symbol: String, leg: PositionSide?) -> Double {
        let q = position(symbol)
        switch leg {
        case nil: return q
        case .long?: return max(0, q)
        case .short?: return min(0, q)
        }
    }
    /// |position| × latest price.
    public func notional(_ symbol: String) -> Double { abs(position(symbol)) * (latestPrice(symbol) ?? 0) }
    /// Gross exposure over equity (0 without equity).
    public var leverage: Double { equity > 0 ? grossExposure / equity : (grossExposure > 0 ? .infinity : 0) }
}

/// A position in one symbol with its average cost.
public struct Position: Codable, Sendable, Equatable {
    public var quantity = 0.0
    public var averageCost = 0.0
    public var realizedPnL = 0.0
    public var fees = 0.0
}

/// A spot account: cash in the quote currency and holdings. Buying needs the
/// cash; selling more than is held needs margin (`shortMargin`): a short's
/// initial margin, that fraction of its value, must be covered by the equity
/// left after the margin of the other shorts. The borrowed asset costs
/// interest (`borrowRate`, charged by the backtest hourly), and when the
/// equity falls to the shorts' maintenance margin (`maintenanceMargin` of
/// their value) they are closed (`liquidation`, watched like a perpetual's).
///
/// Symbols have slots, in the order they are registered (the backtest
/// registers its symbols sorted): positions and latest prices are arrays, so
/// marking every bar and summing equity cost no hashing, and sums always run in
/// the same order.
public final class SpotPortfolio: LiquidatingPortfolio {
    public let initialCash: Double
    public private(set) var cash: Double
    public private(set) var feesPaid = 0.0
    /// Initial margin of a short as a fraction of its value (0.5: Reg T's 150%
    /// of the proceeds held); nil: no short sales.
    public let shortMargin: Double?
    public var allowShort: Bool { shortMargin != nil }
    /// The margin rate of a spot margin account (Reg T).
    public static let regTMargin = 0.5
    /// Equity a margin account keeps against its shorts, as a fraction of their
    /// value (FINRA rule 4210's 30%); nil: no margin calls.
    public let maintenanceMargin: Double?
    public static let finraMaintenance = 0.3
    /// Yearly interest on the value of borrowed (shorted) assets.
    public let borrowRate: Double
    public private(set) var interestPaid = 0.0
    public private(set) var shortfalls: [Double] = []
    public var sharesMargin: Bool { true }
    /// A short's call price counts the other positions at their prices.
    public var marksMoveLiquidations: Bool { maintenanceMargin != nil && held.lazy.filter { $0.quantity != 0 }.count > 1 }
    public private(set) var symbols: [String] = []
    var slots = SymbolSlots()
    var held: [Position] = []
    var marks: [Double] = []

    public init(cash: Double, allowShort: Bool = false, shortMargin: Double = SpotPortfolio.regTMargin,
                maintenanceMargin: Double? = SpotPortfolio.finraMaintenance, borrowRate: Double = 0, symbols: [String] = []) {
        initialCash = cash
        self.cash = cash
        self.shortMargin = allowShort ? shortMargin : nil
        self.maintenanceMargin = allowShort ? maintenanceMargin : nil
        self.borrowRate = borrowRate
        for s in symbols { _ = slot(s) }
    }

    /// A symbol's slot (registered on first use).
    public func slot(_ symbol: String) -> Int {
        let i = slots.register(symbol)
        guard i == symbols.count else { return i }
        symbols.append(symbol)
        held.append(Position())
        marks.append(.nan)
        return symbols.count - 1
    }

    public var positions: [String: Position] {
        Dictionary(uniqueKeysWithValues: symbols.indices.filter { held[$0].quantity != 0 }.map { (symbols[$0], held[$0]) })
    }

    public func position(_ symbol: String) -> Double { slots.find(symbol).map { held[$0].quantity } ?? 0 }
    public func position(slot: Int) -> Double { held[slot].quantity }

    public func mark(_ symbol: String, price: Double) { marks[slot(symbol)] = price }
    public func mark(slot: Int, price: Double) { marks[slot] = price }

    public func latestPrice(_ symbol: String) -> Double? { slots.find(symbol).flatMap { latest($0) } }
    public func latestPrice(slot: Int) -> Double? { latest(slot) }
    func latest(_ i: Int) -> Double? { marks[i].isNaN ? nil : marks[i] }

    public var equity: Double {
        var e = cash
        // (Through buffers: read on every bar, and element reads of the class's arrays copied them.)
        held.withUnsafeBufferPointer { held in
            marks.withUnsafeBufferPointer { marks in
                for i in held.indices where held[i].quantity != 0 { e += held[i].quantity * (marks[i].isNaN ? held[i].averageCost : marks[i]) }
            }
        }
        return e
    }

    public var grossExposure: Double {
        var g = 0.0
        for i in held.indices where held[i].quantity != 0 { g += abs(held[i].quantity) * (latest(i) ?? held[i].averageCost) }
        return g
    }

    /// Equity at the latest prices (`symbol` at `price`), and the initial margin
    /// the shorts of the other symbols hold.
    func equityAndOtherMargin(symbol: String, price: Double) -> (equity: Double, otherMargin: Double) {
        var e = cash, m = 0.0
        let own = slots.find(symbol)
        for i in held.indices where held[i].quantity != 0 {
            let q = held[i].quantity
            let p = i == own ? price : latest(i) ?? held[i].averageCost
            e += q * p
            if q < 0, i != own { m += -q * p * (shortMargin ?? 1) }
        }
        return (e, m)
    }
    public func check(symbol: String, side: OrderSide, quantity: Double, price: Double, fee: Double, leg: PositionSide?) -> String? {
        guard quantity > 0, price > 0 else { return "quantity and price must be positive" }
        let held = position(symbol)
        switch side {
        case .buy:
            // Covering a short frees no cash up front; buying (the part beyond a
            // short) needs the cash.
            let long = quantity - max(0, -held)
            let cost = long * price + fee
            if long > 0, cost > cash * (1 + 1e-12) {
                return "insufficient cash: needs \(NumberText.readable(cost)), has \(NumberText.readable(cash))"
            }
        case .sell:
            let short = quantity - held     // the short after the fill
            guard short > 1e-12 * max(1, quantity), short > -min(0, held) else { return nil }
            guard let rate = shortMargin else {
                return "short sale of \(symbol) needs margin (holding \(NumberText.readable(held)), selling \(NumberText.readable(quantity)))"
            }
            let (equity, other) = equityAndOtherMargin(symbol: symbol, price: price)
            let needed = short * price * rate, free = equity - fee - other
            if needed > free * (1 + 1e-12) {
                return "insufficient margin: a short of \(NumberText.readable(short)) \(symbol) needs \(NumberText.readable(needed)) "
                    + "(\(NumberText.readable(rate * 100))% of its value), free equity is \(NumberText.readable(free))"
            }
        }
        return nil
    }

    public func affordable(symbol: String, side: OrderSide, price: Double, feeRate: Double, leg: PositionSide?) -> Double {
        switch side {
        case .buy: return max(0, cash / (price * (1 + feeRate)))
        case .sell:
            // All in short: as much as the equity (1×), plus what is held.
            guard allowShort else { return max(0, position(symbol)) }
            let (equity, other) = equityAndOtherMargin(symbol: symbol, price: price)
            return max(0, position(symbol)) + max(0, (equity - other) / (price * (1 + feeRate)))
        }
    }

    public func apply(_ fill: Fill) {
        let i = slot(fill.symbol)
        var p = held[i]
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
        held[i] = p
        marks[i] = fill.price
        if fill.liquidation { shortfalls.append(0) }
    }

    /// Interest on a short for `hours` whole hours at `price`: its value × the
    /// yearly rate / 8,760. Returns the amount charged.
    @discardableResult
    public func chargeInterest(_ symbol: String, price: Double, hours: Int) -> Double {
        guard borrowRate > 0, let i = slots.find(symbol), held[i].quantity < 0 else { return 0 }
        let interest = -held[i].quantity * price * borrowRate / 8_760 * Double(hours)
        cash -= interest
        interestPaid += interest
        return interest
    }

    /// Where a short is closed: the price P of its symbol at which the equity
    /// (everything else at its latest price) falls to the maintenance margin of
    /// all shorts, cash + others − m × other shorts' value = Q × P × (1 + m).
    public func liquidation(_ k: Int, _ leg: PositionSide?) -> LiquidationTrigger? {
        guard let m = maintenanceMargin, held[k].quantity < 0 else { return nil }
        var rest = cash
        for i in held.indices where i != k && held[i].quantity != 0 {
            let p = latest(i) ?? held[i].averageCost
            rest += held[i].quantity * p
            if held[i].quantity < 0 { rest += m * held[i].quantity * p }
        }
        // (Already below: a price of nothing, met at once.)
        return LiquidationTrigger(price: max(rest / (-held[k].quantity * (1 + m)), .leastNormalMagnitude), falling: false)
    }

    /// The cash that the fills (and the interest) imply, recomputed from scratch
    /// in the same order: the ledger reconciles when it equals `cash` exactly.
    public func replayCash(_ fills: [Fill]) -> Double {
        var c = initialCash - interestPaid
        for f in fills {
            c -= f.side.sign * f.quantity * f.price
            c -= f.fee
        }
        return c
    }
}
