import Foundation

/// A durable job queue: jobs survive restarts, a job runs under a lease that
/// its worker renews, and a job whose worker vanished is rescued and run again.
///
/// ```swift
/// let queue = try SQLiteJobQueue(path: "/tmp/jobs.db")
/// let id = try await queue.enqueue(kind: "backtest", payload: body, contentHash: hash,
///                                  idempotencyKey: "req-42", maxAttempts: 3)
/// // in a worker:
/// if let job = try await queue.dequeue(worker: "host-1/7", lease: .seconds(30)) {
///     try await queue.heartbeat(job.id, token: job.token, progress: 0.5)
///     try await queue.complete(job.id, token: job.token, result: output)
/// } else {
///     _ = try await queue.waitForWork(timeout: .seconds(5))
/// }
/// ```
///
/// Only the holder of a job's current lease may heartbeat, complete or fail
/// it: a worker whose lease expired and was rescued gets
/// `QueueError.leaseLost` and changes nothing. Results are kept by the job's
/// content hash, written once: two jobs with the same hash share one result.
/// States, leases, rescue and backoff: Docs/Queue.md.
public protocol JobQueue: Sendable {
    /// Adds a job, or returns the job already enqueued under `idempotencyKey`.
    func enqueue(kind: String, payload: Data, contentHash: String, idempotencyKey: String?, maxAttempts: Int) async throws -> JobID

    /// Rescues jobs whose lease expired, then leases the oldest job that is
    /// due (queued, its backoff over) to `worker` for `lease`; nil when none is.
    func dequeue(worker: String, lease: Duration) async throws -> LeasedJob?

    /// Extends the lease by the duration it was taken for, and records progress (0…1).
    func heartbeat(_ job: JobID, token: LeaseToken, progress: Double?) async throws

    /// Marks the job succeeded and stores its result under its content hash
    /// (kept as it is when that hash already has a result).
    func complete(_ job: JobID, token: LeaseToken, result: Data) async throws

    /// Records a failed attempt: a retryable one with attempts left goes back
    /// to the queue after a backoff; otherwise the job fails with `error`.
    /// Returns the job's state afterwards (`.queued` or `.failed`).
    @discardableResult
    func fail(_ job: JobID, token: LeaseToken, error: String, retryable: Bool) async throws -> JobState

    /// Gives the job back unfinished (a worker shutting down): it is queued
    /// again, due at once, and this attempt does not count.
    func release(_ job: JobID, token: LeaseToken) async throws

    /// Cancels a queued or running job; false when it had already finished.
    /// A running job's worker gets `jobCancelled` from its next heartbeat,
    /// complete or fail, and its result is not kept.
    @discardableResult
    func cancel(_ job: JobID) async throws -> Bool

    /// The job's state, attempts, timings, progress and last error; nil for an unknown id.
    func status(_ job: JobID) async throws -> JobStatus?

    /// The result of a succeeded job (by its content hash); nil otherwise.
    func result(_ job: JobID) async throws -> Data?

    /// Requeues (or fails, when out of attempts) running jobs whose lease
    /// expired; returns how many. `dequeue` does this first on its own.
    @discardableResult
    func rescueExpired() async throws -> Int

    /// Jobs in each state (every state present, zero when none).
    func counts() async throws -> [JobState: Int]

    /// Returns when work may be available — a job was enqueued (PostgreSQL:
    /// NOTIFY; SQLite: polled), one became due or a lease expired — with
    /// true, or with false once `timeout` passed without any. Workers call it
    /// after `dequeue` returned nil.
    @discardableResult
    func waitForWork(timeout: Duration) async throws -> Bool
}

extension JobQueue {
    public func enqueue(kind: String, payload: Data, contentHash: String, idempotencyKey: String? = nil) async throws -> JobID {
        try await enqueue(kind: kind, payload: payload, contentHash: contentHash, idempotencyKey: idempotencyKey,
                          maxAttempts: QueueOptions.defaultMaxAttempts)
    }

    public func heartbeat(_ job: JobID, token: LeaseToken) async throws {
        try await heartbeat(job, token: token, progress: nil)
    }
}

/// A job's id, unique within its queue.
public struct JobID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (a: JobID, b: JobID) -> Bool { a.rawValue < b.rawValue }
}

/// Proof of holding a job's current lease; each dequeue issues a new one.
public struct LeaseToken: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    static func make() -> LeaseToken { LeaseToken(rawValue: UUID().uuidString.lowercased()) }
    public var description: String { rawValue }
}

/// Where a job is in its life. `queued` includes a job waiting out its
/// backoff; the last three are final.
public enum JobState: String, CaseIterable, Sendable, Codable {
    case queued, running, succeeded, failed, cancelled

    public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// A job leased to a worker.
public struct LeasedJob: Sendable, Equatable {
    public var id: JobID
    public var kind: String
    public var payload: Data
    public var contentHash: String
    public var token: LeaseToken
    /// This attempt's number, from 1.
    public var attempt: Int
    public var maxAttempts: Int
    public var leaseUntil: Date
}

/// What `status` tells about a job.
public struct JobStatus: Sendable, Equatable {
    public var id: JobID
    public var kind: String
    public var contentHash: String
    public var state: JobState
    /// Attempts started so far (a rescued attempt counts).
    public var attempts: Int
    public var maxAttempts: Int
    public var createdAt: Date
    /// When the latest attempt started; nil before the first.
    public var startedAt: Date?
    /// When the job reached a final state.
    public var finishedAt: Date?
    /// Not before this time is a queued job handed out (its backoff).
    public var notBefore: Date
    public var progress: Double?
    /// The last attempt's error (kept when a later attempt is running).
    public var error: String?
    /// The latest attempt's worker (kept once the job finished).
    public var worker: String?
    /// When the current lease ends, while running.
    public var leaseUntil: Date?
}

public enum QueueError: Error, Equatable, CustomStringConvertible {
    /// The caller's lease on the job is gone: it expired and the job was
    /// rescued (requeued or leased again), or the job already finished.
    case leaseLost(JobID)
    /// The job was cancelled while the caller held its lease.
    case jobCancelled(JobID)
    case noSuchJob(JobID)
    /// An argument the queue cannot take (named, with what was expected).
    case invalid(String)
    /// The database refused or failed (its message, naming the database).
    case storage(String)

    public var description: String {
        switch self {
        case .leaseLost(let id): "job \(id): the lease is lost (it expired and the job was rescued, or the job finished); nothing was changed"
        case .jobCancelled(let id): "job \(id): cancelled while running; nothing was changed"
        case .noSuchJob(let id): "job \(id): no such job"
        case .invalid(let message): message
        case .storage(let message): message
        }
    }
}

/// Settings shared by both backends.
public struct QueueOptions: Sendable {
    public static let defaultMaxAttempts = 3

    /// The first retry waits `backoffBase`, each later one twice the one
    /// before, never more than `backoffCap`.
    public var backoffBase: Duration = .seconds(1)
    public var backoffCap: Duration = .seconds(600)
    /// The time, in every timestamp the queue writes and compares. Tests
    /// move it by hand; with PostgreSQL the workers' clocks should agree to
    /// well within a lease.
    public var clock: @Sendable () -> Date = { Date() }
    /// How often an idle SQLite worker looks for work in `waitForWork`.
    public var pollInterval: Duration = .milliseconds(200)

    public init() {}

    /// The wait before attempt `attempts + 1`, after `attempts` failed ones.
    public func backoff(afterAttempts attempts: Int) -> Duration {
        let doublings = max(0, min(attempts - 1, 40))
        let wait = backoffBase * (1 << doublings)
        return min(wait, backoffCap)
    }
}

// Timestamps are stored as integer milliseconds since 1970 in both backends.
extension Date {
    var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}

extension Duration {
    var millis: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}

/// Checks shared by the backends before anything is written.
enum Validate {
    static func enqueue(kind: String, contentHash: String, idempotencyKey: String?, maxAttempts: Int) throws {
        guard !kind.isEmpty else { throw QueueError.invalid("enqueue: kind is empty; expected a job kind such as \"backtest\"") }
        guard !contentHash.isEmpty else { throw QueueError.invalid("enqueue: contentHash is empty; expected the hash of what the job computes") }
        if let key = idempotencyKey, key.isEmpty { throw QueueError.invalid("enqueue: idempotencyKey is empty; pass nil for none") }
        guard (1...1000).contains(maxAttempts) else {
            throw QueueError.invalid("enqueue: maxAttempts is \(maxAttempts); expected 1 to 1000")
        }
    }

    static func lease(_ lease: Duration) throws {
        guard lease.millis >= 1 else { throw QueueError.invalid("dequeue: lease is \(lease); expected at least 1 ms") }
    }

    static func progress(_ p: Double?) throws {
        if let p, !(0...1).contains(p) { throw QueueError.invalid("heartbeat: progress is \(p); expected 0 to 1") }
    }
}
