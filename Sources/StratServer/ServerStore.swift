import Foundation
import StratQueue

/// What the server keeps beside the queue: tokens, which token owns which
/// job, and batches (a sweep's request and the jobs it was split into). One
/// protocol, a SQLite and a PostgreSQL implementation, in the queue's own
/// database, so every node of a PostgreSQL deployment sees the same.
public protocol ServerStore: Sendable {
    /// Fails when the name is taken.
    func createToken(name: String, hash: String, limits: TokenLimits) async throws -> TokenRecord
    func tokens() async throws -> [TokenRecord]
    func token(hash: String) async throws -> TokenRecord?
    /// False when no unrevoked token has the name.
    func revokeToken(name: String) async throws -> Bool

    /// `idempotencyKey`: the submission's, scoped to the token (a batch's jobs have none).
    func recordJob(_ job: JobID, token: Int64, kind: String, batch: Int64?, idempotencyKey: String?) async throws
    /// The job submitted under the key, if any.
    func job(idempotencyKey: String) async throws -> JobID?
    /// The job's owner and kind; nil for a job the server did not submit.
    func jobOwner(_ job: JobID) async throws -> (token: Int64, kind: String)?
    /// The token's backtests and batches with a job queued or running (a
    /// batch counts once): one query over the queue's own jobs table, which
    /// lives in the same database, through its partial indexes by state (in
    /// SQLite a job's state sits after its payload, which a scan would read).
    func activeSubmissions(token: Int64) async throws -> Int
    /// The token's latest backtests, newest first (the web page's list).
    func backtests(token: Int64, limit: Int) async throws -> [JobID]

    /// A new batch, or the one already made under `idempotencyKey`
    /// (`created` false, and no jobs should be enqueued for it again).
    func createBatch(token: Int64, request: Data, points: Int, idempotencyKey: String?) async throws -> (id: Int64, created: Bool)
    func batch(_ id: Int64) async throws -> BatchRecord?
    /// The batch submitted under the key, if any.
    func batch(idempotencyKey: String) async throws -> Int64?
    /// The batch's jobs in the order of their points.
    func batchJobs(_ id: Int64) async throws -> [JobID]
}

public struct BatchRecord: Sendable {
    public var id: Int64
    public var token: Int64
    public var request: Data
    public var points: Int
    public var createdAt: Date
}

extension TokenLimits {
    /// As stored: JSON, so a new limit needs no new column.
    var json: String { String(decoding: try! JSONEncoder().encode(self), as: UTF8.self) }
    static func from(json: String) -> TokenLimits {
        (try? JSONDecoder().decode(TokenLimits.self, from: Data(json.utf8))) ?? TokenLimits()
    }
}

extension Date {
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
