import Foundation
import GRDB

/// The job queue in a SQLite file of its own, for one machine: any number of
/// worker processes share it. WAL, so readers never wait for the writer; every
/// write is one `BEGIN IMMEDIATE` transaction, so a dequeue's look and take are
/// one step that no other process can split; a writer waits up to
/// `busyTimeout` for another.
///
/// ```swift
/// let queue = try SQLiteJobQueue(path: "/var/lib/strat/jobs.db")
/// let id = try await queue.enqueue(kind: "backtest", payload: body, contentHash: hash)
/// ```
///
/// Its own file, not the market-data store's: a queue is written many times a
/// second by many processes, and its migrations must not wait for (or be
/// refused by) a store made by another version of strat.
public final class SQLiteJobQueue: JobQueue {
    public let path: String
    let db: DatabasePool
    let options: QueueOptions

    public init(path: String, options: QueueOptions = QueueOptions(), busyTimeout: TimeInterval = 60) throws {
        self.path = path
        self.options = options
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw QueueError.storage("\(path): is a directory; expected a queue file (e.g. \(path)/jobs.db)")
        }
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw QueueError.storage("\(path): cannot make the directory \(dir.path) (\(error.localizedDescription))")
        }
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        do {
            db = try DatabasePool(path: path, configuration: config)     // a pool runs in WAL mode
            try Self.migrator.migrate(db)
        } catch let e as DatabaseError {
            throw Self.error(e, path: path)
        }
    }

    /// Append-only: a released migration is never edited; changes come as new ones.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("queue v1: jobs and their results") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL, payload BLOB NOT NULL, content_hash TEXT NOT NULL,
                    idempotency_key TEXT UNIQUE,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                    created_at INTEGER NOT NULL, not_before INTEGER NOT NULL,
                    started_at INTEGER, finished_at INTEGER, progress REAL, error TEXT,
                    worker TEXT, lease_token TEXT, lease_ms INTEGER, lease_until INTEGER
                );
                CREATE INDEX jobs_queued ON jobs (id, not_before) WHERE state = 'queued';
                CREATE INDEX jobs_running ON jobs (lease_until) WHERE state = 'running';
                CREATE TABLE job_results (
                    content_hash TEXT PRIMARY KEY NOT NULL, result BLOB NOT NULL, created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        return m
    }

    static func error(_ e: DatabaseError, path: String) -> QueueError {
        switch e.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: .storage("\(path): the queue is busy: another process held it too long; try again")
        case .SQLITE_READONLY: .storage("\(path): the queue is read-only here (file or directory permissions)")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: .storage("\(path): not a job queue, or a damaged one (\(e.message ?? "file is not a database"))")
        case .SQLITE_CANTOPEN: .storage("\(path): cannot open the queue (\(e.message ?? "unable to open database file"))")
        case .SQLITE_FULL: .storage("\(path): the disk is full; nothing more was written")
        default: .storage("\(path): \(e.message ?? "SQLite error \(e.resultCode.rawValue)")")
        }
    }

    /// One `BEGIN IMMEDIATE` transaction: it takes the write lock before
    /// reading, so what it read cannot change before it writes.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await db.writeWithoutTransaction { db in
                var value: T?
                try db.inTransaction(.immediate) {
                    value = try body(db)
                    return .commit
                }
                return value!
            }
        } catch let e as DatabaseError {
            throw Self.error(e, path: path)
        }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await db.read(body) } catch let e as DatabaseError { throw Self.error(e, path: path) }
    }

    public func enqueue(kind: String, payload: Data, contentHash: String, idempotencyKey: String?, maxAttempts: Int) async throws -> JobID {
        try Validate.enqueue(kind: kind, contentHash: contentHash, idempotencyKey: idempotencyKey, maxAttempts: maxAttempts)
        let now = options.clock().millis
        return try await write { db in
            if let idempotencyKey,
               let id = try Int64.fetchOne(db, sql: "SELECT id FROM jobs WHERE idempotency_key = ?", arguments: [idempotencyKey]) {
                return JobID(id)
            }
            let id = try Int64.fetchOne(db, sql: """
                INSERT INTO jobs (kind, payload, content_hash, idempotency_key, state, max_attempts, created_at, not_before)
                VALUES (?, ?, ?, ?, 'queued', ?, ?, ?) RETURNING id
                """, arguments: [kind, payload, contentHash, idempotencyKey, maxAttempts, now, now])
            return JobID(id!)
        }
    }

    public func dequeue(worker: String, lease: Duration) async throws -> LeasedJob? {
        try Validate.lease(lease)
        let now = options.clock().millis, leaseMs = lease.millis, token = LeaseToken.make()
        return try await write { db in
            try Self.rescue(db, now: now)
            guard let id = try Int64.fetchOne(db, sql: """
                SELECT id FROM jobs WHERE state = 'queued' AND not_before <= ? ORDER BY id LIMIT 1
                """, arguments: [now]) else { return nil }
            let row = try Row.fetchOne(db, sql: """
                UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?, progress = NULL,
                    worker = ?, lease_token = ?, lease_ms = ?, lease_until = ?
                WHERE id = ? RETURNING kind, payload, content_hash, attempts, max_attempts
                """, arguments: [now, worker, token.rawValue, leaseMs, now + leaseMs, id])!
            return LeasedJob(id: JobID(id), kind: row["kind"], payload: row["payload"], contentHash: row["content_hash"],
                             token: token, attempt: row["attempts"], maxAttempts: row["max_attempts"],
                             leaseUntil: Date(millis: now + leaseMs))
        }
    }

    public func heartbeat(_ job: JobID, token: LeaseToken, progress: Double?) async throws {
        try Validate.progress(progress)
        let now = options.clock().millis
        try await write { db in
            try db.execute(sql: """
                UPDATE jobs SET lease_until = ? + lease_ms, progress = coalesce(?, progress)
                WHERE id = ? AND lease_token = ? AND state = 'running'
                """, arguments: [now, progress, job.rawValue, token.rawValue])
            if db.changesCount == 0 { throw try Self.lostLease(db, job) }
        }
    }

    public func complete(_ job: JobID, token: LeaseToken, result: Data) async throws {
        let now = options.clock().millis
        try await write { db in
            guard let hash = try String.fetchOne(db, sql: """
                UPDATE jobs SET state = 'succeeded', finished_at = ?, progress = 1, lease_token = NULL, lease_until = NULL
                WHERE id = ? AND lease_token = ? AND state = 'running' RETURNING content_hash
                """, arguments: [now, job.rawValue, token.rawValue]) else { throw try Self.lostLease(db, job) }
            try db.execute(sql: """
                INSERT INTO job_results (content_hash, result, created_at) VALUES (?, ?, ?) ON CONFLICT (content_hash) DO NOTHING
                """, arguments: [hash, result, now])
        }
    }

    public func fail(_ job: JobID, token: LeaseToken, error: String, retryable: Bool) async throws -> JobState {
        let now = options.clock().millis, options = options
        return try await write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT attempts, max_attempts FROM jobs WHERE id = ? AND lease_token = ? AND state = 'running'
                """, arguments: [job.rawValue, token.rawValue]) else { throw try Self.lostLease(db, job) }
            let attempts: Int = row["attempts"], maxAttempts: Int = row["max_attempts"]
            if retryable && attempts < maxAttempts {
                let notBefore = now + options.backoff(afterAttempts: attempts).millis
                try db.execute(sql: """
                    UPDATE jobs SET state = 'queued', not_before = ?, error = ?, lease_token = NULL, lease_until = NULL WHERE id = ?
                    """, arguments: [notBefore, error, job.rawValue])
                return .queued
            }
            try db.execute(sql: """
                UPDATE jobs SET state = 'failed', finished_at = ?, error = ?, lease_token = NULL, lease_until = NULL WHERE id = ?
                """, arguments: [now, error, job.rawValue])
            return .failed
        }
    }

    public func release(_ job: JobID, token: LeaseToken) async throws {
        let now = options.clock().millis
        try await write { db in
            try db.execute(sql: QueueSQL.release(jobs: "jobs", now: "?", job: "?", token: "?"), arguments: [now, job.rawValue, token.rawValue])
            if db.changesCount == 0 { throw try Self.lostLease(db, job) }
        }
    }

    public func cancel(_ job: JobID) async throws -> Bool {
        let now = options.clock().millis
        return try await write { db in
            try db.execute(sql: """
                UPDATE jobs SET state = 'cancelled', finished_at = ?, lease_token = NULL, lease_until = NULL
                WHERE id = ? AND state IN ('queued', 'running')
                """, arguments: [now, job.rawValue])
            if db.changesCount > 0 { return true }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [job.rawValue]) != nil else {
                throw QueueError.noSuchJob(job)
            }
            return false
        }
    }

    public func status(_ job: JobID) async throws -> JobStatus? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [job.rawValue]).map { row in
                JobStatus(id: JobID(row["id"] as Int64), kind: row["kind"], contentHash: row["content_hash"],
                          state: JobState(rawValue: row["state"]) ?? .failed,
                          attempts: row["attempts"], maxAttempts: row["max_attempts"],
                          createdAt: Date(millis: row["created_at"]), startedAt: (row["started_at"] as Int64?).map(Date.init(millis:)),
                          finishedAt: (row["finished_at"] as Int64?).map(Date.init(millis:)),
                          notBefore: Date(millis: row["not_before"]), progress: row["progress"], error: row["error"],
                          worker: row["worker"], leaseUntil: (row["lease_until"] as Int64?).map(Date.init(millis:)))
            }
        }
    }

    public func result(_ job: JobID) async throws -> Data? {
        try await read { db in
            try Data.fetchOne(db, sql: """
                SELECT r.result FROM jobs j JOIN job_results r ON r.content_hash = j.content_hash
                WHERE j.id = ? AND j.state = 'succeeded'
                """, arguments: [job.rawValue])
        }
    }

    public func rescueExpired() async throws -> Int {
        let now = options.clock().millis
        return try await write { db in try Self.rescue(db, now: now) }
    }

    public func counts() async throws -> [JobState: Int] {
        try await read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM jobs GROUP BY state") {
                if let state = JobState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }

    /// Polls every `options.pollInterval`: SQLite cannot tell another process's
    /// waiting worker that a job arrived.
    public func waitForWork(timeout: Duration) async throws -> Bool {
        let clock = ContinuousClock(), deadline = clock.now + timeout
        while clock.now < deadline {
            let now = options.clock().millis
            let due = try await read { db in
                try Bool.fetchOne(db, sql: """
                    SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND not_before <= ?)
                        OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running' AND lease_until < ?)
                    """, arguments: [now, now]) ?? false
            }
            if due { return true }
            try await Task.sleep(for: min(options.pollInterval, deadline - clock.now))
        }
        return false
    }

    /// Running jobs whose lease ended go back to the queue at once (losing a
    /// worker is not the job's fault), or fail when that was their last attempt.
    @discardableResult
    static func rescue(_ db: Database, now: Int64) throws -> Int {
        try db.execute(sql: QueueSQL.rescue(jobs: "jobs", now: "?"), arguments: [now, now, now])
        return db.changesCount
    }

    /// Why a token-guarded write matched nothing.
    static func lostLease(_ db: Database, _ job: JobID) throws -> QueueError {
        guard let state = try String.fetchOne(db, sql: "SELECT state FROM jobs WHERE id = ?", arguments: [job.rawValue]) else {
            return .noSuchJob(job)
        }
        return state == JobState.cancelled.rawValue ? .jobCancelled(job) : .leaseLost(job)
    }
}
