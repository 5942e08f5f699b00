import Foundation
import PostgresNIO
import StratQueue

/// The server's tables in the PostgreSQL queue's schema, on its connection pool.
public final class PostgresServerStore: ServerStore {
    let queue: PostgresJobQueue
    var client: PostgresClient { queue.client }
    var s: String { queue.schema }

    public init(queue: PostgresJobQueue) async throws {
        self.queue = queue
        let s = queue.schema
        let statements = [
            """
            CREATE TABLE IF NOT EXISTS \(s).server_tokens (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL, revoked_at BIGINT, limits TEXT NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS \(s).server_jobs (
                job_id BIGINT PRIMARY KEY, token_id BIGINT NOT NULL, kind TEXT NOT NULL, batch_id BIGINT, idempotency_key TEXT UNIQUE)
            """,
            "CREATE INDEX IF NOT EXISTS server_jobs_token ON \(s).server_jobs (token_id, job_id)",
            "CREATE INDEX IF NOT EXISTS server_jobs_batch ON \(s).server_jobs (batch_id, job_id)",
            """
            CREATE TABLE IF NOT EXISTS \(s).server_batches (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, token_id BIGINT NOT NULL, request BYTEA NOT NULL, points INTEGER NOT NULL,
                idempotency_key TEXT UNIQUE, created_at BIGINT NOT NULL)
            """,
        ]
        try await transaction { c in
            // Serialises nodes starting together (released at commit).
            try await c.query("SELECT pg_advisory_xact_lock(hashtext(\("strat server " + s)))", logger: quietLogger)
            for statement in statements { try await c.query(PostgresQuery(unsafeSQL: statement), logger: quietLogger) }
        }
    }

    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do { return try await client.withTransaction(logger: quietLogger) { try await body($0) } } catch let e as PostgresTransactionError {
            if let inner = e.closureError as? ServerError { throw inner }
            throw failure(e.closureError ?? e.beginError ?? e.commitError ?? e)
        } catch let e as ServerError { throw e } catch { throw failure(error) }
    }

    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        do { return try await client.query(query, logger: quietLogger).collect() } catch { throw failure(error) }
    }

    func failure(_ error: any Error) -> ServerError { ServerError(PostgresJobQueue.storageError(error, place: queue.place).description) }

    static func token(_ r: PostgresRow) throws -> TokenRecord {
        let (id, name, created, revoked, limits) = try r.decode((Int64, String, Int64, Int64?, String).self)
        return TokenRecord(id: id, name: name, createdAt: Date(millis: created), revokedAt: revoked.map(Date.init(millis:)), limits: TokenLimits.from(json: limits))
    }

    public func createToken(name: String, hash: String, limits: TokenLimits) async throws -> TokenRecord {
        let rows = try await rows("""
            INSERT INTO \(unescaped: s).server_tokens (name, hash, created_at, limits) VALUES (\(name), \(hash), \(Date().millis), \(limits.json))
            ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at, revoked_at, limits
            """)
        guard let row = rows.first else {
            throw ServerError("a token named `\(name)` exists already; choose another name (or revoke it: `strat token revoke \(name)`)")
        }
        return try Self.token(row)
    }

    public func tokens() async throws -> [TokenRecord] {
        try await rows("SELECT id, name, created_at, revoked_at, limits FROM \(unescaped: s).server_tokens ORDER BY id").map(Self.token)
    }

    public func token(hash: String) async throws -> TokenRecord? {
        try await rows("SELECT id, name, created_at, revoked_at, limits FROM \(unescaped: s).server_tokens WHERE hash = \(hash)").first.map(Self.token)
    }

    public func revokeToken(name: String) async throws -> Bool {
        !(try await rows("UPDATE \(unescaped: s).server_tokens SET revoked_at = \(Date().millis) WHERE name = \(name) AND revoked_at IS NULL RETURNING id")).isEmpty
    }

    public func recordJob(_ job: JobID, token: Int64, kind: String, batch: Int64?, idempotencyKey: String?) async throws {
        try await rows("""
            INSERT INTO \(unescaped: s).server_jobs (job_id, token_id, kind, batch_id, idempotency_key)
            VALUES (\(job.rawValue), \(token), \(kind), \(batch), \(idempotencyKey)) ON CONFLICT DO NOTHING
            """)
    }

    public func job(idempotencyKey: String) async throws -> JobID? {
        try await rows("SELECT job_id FROM \(unescaped: s).server_jobs WHERE idempotency_key = \(idempotencyKey)").first.map { JobID(try $0.decode(Int64.self)) }
    }

    public func jobOwner(_ job: JobID) async throws -> (token: Int64, kind: String)? {
        try await rows("SELECT token_id, kind FROM \(unescaped: s).server_jobs WHERE job_id = \(job.rawValue)").first.map { try $0.decode((Int64, String).self) }
    }

    public func activeSubmissions(token: Int64) async throws -> Int {
        try await rows("""
            SELECT count(DISTINCT coalesce('batch ' || o.batch_id, 'job ' || o.job_id))::BIGINT FROM \(unescaped: s).server_jobs o
            WHERE o.token_id = \(token) AND o.job_id IN (SELECT id FROM \(unescaped: s).jobs WHERE state = 'queued'
                                                        UNION ALL SELECT id FROM \(unescaped: s).jobs WHERE state = 'running')
            """).first.map { Int(try $0.decode(Int64.self)) } ?? 0
    }

    public func backtests(token: Int64, limit: Int) async throws -> [JobID] {
        try await rows("SELECT job_id FROM \(unescaped: s).server_jobs WHERE token_id = \(token) AND kind = 'backtest' ORDER BY job_id DESC LIMIT \(limit)")
            .map { JobID(try $0.decode(Int64.self)) }
    }

    public func createBatch(token: Int64, request: Data, points: Int, idempotencyKey: String?) async throws -> (id: Int64, created: Bool) {
        let inserted = try await rows("""
            INSERT INTO \(unescaped: s).server_batches (token_id, request, points, idempotency_key, created_at)
            VALUES (\(token), \(request), \(points), \(idempotencyKey), \(Date().millis)) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
            """)
        if let row = inserted.first { return (try row.decode(Int64.self), true) }
        let existing = try await rows("SELECT id FROM \(unescaped: s).server_batches WHERE idempotency_key = \(idempotencyKey)")
        guard let row = existing.first else { throw ServerError("PostgreSQL \(queue.place): the batch's idempotency key vanished") }
        return (try row.decode(Int64.self), false)
    }

    public func batch(_ id: Int64) async throws -> BatchRecord? {
        try await rows("SELECT id, token_id, request, points, created_at FROM \(unescaped: s).server_batches WHERE id = \(id)").first.map {
            let (id, token, request, points, created) = try $0.decode((Int64, Int64, Data, Int, Int64).self)
            return BatchRecord(id: id, token: token, request: request, points: points, createdAt: Date(millis: created))
        }
    }

    public func batch(idempotencyKey: String) async throws -> Int64? {
        try await rows("SELECT id FROM \(unescaped: s).server_batches WHERE idempotency_key = \(idempotencyKey)").first.map { try $0.decode(Int64.self) }
    }

    public func batchJobs(_ id: Int64) async throws -> [JobID] {
        try await rows("SELECT job_id FROM \(unescaped: s).server_jobs WHERE batch_id = \(id) ORDER BY job_id").map { JobID(try $0.decode(Int64.self)) }
    }
}
