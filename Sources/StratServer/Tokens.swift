import Crypto
import Foundation

/// What one token may do (`strat token create --rate …`). The defaults suit
/// one trusted user on one machine; a shared server sets them per token.
public struct TokenLimits: Codable, Sendable, Equatable {
    /// Requests per minute (a bucket of this many, refilled evenly): 429 beyond.
    public var requestsPerMinute = 600
    /// Jobs queued or running at once (a batch's jobs count one each): 429 beyond.
    public var concurrentJobs = 16
    /// A request body, in bytes: 413 beyond.
    public var maxBodyBytes = 64 << 20
    /// A strategy's source, in bytes: 413 beyond.
    public var maxSourceBytes = 256 << 10
    /// Bars of one backtest (every symbol's together): 413 beyond.
    public var maxBarsPerJob = 5_000_000
    /// Points of one batch: 413 beyond.
    public var maxPointsPerBatch = 10_000
    /// Seconds one job may run; a job over it is stopped and fails.
    public var maxRunSeconds = 600

    public init() {}

    enum CodingKeys: String, CodingKey {
        case requestsPerMinute = "requests_per_minute", concurrentJobs = "concurrent_jobs", maxBodyBytes = "max_body_bytes"
        case maxSourceBytes = "max_source_bytes", maxBarsPerJob = "max_bars_per_job", maxPointsPerBatch = "max_points_per_batch"
        case maxRunSeconds = "max_run_seconds"
    }
}

/// A token as stored: only the SHA-256 of its secret is kept.
public struct TokenRecord: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var createdAt: Date
    public var revokedAt: Date?
    public var limits: TokenLimits
}

public enum Tokens {
    /// A new secret: `strat_` and 32 random bytes in hex (the system's CSPRNG).
    public static func make() -> String {
        var g = SystemRandomNumberGenerator()
        return "strat_" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// What the store keeps of a secret.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A token's name: what `strat token list` shows and the logs name.
    public static func checkName(_ name: String) throws {
        guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil else {
            throw ServerError("token name `\(name)`: expected 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
    }
}

/// A failure of the server's own store or setup, in words.
public struct ServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
