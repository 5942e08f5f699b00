/// Gives an intent its quantity from the account, at the intent's reference
/// price (the signal's close). One implementation per sizing form of the
/// language; `SizeRule.sizing` picks it.
///
///     let q = SizeRule.equity(0.1).sizing.quantity(for: intent, account)   // 10% of equity
public protocol Sizing {
    /// The quantity, or nil for "all of it": the whole position for an exit.
    func quantity(for intent: OrderIntent, _ account: Account) -> Double?
}

extension SizeRule {
    public var sizing: any Sizing {
        switch self {
        case .allIn: AllIn()
        case .quantity(let q): FixedQuantity(quantity: q)
        case .notional(let m): Notional(value: m)
        case .equity(let f): EquityFraction(fraction: f)
        case .risk(let f, let stop): RiskToStop(fraction: f, stop: stop)
        case .volatility(let f, let d): VolatilityTarget(fraction: f, distance: d)
        case .kelly(let f, let cap): Kelly(fraction: f, cap: cap)
        case .position(let f): PositionFraction(fraction: f)
        }
    }
}

/// Entries: as much as the cash (or, short on margin, the equity) buys at the
/// reference price; the order itself is sized again at its fill, like
/// backtesting.py's `buy()`. Exits: the whole position (nil).
public struct AllIn: Sizing {
    public func quantity(for i: OrderIntent, _ a: Account) -> Double? {
        guard case .enter(let side) = i.action, i.reference > 0 else { return nil }
        return a.portfolio.affordable(symbol: i.symbol, side: side.entry, price: i.reference, feeRate: 0, leg: a.portfolio.hedged ? side : nil)
    }
}

public struct FixedQuantity: Sizing {
    public var quantity: Double
    public func quantity(for i: OrderIntent, _ a: Account) -> Double? { quantity }
}

public struct Notional: Sizing {
    public var value: Double
    public func quantity(for i: OrderIntent, _ a: Account) -> Double? { value / i.reference }
}

public struct EquityFraction: Sizing {
    public var fraction: Double
    public func quantity(for i: OrderIntent, _ a: Account) -> Double? { a.equity * fraction / i.reference }
}

/// Lose `fraction` of equity if the price goes from the reference to `stop`.
public struct RiskToStop: Sizing {
    public var fraction: Double
    public var stop: Double
    public func quantity(for i: OrderIntent, _ a: Account) -> Double? {
        stop != i.reference && stop.isFinite ? a.equity * fraction / abs(i.reference - stop) : 0
    }
}

/// `fraction` of equity for each `distance` of price (an ATR, say).
public struct VolatilityTarget: Sizing {
    public var fraction: Double
    public var distance: Double
    public func quantity(for i: OrderIntent, _ a: Account) -> Double? { distance > 0 ? a.equity * fraction / distance : 0 }
}

/// `fraction` × K of equity and at most `cap`, K = W − (1 − W)/R over the
/// closed trades (never below 0); K is the cap until there is a win and a loss.
public struct Kelly: Sizing {
    public var fraction: Double
    public var cap: Double
    public func quantity(for i: OrderIntent, _ a: Account) -> Double? {
        let k = a.book.stats.kelly ?? cap
        return a.equity * min(cap, max(0, fraction * k)) / i.reference
    }
}

/// A fraction of the position held (exits; in hedge mode, of the leg exited).
public struct PositionFraction: Sizing {
    public var fraction: Double
    public func quantity(for i: OrderIntent, _ a: Account) -> Double? {
        guard case .exit(let side) = i.action, a.portfolio.hedged else { return abs(a.position(i.symbol)) * fraction }
        return abs(a.portfolio.position(i.symbol, leg: side)) * fraction
    }
}
