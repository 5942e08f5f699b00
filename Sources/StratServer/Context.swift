import Foundation
import Hummingbird
import Logging

/// Each request's context: Hummingbird's, plus the token that authenticated it.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the gate for every route but the public ones.
    var token: TokenRecord?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies are read by the handlers against the token's own limit.
    public var maxUploadSize: Int { token?.limits.maxBodyBytes ?? 0 }
}

/// Requests per minute per token: a bucket of `requestsPerMinute` refilled
/// evenly, held by this node (each node of a deployment counts its own).
final class RateLimiter: @unchecked Sendable {
    private var buckets: [Int64: (level: Double, at: Double)] = [:]
    private let lock = NSLock()

    /// nil when the request may go; else the seconds until it may.
    func take(token: Int64, perMinute: Int, now: Double = Date().timeIntervalSince1970) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let capacity = Double(max(perMinute, 1)), rate = capacity / 60
        var b = buckets[token] ?? (capacity, now)
        b.level = min(capacity, b.level + (now - b.at) * rate)
        b.at = now
        guard b.level >= 1 else {
            buckets[token] = b
            return max(1, Int(((1 - b.level) / rate).rounded(.up)))
        }
        b.level -= 1
        buckets[token] = b
        return nil
    }
}
