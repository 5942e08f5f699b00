import Foundation
import PostgresNIO
import StratPostgres

/// The job queue in PostgreSQL, for workers on many machines. A dequeue locks
/// the row it takes with `FOR UPDATE SKIP LOCKED`, so concurrent dequeuers
/// pass over each other's rows instead of waiting; an enqueue sends `NOTIFY`
/// so idle workers (in `waitForWork`, on `LISTEN`) wake at once.
///
/// ```swift
/// let queue = try await PostgresJobQueue.connect(url: "postgres://strat@db.local:5432/strat")
/// defer { queue.shutdown() }
/// let id = try await queue.enqueue(kind: "backtest", payload: body, contentHash: hash)
/// ```
///
/// Tables live in a schema of their own (`strat` unless told), made and
/// migrated on connect under an advisory lock, so workers starting together
/// migrate once.
public final class PostgresJobQueue: JobQueue {
    public let schema: String
    /// The connection pool, which the server's own tables share.
    public let client: PostgresClient
    let runner: Task<Void, Never>
    let options: QueueOptions
    /// The URL without its password, for messages.
    public let place: String
    var logger: Logger { quietLogger }

    var jobs: String { "\(schema).jobs" }
    var results: String { "\(schema).job_results" }
    var channel: String { "\(schema)_jobs" }

    init(client: PostgresClient, schema: String, options: QueueOptions, place: String) {
        self.client = client
        self.schema = schema
        self.options = options
        self.place = place
        runner = Task { await client.run() }
    }

    /// Connects (`postgres://user:password@host:port/database`; `?sslmode=disable|prefer|require`,
    /// `?host=/socket/dir` for a Unix socket) and migrates the schema.
    ///
    /// The migration runs on one connection of its own, made first: a server
    /// that is not there, refuses the user or lacks the database is reported
    /// at once, in its own words (the pool would retry for a minute and then
    /// say only that its circuit breaker tripped).
    public static func connect(url: String, schema: String = "strat", options: QueueOptions = QueueOptions(),
                               maximumConnections: Int = 20) async throws -> PostgresJobQueue {
        guard schema.range(of: #"^[a-z_][a-z0-9_]{0,40}$"#, options: .regularExpression) != nil else {
            throw QueueError.invalid("schema \"\(schema)\": expected lower-case letters, digits and _ (at most 41), not starting with a digit")
        }
        let target: PostgresURL
        do { target = try PostgresURL(url) } catch { throw QueueError.invalid(error.description) }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: try target.connectionConfiguration(), id: 0, logger: quietLogger)
        } catch {
            throw connectError(error, place: target.place)
        }
        do {
            try await migrate(connection, schema: schema)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw storageError(error, place: target.place)
        }
        var configuration = target.clientConfiguration()
        configuration.options.maximumConnections = maximumConnections
        return PostgresJobQueue(client: PostgresClient(configuration: configuration), schema: schema, options: options, place: target.place)
    }

    /// Closes the connections; the queue is unusable afterwards.
    public func shutdown() { runner.cancel() }

    deinit { runner.cancel() }

    /// Append-only, as the SQLite migrations: one list of statements per
    /// migration (the extended protocol runs one statement per query).
    static func migrations(schema: String) -> [(id: String, statements: [String])] {
        [("queue v1: jobs and their results", [
            """
            CREATE TABLE \(schema).jobs (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind TEXT NOT NULL, payload BYTEA NOT NULL, content_hash TEXT NOT NULL,
                idempotency_key TEXT UNIQUE,
                state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
                attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
                created_at BIGINT NOT NULL, not_before BIGINT NOT NULL,
                started_at BIGINT, finished_at BIGINT, progress DOUBLE PRECISION, error TEXT,
                worker TEXT, lease_token TEXT, lease_ms BIGINT, lease_until BIGINT
            )
            """,
            "CREATE INDEX jobs_queued ON \(schema).jobs (id, not_before) WHERE state = 'queued'",
            "CREATE INDEX jobs_running ON \(schema).jobs (lease_until) WHERE state = 'running'",
            """
            CREATE TABLE \(schema).job_results (
                content_hash TEXT PRIMARY KEY, result BYTEA NOT NULL, created_at BIGINT NOT NULL
            )
            """,
        ])]
    }

    static func migrate(_ c: PostgresConnection, schema: String) async throws {
        do {
            try await c.withTransaction(logger: quietLogger) { c in
                // Serialises concurrent migrators; released at commit.
                try await c.query("SELECT pg_advisory_xact_lock(hashtext(\("strat queue " + schema)))", logger: quietLogger)
                try await c.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)", logger: quietLogger)
                try await c.query("""
                    CREATE TABLE IF NOT EXISTS \(unescaped: schema).queue_migrations (
                        id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                    """, logger: quietLogger)
                var applied = Set<String>()
                for try await id in try await c.query("SELECT id FROM \(unescaped: schema).queue_migrations", logger: quietLogger)
                    .decode(String.self) { applied.insert(id) }
                for migration in migrations(schema: schema) where !applied.contains(migration.id) {
                    for statement in migration.statements { try await c.query(PostgresQuery(unsafeSQL: statement), logger: quietLogger) }
                    try await c.query("INSERT INTO \(unescaped: schema).queue_migrations (id) VALUES (\(migration.id))", logger: quietLogger)
                }
            }
        } catch let e as PostgresTransactionError {
            throw e.closureError ?? e.beginError ?? e.commitError ?? e
        }
    }

    // MARK: Running SQL

    /// A transaction whose closure's own errors (a lost lease) come out as they were thrown.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { try await body($0) }
        } catch let e as PostgresTransactionError {
            if let inner = e.closureError as? QueueError { throw inner }
            throw storageError(e.closureError ?? e.beginError ?? e.commitError ?? e)
        } catch let e as QueueError {
            throw e
        } catch {
            throw storageError(error)
        }
    }

    /// One statement in its own transaction; its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        do { return try await client.query(query, logger: logger).collect() } catch { throw storageError(error) }
    }

    func storageError(_ error: any Error) -> QueueError { Self.storageError(error, place: place) }

    public static func storageError(_ error: any Error, place: String) -> QueueError {
        if let e = error as? QueueError { return e }
        if let e = error as? PSQLError {
            // PSQLError's description hides everything; the server's message is what helps.
            if let message = e.serverInfo?[.message] { return .storage("PostgreSQL \(place): \(message)") }
            if let underlying = e.underlying { return .storage("PostgreSQL \(place): \(e.code): \(underlying)") }
            return .storage("PostgreSQL \(place): \(e.code)")
        }
        return .storage("PostgreSQL \(place): \(error)")
    }

    /// A socket error as the system words it ("Connection refused"), not NIO's nested dump.
    static func reason(_ error: any Error) -> String {
        if let e = error as? IOError { return String(cString: strerror(e.errnoCode)) }
        if let e = error as? NIOConnectionError, let last = e.connectionErrors.last { return reason(last.error) }
        return "\(error)"
    }

    static func connectError(_ error: any Error, place: String) -> QueueError {
        if let e = error as? PSQLError, e.serverInfo == nil {
            return .storage("PostgreSQL \(place): cannot connect (\(e.underlying.map(reason) ?? "\(e.code)"))")
        }
        return storageError(error, place: place)
    }

    // MARK: The queue

    public func enqueue(kind: String, payload: Data, contentHash: String, idempotencyKey: String?, maxAttempts: Int) async throws -> JobID {
        try Validate.enqueue(kind: kind, contentHash: contentHash, idempotencyKey: idempotencyKey, maxAttempts: maxAttempts)
        let now = options.clock().millis
        // The NOTIFY is sent when the insert commits; a repeated key inserts nothing and wakes no one.
        let inserted = try await rows("""
            WITH inserted AS (
                INSERT INTO \(unescaped: jobs) (kind, payload, content_hash, idempotency_key, state, max_attempts, created_at, not_before)
                VALUES (\(kind), \(payload), \(contentHash), \(idempotencyKey), 'queued', \(maxAttempts), \(now), \(now))
                ON CONFLICT (idempotency_key) DO NOTHING RETURNING id)
            SELECT id, pg_notify(\(channel), '') FROM inserted
            """)
        if let row = inserted.first { return JobID(try row.decode((Int64, String).self).0) }
        // The key was taken (by a transaction that has committed: ON CONFLICT waited for it).
        let existing = try await rows("SELECT id FROM \(unescaped: jobs) WHERE idempotency_key = \(idempotencyKey)")
        guard let row = existing.first else { throw QueueError.storage("PostgreSQL \(place): enqueue: the idempotency key vanished") }
        return JobID(try row.decode(Int64.self))
    }

    public func dequeue(worker: String, lease: Duration) async throws -> LeasedJob? {
        try Validate.lease(lease)
        _ = try await rescueExpired()
        let now = options.clock().millis, leaseMs = lease.millis, token = LeaseToken.make()
        // MATERIALIZED: the CTE runs once, so the LIMIT 1 row locked is the row updated.
        let taken = try await rows("""
            WITH next AS MATERIALIZED (
                SELECT id FROM \(unescaped: jobs) WHERE state = 'queued' AND not_before <= \(now)
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            UPDATE \(unescaped: jobs) j SET state = 'running', attempts = j.attempts + 1, started_at = \(now), progress = NULL,
                worker = \(worker), lease_token = \(token.rawValue), lease_ms = \(leaseMs), lease_until = \(now + leaseMs)
            FROM next WHERE j.id = next.id
            RETURNING j.id, j.kind, j.payload, j.content_hash, j.attempts, j.max_attempts
            """)
        guard let row = taken.first else { return nil }
        let (id, kind, payload, hash, attempts, maxAttempts) = try row.decode((Int64, String, Data, String, Int, Int).self)
        return LeasedJob(id: JobID(id), kind: kind, payload: payload, contentHash: hash, token: token,
                         attempt: attempts, maxAttempts: maxAttempts, leaseUntil: Date(millis: now + leaseMs))
    }

    public func heartbeat(_ job: JobID, token: LeaseToken, progress: Double?) async throws {
        try Validate.progress(progress)
        let now = options.clock().millis
        let updated = try await rows("""
            UPDATE \(unescaped: jobs) SET lease_until = \(now) + lease_ms, progress = coalesce(\(progress), progress)
            WHERE id = \(job.rawValue) AND lease_token = \(token.rawValue) AND state = 'running' RETURNING id
            """)
        if updated.isEmpty { throw try await lostLease(job) }
    }

    public func complete(_ job: JobID, token: LeaseToken, result: Data) async throws {
        let now = options.clock().millis
        // One statement: the result is written only if the lease still held.
        let done = try await rows("""
            WITH done AS (
                UPDATE \(unescaped: jobs) SET state = 'succeeded', finished_at = \(now), progress = 1, lease_token = NULL, lease_until = NULL
                WHERE id = \(job.rawValue) AND lease_token = \(token.rawValue) AND state = 'running' RETURNING content_hash),
            stored AS (
                INSERT INTO \(unescaped: results) (content_hash, result, created_at) SELECT content_hash, \(result), \(now) FROM done
                ON CONFLICT (content_hash) DO NOTHING)
            SELECT content_hash FROM done
            """)
        if done.isEmpty { throw try await lostLease(job) }
    }

    public func fail(_ job: JobID, token: LeaseToken, error: String, retryable: Bool) async throws -> JobState {
        let now = options.clock().millis, options = options
        let state = try await transaction { c -> JobState? in
            let held = try await c.query("""
                SELECT attempts, max_attempts FROM \(unescaped: self.jobs)
                WHERE id = \(job.rawValue) AND lease_token = \(token.rawValue) AND state = 'running' FOR UPDATE
                """, logger: self.logger).collect()
            guard let row = held.first else { return nil }
            let (attempts, maxAttempts) = try row.decode((Int, Int).self)
            if retryable && attempts < maxAttempts {
                let notBefore = now + options.backoff(afterAttempts: attempts).millis
                try await c.query("""
                    UPDATE \(unescaped: self.jobs) SET state = 'queued', not_before = \(notBefore), error = \(error),
                        lease_token = NULL, lease_until = NULL WHERE id = \(job.rawValue)
                    """, logger: self.logger)
                return .queued
            }
            try await c.query("""
                UPDATE \(unescaped: self.jobs) SET state = 'failed', finished_at = \(now), error = \(error),
                    lease_token = NULL, lease_until = NULL WHERE id = \(job.rawValue)
                """, logger: self.logger)
            return .failed
        }
        guard let state else { throw try await lostLease(job) }
        return state
    }

    public func release(_ job: JobID, token: LeaseToken) async throws {
        let now = options.clock().millis
        var binds = PostgresBindings()
        binds.append(now)
        binds.append(job.rawValue)
        binds.append(token.rawValue)
        let released = try await rows(PostgresQuery(
            unsafeSQL: QueueSQL.release(jobs: jobs, now: "$1", job: "$2", token: "$3") + " RETURNING id", binds: binds))
        if released.isEmpty { throw try await lostLease(job) }
    }

    public func cancel(_ job: JobID) async throws -> Bool {
        let now = options.clock().millis
        let cancelled = try await rows("""
            UPDATE \(unescaped: jobs) SET state = 'cancelled', finished_at = \(now), lease_token = NULL, lease_until = NULL
            WHERE id = \(job.rawValue) AND state IN ('queued', 'running') RETURNING id
            """)
        if !cancelled.isEmpty { return true }
        if try await rows("SELECT 1 FROM \(unescaped: jobs) WHERE id = \(job.rawValue)").isEmpty { throw QueueError.noSuchJob(job) }
        return false
    }

    public func status(_ job: JobID) async throws -> JobStatus? {
        guard let row = try await rows("""
            SELECT id, kind, content_hash, state, attempts, max_attempts, created_at, started_at, finished_at,
                not_before, progress, error, worker, lease_until FROM \(unescaped: jobs) WHERE id = \(job.rawValue)
            """).first else { return nil }
        let r = row.makeRandomAccess()
        do {
            return JobStatus(
                id: JobID(try r["id"].decode(Int64.self)), kind: try r["kind"].decode(String.self),
                contentHash: try r["content_hash"].decode(String.self),
                state: JobState(rawValue: try r["state"].decode(String.self)) ?? .failed,
                attempts: try r["attempts"].decode(Int.self), maxAttempts: try r["max_attempts"].decode(Int.self),
                createdAt: Date(millis: try r["created_at"].decode(Int64.self)),
                startedAt: try r["started_at"].decode(Int64?.self).map(Date.init(millis:)),
                finishedAt: try r["finished_at"].decode(Int64?.self).map(Date.init(millis:)),
                notBefore: Date(millis: try r["not_before"].decode(Int64.self)),
                progress: try r["progress"].decode(Double?.self), error: try r["error"].decode(String?.self),
                worker: try r["worker"].decode(String?.self),
                leaseUntil: try r["lease_until"].decode(Int64?.self).map(Date.init(millis:)))
        } catch { throw storageError(error) }
    }

    public func result(_ job: JobID) async throws -> Data? {
        try await rows("""
            SELECT r.result FROM \(unescaped: jobs) j JOIN \(unescaped: results) r ON r.content_hash = j.content_hash
            WHERE j.id = \(job.rawValue) AND j.state = 'succeeded'
            """).first.map { try $0.decode(Data.self) }
    }

    public func rescueExpired() async throws -> Int {
        let now = options.clock().millis
        // Row locks make concurrent rescuers safe: the second re-checks the
        // WHERE after the first commits and finds the row no longer running.
        let rescued = try await rows(PostgresQuery(
            unsafeSQL: QueueSQL.rescue(jobs: jobs, now: "$1") + " RETURNING state",
            binds: { var b = PostgresBindings(); b.append(now); return b }()))
        if rescued.count > 0 { try await rows("SELECT pg_notify(\(channel), '')") }
        return rescued.count
    }

    public func counts() async throws -> [JobState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in try await rows("SELECT state, count(*) FROM \(unescaped: jobs) GROUP BY state") {
            let (state, n) = try row.decode((String, Int).self)
            if let state = JobState(rawValue: state) { counts[state] = n }
        }
        return counts
    }

    /// LISTENs on the queue's channel, then looks for work once (a job
    /// enqueued before the LISTEN sent no notice it can hear), then waits for
    /// a notice, the next backoff or lease to end, or `timeout`.
    public func waitForWork(timeout: Duration) async throws -> Bool {
        let now = options.clock().millis
        do {
            return try await client.withConnection { c in
                try await c.listen(on: self.channel) { notices in
                    let next = try await c.query("""
                        SELECT min(t) FROM (
                            SELECT min(not_before) AS t FROM \(unescaped: self.jobs) WHERE state = 'queued'
                            UNION ALL SELECT min(lease_until) + 1 FROM \(unescaped: self.jobs) WHERE state = 'running') AS due
                        """, logger: self.logger).collect().first?.decode(Int64?.self)
                    if let next, next <= now { return true }
                    let wait = next.map { min(timeout, .milliseconds($0 - now)) } ?? timeout
                    return try await withThrowingTaskGroup(of: Bool.self) { group in
                        group.addTask { var it = notices.makeAsyncIterator(); return try await it.next() != nil }
                        // Woken by the clock: true when it was for a job coming due, false at the timeout.
                        group.addTask { try await Task.sleep(for: wait); return wait < timeout }
                        let woken = try await group.next() ?? false
                        group.cancelAll()
                        return woken
                    }
                }
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw storageError(error)
        }
    }

    func lostLease(_ job: JobID) async throws -> QueueError {
        guard let row = try await rows("SELECT state FROM \(unescaped: jobs) WHERE id = \(job.rawValue)").first else {
            return .noSuchJob(job)
        }
        return try row.decode(String.self) == JobState.cancelled.rawValue ? .jobCancelled(job) : .leaseLost(job)
    }
}

/// postgres-nio's own messages, errors only: the queue reports its failures as `QueueError`s.
public let quietLogger: Logger = {
    var logger = Logger(label: "strat.queue.postgres")
    logger.logLevel = .error
    return logger
}()
