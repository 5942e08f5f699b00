import Foundation
import GRDB
import StratQueue

/// The server's tables in the SQLite queue file (Docs/Service.md).
public final class SQLiteServerStore: ServerStore {
    let db: DatabasePool
    let path: String

    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(60)
        do {
            db = try DatabasePool(path: path, configuration: config)
            // Created if missing rather than through a migrator: the queue's
            // migrator owns this file's migration table. Later changes come as new tables.
            try db.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS server_tokens (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, hash TEXT NOT NULL UNIQUE,
                        created_at INTEGER NOT NULL, revoked_at INTEGER, limits TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS server_jobs (
                        job_id INTEGER PRIMARY KEY, token_id INTEGER NOT NULL, kind TEXT NOT NULL, batch_id INTEGER,
                        idempotency_key TEXT UNIQUE);
                    CREATE INDEX IF NOT EXISTS server_jobs_token ON server_jobs (token_id, job_id);
                    CREATE INDEX IF NOT EXISTS server_jobs_batch ON server_jobs (batch_id, job_id);
                    CREATE TABLE IF NOT EXISTS server_batches (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, token_id INTEGER NOT NULL, request BLOB NOT NULL, points INTEGER NOT NULL,
                        idempotency_key TEXT UNIQUE, created_at INTEGER NOT NULL);
                    """)
            }
        } catch let e as DatabaseError {
            throw ServerError("\(path): \(e.message ?? "SQLite error \(e.resultCode.rawValue)")")
        }
    }

    func io<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DatabaseError {
            throw ServerError("\(path): \(e.message ?? "SQLite error \(e.resultCode.rawValue)")")
        }
    }

    static func token(_ r: Row) -> TokenRecord {
        TokenRecord(id: r["id"], name: r["name"], createdAt: Date(millis: r["created_at"]), revokedAt: (r["revoked_at"] as Int64?).map(Date.init(millis:)),
                    limits: TokenLimits.from(json: r["limits"]))
    }

    public func createToken(name: String, hash: String, limits: TokenLimits) async throws -> TokenRecord {
        try io {
            try db.write { db in
                if try Row.fetchOne(db, sql: "SELECT 1 FROM server_tokens WHERE name = ?", arguments: [name]) != nil {
                    throw ServerError("a token named `\(name)` exists already; choose another name (or revoke it: `strat token revoke \(name)`)")
                }
                try db.execute(sql: "INSERT INTO server_tokens (name, hash, created_at, limits) VALUES (?, ?, ?, ?)",
                               arguments: [name, hash, Date().millis, limits.json])
                return Self.token(try Row.fetchOne(db, sql: "SELECT * FROM server_tokens WHERE id = ?", arguments: [db.lastInsertedRowID])!)
            }
        }
    }

    public func tokens() async throws -> [TokenRecord] {
        try io { try db.read { try Row.fetchAll($0, sql: "SELECT * FROM server_tokens ORDER BY id").map(Self.token) } }
    }

    public func token(hash: String) async throws -> TokenRecord? {
        try io { try db.read { try Row.fetchOne($0, sql: "SELECT * FROM server_tokens WHERE hash = ?", arguments: [hash]).map(Self.token) } }
    }

    public func revokeToken(name: String) async throws -> Bool {
        try io {
            try db.write { db in
                try db.execute(sql: "UPDATE server_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [Date().millis, name])
                return db.changesCount > 0
            }
        }
    }

    public func recordJob(_ job: JobID, token: Int64, kind: String, batch: Int64?, idempotencyKey: String?) async throws {
        try io {
            try db.write {
                try $0.execute(sql: "INSERT OR IGNORE INTO server_jobs (job_id, token_id, kind, batch_id, idempotency_key) VALUES (?, ?, ?, ?, ?)",
                               arguments: [job.rawValue, token, kind, batch, idempotencyKey])
            }
        }
    }

    public func job(idempotencyKey: String) async throws -> JobID? {
        try io { try db.read { try Int64.fetchOne($0, sql: "SELECT job_id FROM server_jobs WHERE idempotency_key = ?", arguments: [idempotencyKey]).map { JobID($0) } } }
    }

    public func jobOwner(_ job: JobID) async throws -> (token: Int64, kind: String)? {
        try io {
            try db.read { db in
                try Row.fetchOne(db, sql: "SELECT token_id, kind FROM server_jobs WHERE job_id = ?", arguments: [job.rawValue]).map { ($0["token_id"], $0["kind"]) }
            }
        }
    }

    public func activeSubmissions(token: Int64) async throws -> Int {
        try io {
            try db.read {
                try Int.fetchOne($0, sql: """
                    SELECT count(DISTINCT coalesce('batch ' || o.batch_id, 'job ' || o.job_id)) FROM server_jobs o
                    WHERE o.token_id = ? AND o.job_id IN (SELECT id FROM jobs WHERE state = 'queued' UNION ALL SELECT id FROM jobs WHERE state = 'running')
                    """, arguments: [token]) ?? 0
            }
        }
    }

    public func backtests(token: Int64, limit: Int) async throws -> [JobID] {
        try io {
            try db.read {
                try Int64.fetchAll($0, sql: "SELECT job_id FROM server_jobs WHERE token_id = ? AND kind = 'backtest' ORDER BY job_id DESC LIMIT ?",
                                   arguments: [token, limit]).map { JobID($0) }
            }
        }
    }

    public func createBatch(token: Int64, request: Data, points: Int, idempotencyKey: String?) async throws -> (id: Int64, created: Bool) {
        try io {
            try db.write { db in
                if let key = idempotencyKey, let id = try Int64.fetchOne(db, sql: "SELECT id FROM server_batches WHERE idempotency_key = ?", arguments: [key]) {
                    return (id, false)
                }
                try db.execute(sql: "INSERT INTO server_batches (token_id, request, points, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [token, request, points, idempotencyKey, Date().millis])
                return (db.lastInsertedRowID, true)
            }
        }
    }

    public func batch(_ id: Int64) async throws -> BatchRecord? {
        try io {
            try db.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM server_batches WHERE id = ?", arguments: [id]).map {
                    BatchRecord(id: $0["id"], token: $0["token_id"], request: $0["request"], points: $0["points"], createdAt: Date(millis: $0["created_at"]))
                }
            }
        }
    }

    public func batch(idempotencyKey: String) async throws -> Int64? {
        try io { try db.read { try Int64.fetchOne($0, sql: "SELECT id FROM server_batches WHERE idempotency_key = ?", arguments: [idempotencyKey]) } }
    }

    public func batchJobs(_ id: Int64) async throws -> [JobID] {
        try io { try db.read { try Int64.fetchAll($0, sql: "SELECT job_id FROM server_jobs WHERE batch_id = ? ORDER BY job_id", arguments: [id]).map { JobID($0) } } }
    }
}
