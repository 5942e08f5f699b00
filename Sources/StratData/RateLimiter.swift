import Foundation

/// Time for the rate limiter and retries: the real clock, or a test's.
public protocol TimeSource: Sendable {
    /// Seconds since some fixed point.
    func now() async -> Double
    func sleep(_ seconds: Double) async throws
}

public struct SystemTime: TimeSource {
    public init() {}
    public func now() async -> Double { Date().timeIntervalSince1970 }
    public func sleep(_ seconds: Double) async throws {
        if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }
    }
}

public struct RateLimitConfig: Sendable, Equatable {
    /// The request weight the exchange allows per minute (Binance: 1200 by default, per IP).
    public var weightPerMinute = 1200.0
    /// Slow down once the server reports this share of the limit used.
    public var slowDownAt = 0.9
    /// Retries of 5xx, resets and timeouts before giving up.
    public var maxRetries = 6
    public var baseBackoff = 0.5
    public var maxBackoff = 30.0
    /// A ban (418, or a 429 asking to wait) longer than this stops the fetch.
    public var maxBan = 600.0

    public init() {}
}

/// A token bucket of request weight: `acquire` waits until the request's weight
/// fits in the budget, which refills at the limit per minute. The server's own
/// count (`X-MBX-USED-WEIGHT-1M`) overrides the local one, so a budget shared with
/// other programs on the same IP is respected too.
public actor WeightBudget {
    let config: RateLimitConfig
    let time: TimeSource
    var tokens: Double
    var updated: Double?
    /// Time to wait before any request (after a 429 or nearing the limit).
    var pausedUntil: Double = 0
    public private(set) var waited = 0.0

    public init(config: RateLimitConfig, time: TimeSource) {
        self.config = config
        self.time = time
        tokens = config.weightPerMinute
    }

    func refill(_ now: Double) {
        if let u = updated { tokens = min(config.weightPerMinute, tokens + (now - u) * config.weightPerMinute / 60) }
        updated = now
    }

    public func acquire(_ weight: Double) async throws {
        var now = await time.now()
        if now < pausedUntil {
            waited += pausedUntil - now
            try await time.sleep(pausedUntil - now)
            now = await time.now()
        }
        refill(now)
        if tokens < weight {
            let wait = (weight - tokens) * 60 / config.weightPerMinute
            waited += wait
            try await time.sleep(wait)
            refill(await time.now())
        }
        tokens -= weight
    }

    /// The weight the server says this IP used in the current minute.
    public func observe(usedWeight: Double) async {
        let now = await time.now()
        refill(now)
        tokens = min(tokens, config.weightPerMinute - usedWeight)
        if usedWeight >= config.slowDownAt * config.weightPerMinute {
            // Wait for the server's minute to roll over.
            let nextMinute = (now / 60).rounded(.down) * 60 + 60
            pausedUntil = max(pausedUntil, nextMinute)
        }
    }

    /// The server asked to wait (`Retry-After` on 429/418).
    public func pause(seconds: Double) async {
        pausedUntil = max(pausedUntil, await time.now() + seconds)
    }
}
