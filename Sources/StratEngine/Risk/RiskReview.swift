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
