/// What the risk engine decides about an intent. A resize is an accept whose
/// intent came back with a smaller quantity (its `requestedQuantity` keeps the
/// first).
public enum RiskDecision: Sendable, Equatable {
    case accept
    case deny(String)
}

/// Reviews every sized intent before it becomes an order (the risk engine).
public protocol RiskReview: AnyObject {
    func review(_ intent: inout OrderIntent, _ account: Account) -> RiskDecision
}

/// Checks a fill at the moment it happens (the risk engine's limits at the
/// fill's price): nil lets it through; else the part that may fill and why.
public protocol PreTradeCheck: AnyObject {
    func allowed(_ order: Order, quantity: Double, price: Double) -> (quantity: Double, reason: String)?
}
