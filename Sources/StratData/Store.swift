import Foundation
import GRDB
import StratMarket

/// The market-data store: SQLite through GRDB, in WAL mode, its schema made by
/// append-only migrations. Bars are keyed by (source, market, symbol, interval,
/// open time) and read back in time order, in chunks.
///
/// A store opened `readOnly` creates nothing (no directory, no file, no schema)
/// and reads a store on read-only media or with read-only permissions. Writers
/// wait up to `busyTimeout` for one another (two imports at once both succeed);
/// every SQLite error comes out as a `StoreError` naming the file.
public final class Store: SeriesStore {
    public let path: String
    public var label: String { path }
    public let readOnly: Bool
    let db: DatabasePool

    /// How long a write waits for another process's write to finish (by default 60 s).
    public let busyTimeout: TimeInterval

    /// `~/.strat/strat.db`, or `$STRAT_DB`.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["STRAT_DB"] ?? (NSHomeDirectory() + "/.strat/strat.db")
    }

    public init(path: String = Store.defaultPath, readOnly: Bool = false, busyTimeout: TimeInterval = 60) throws {
        self.path = path
        self.readOnly = readOnly
        self.busyTimeout = busyTimeout
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.readonly = readOnly
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw StoreError(description: "\(path): is a directory; expected a store file (e.g. \(url.appendingPathComponent("strat.db").path))")
        }
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError(description: "\(path): no such store; `strat data import` or `strat data fetch` makes one")
            }
        } else {
            let dir = url.deletingLastPathComponent()
            do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
                // Name the directory that is missing, not only the permission that stopped its making.
                var missing = dir
                while !FileManager.default.fileExists(atPath: missing.deletingLastPathComponent().path), missing.path != "/" {
                    missing = missing.deletingLastPathComponent()
                }
                if FileManager.default.fileExists(atPath: missing.path) { throw StoreError(description: "\(path): \(missing.path) is not a directory") }
                throw StoreError(description: "\(path): no such directory \(missing.path), and it cannot be made (\(posixReason(error)))")
            }
        }
        do {
            do {
                db = try DatabasePool(path: path, configuration: config)     // a pool runs in WAL mode
            } catch let e as DatabaseError where readOnly && [.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(e.resultCode.primaryResultCode) {
                // A WAL store needs its -shm index; where none can be made (a
                // directory we may not write) it is read as immutable.
                var uri = URLComponents()
                uri.scheme = "file"
                uri.path = url.standardizedFileURL.path
                uri.queryItems = [URLQueryItem(name: "immutable", value: "1")]
                db = try DatabasePool(path: uri.string ?? path, configuration: config)
            }
            if readOnly {
                let complete = try db.read { try Self.migrator.hasCompletedMigrations($0) }
                if !complete {
                    let applied = try db.read { try Self.migrator.appliedIdentifiers($0) }
                    throw StoreError(description: applied.isEmpty ? "\(path): not a strat store (it has no bars table)"
                                     : "\(path): the store was made by an older strat; run a command that writes to it (e.g. `strat data import`) to upgrade it")
                }
            } else {
                try Self.migrator.migrate(db)
            }
        } catch let e as DatabaseError {
            throw Self.error(e, path: path, busyTimeout: busyTimeout)
        }
    }

    /// A SQLite error in words, naming the store.
    static func error(_ e: DatabaseError, path: String, busyTimeout: TimeInterval) -> StoreError {
        switch e.resultCode.primaryResultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(description: "\(path): the store is busy: another process held it for more than \(busyTimeout.formatted()) s; try again when it is done")
        case .SQLITE_READONLY:
            return StoreError(description: "\(path): the store is read-only here (file or directory permissions); commands that only read it still work")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError(description: "\(path): not a strat store, or a damaged one (\(e.message ?? "file is not a database"))")
        case .SQLITE_CANTOPEN:
            return StoreError(description: "\(path): cannot open the store (\(e.message ?? "unable to open database file")); check the path and its permissions")
        case .SQLITE_FULL:
            return StoreError(description: "\(path): the disk is full; nothing more was written")
        default:
            return StoreError(description: "\(path): \(e.message ?? "SQLite error \(e.resultCode.rawValue)")")
        }
    }

    /// `db.read`, with SQLite errors as `StoreError`s.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try db.read(body) } catch let e as DatabaseError { throw Self.error(e, path: path, busyTimeout: busyTimeout) }
    }

    /// `db.write` (one IMMEDIATE transaction), with SQLite errors as `StoreError`s.
    func writing<T>(_ body: (Database) throws -> T) throws -> T {
        guard !readOnly else { throw StoreError(description: "\(path): opened read-only") }
        do { return try db.write(body) } catch let e as DatabaseError { throw Self.error(e, path: path, busyTimeout: busyTimeout) }
    }

    /// Append-only: a released migration is never edited; changes come as new ones.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: bars, funding, instruments, fetches, quality reports") { db in
            try db.execute(sql: """
                CREATE TABLE bars (
                    source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL, interval INTEGER NOT NULL,
                    time INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL,
                    close REAL NOT NULL, volume REAL NOT NULL, flags INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (source, market, symbol, interval, time)
                ) WITHOUT ROWID;
                CREATE TABLE funding (
                    source TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL, rate REAL NOT NULL,
                    PRIMARY KEY (source, symbol, time)
                ) WITHOUT ROWID;
                CREATE TABLE instruments (
                    source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL,
                    tick_size REAL, lot_size REAL, min_notional REAL, updated_at INTEGER NOT NULL,
                    PRIMARY KEY (source, market, symbol)
                );
                CREATE TABLE fetches (
                    id INTEGER PRIMARY KEY, source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL,
                    interval INTEGER NOT NULL, from_time INTEGER NOT NULL, to_time INTEGER NOT NULL,
                    started_at INTEGER NOT NULL, finished_at INTEGER, rows INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL
                );
                CREATE TABLE quality_reports (
                    source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL, interval INTEGER NOT NULL,
                    created_at INTEGER NOT NULL, score REAL NOT NULL, report TEXT NOT NULL,
                    PRIMARY KEY (source, market, symbol, interval, created_at)
                );
                """)
        }
        m.registerMigration("v2: corporate actions") { db in
            try db.execute(sql: """
                CREATE TABLE corporate_actions (
                    symbol TEXT NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('split', 'dividend')),
                    value REAL NOT NULL CHECK (value > 0),
                    PRIMARY KEY (symbol, time, kind)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v3: leverage brackets dated per symbol, the mark price of funding payments") { db in
            try db.execute(sql: """
                CREATE TABLE bracket_tables (
                    source TEXT NOT NULL, symbol TEXT NOT NULL, valid_from INTEGER NOT NULL,
                    liquidation_fee REAL CHECK (liquidation_fee IS NULL OR (liquidation_fee >= 0 AND liquidation_fee < 1)),
                    origin TEXT NOT NULL, imported_at INTEGER NOT NULL,
                    PRIMARY KEY (source, symbol, valid_from)
                ) WITHOUT ROWID;
                CREATE TABLE brackets (
                    source TEXT NOT NULL, symbol TEXT NOT NULL, valid_from INTEGER NOT NULL, bracket INTEGER NOT NULL,
                    notional_floor REAL NOT NULL, notional_cap REAL NOT NULL, max_leverage REAL NOT NULL CHECK (max_leverage >= 1),
                    maint_ratio REAL NOT NULL CHECK (maint_ratio > 0 AND maint_ratio < 1), maint_amount REAL NOT NULL,
                    PRIMARY KEY (source, symbol, valid_from, bracket),
                    FOREIGN KEY (source, symbol, valid_from) REFERENCES bracket_tables ON DELETE CASCADE
                ) WITHOUT ROWID;
                ALTER TABLE funding ADD COLUMN mark REAL;
                """)
        }
        m.registerMigration("v4: batch results, keyed by the hash of what made them") { db in
            try db.execute(sql: """
                CREATE TABLE batch_results (
                    key TEXT PRIMARY KEY NOT NULL, engine_version TEXT NOT NULL, created_at INTEGER NOT NULL, result BLOB NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        return m
    }

    public func migrations() throws -> [String] {
        try reading { try Self.migrator.appliedMigrations($0) }
    }

    public func cachedResults(_ keys: [String]) throws -> [String: Data] {
        try reading { db in
            var out: [String: Data] = [:]
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = Array(keys[start..<min(keys.count, start + 500)])
                let rows = try Row.fetchAll(db, sql: "SELECT key, result FROM batch_results WHERE key IN (\(chunk.map { _ in "?" }.joined(separator: ",")))",
                                            arguments: StatementArguments(chunk))
                for r in rows { out[r["key"]] = r["result"] as Data }
            }
            return out
        }
    }

    public func cacheResults(_ items: [(key: String, result: Data)], engineVersion: String, at now: Int64) throws {
        guard !items.isEmpty else { return }
        try writing { db in
            for i in items {
                try db.execute(sql: "INSERT OR REPLACE INTO batch_results (key, engine_version, created_at, result) VALUES (?, ?, ?, ?)",
                               arguments: [i.key, engineVersion, now, i.result])
            }
        }
    }

    public func insert(_ bars: [Bar], flags: [BarFlags] = [], key: SeriesKey, onConflict: ConflictPolicy,
                       examples: Int = 5) throws -> InsertSummary {
        guard let lo = bars.lazy.map(\.time).min(), let hi = bars.lazy.map(\.time).max() else { return InsertSummary(new: 0, changed: 0, examples: []) }
        return try writing { db in
            let before = try Int.fetchOne(db, sql: "SELECT count(*) FROM bars WHERE source = ? AND market = ? AND symbol = ? AND interval = ?",
                                          arguments: [key.source, key.market, key.symbol, key.column]) ?? 0
            // The stored bars in the range, walked in time order beside the
            // incoming ones (a merge: no table of the stored bars is built).
            let sorted = zip(bars.dropFirst(), bars).allSatisfy { $0.time >= $1.time }
            let order = sorted ? Array(bars.indices) : bars.indices.sorted { bars[$0].time < bars[$1].time }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT time, open, high, low, close, volume FROM bars
                WHERE source = ? AND market = ? AND symbol = ? AND interval = ? AND time >= ? AND time <= ?
                ORDER BY time
                """, arguments: [key.source, key.market, key.symbol, key.column, lo, hi])
            var shown: [BarChange] = []
            var changed = 0, j = 0
            while let r = try rows.next() {
                let t: Int64 = r[0]
                while j < order.count, bars[order[j]].time < t { j += 1 }
                var k = j
                while k < order.count, bars[order[k]].time == t {
                    let stored = Bar(time: t, open: r[1], high: r[2], low: r[3], close: r[4], volume: r[5]), incoming = bars[order[k]]
                    if stored != incoming {
                        changed += 1
                        if shown.count < examples { shown.append(BarChange(stored: stored, incoming: incoming)) }
                    }
                    k += 1
                }
            }
            if onConflict == .reject, changed > 0 { throw ConflictError(path: path, key: key, changed: changed, examples: shown) }
            let statement = try db.makeStatement(sql: """
                INSERT OR \(onConflict == .keep ? "IGNORE" : "REPLACE") INTO bars (source, market, symbol, interval, time, open, high, low, close, volume, flags)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (i, b) in bars.enumerated() {
                try statement.execute(arguments: [key.source, key.market, key.symbol, key.column, b.time,
                                                  b.open, b.high, b.low, b.close, b.volume, i < flags.count ? flags[i].rawValue : 0])
            }
            let after = try Int.fetchOne(db, sql: "SELECT count(*) FROM bars WHERE source = ? AND market = ? AND symbol = ? AND interval = ?",
                                         arguments: [key.source, key.market, key.symbol, key.column]) ?? 0
            return InsertSummary(new: after - before, changed: changed, examples: shown)
        }
    }

    public func read(_ key: SeriesKey, from: Int64? = nil, to: Int64? = nil, chunk: Int = Store.readChunk,
                     withFlags body: ([Bar], [BarFlags]) throws -> Void) throws {
        // Keyset pagination: each chunk starts after the last time read.
        var lower = from ?? Int64.min, inclusive = true
        let end = to ?? Int64.max
        while true {
            let rows = try reading { db in
                try Row.fetchAll(db, sql: """
                    SELECT time, open, high, low, close, volume, flags FROM bars
                    WHERE source = ? AND market = ? AND symbol = ? AND interval = ? AND time \(inclusive ? ">=" : ">") ? AND time < ?
                    ORDER BY time LIMIT ?
                    """, arguments: [key.source, key.market, key.symbol, key.column, lower, end, chunk])
            }
            if rows.isEmpty { return }
            let bars = rows.map { Bar(time: $0[0], open: $0[1], high: $0[2], low: $0[3], close: $0[4], volume: $0[5]) }
            try body(bars, rows.map { BarFlags(rawValue: $0[6]) })
            lower = bars.last!.time
            inclusive = false
            if rows.count < chunk { return }
        }
    }

    public func flagged(_ key: SeriesKey, _ flags: BarFlags, limit: Int = 3) throws -> (count: Int, first: [Int64]) {
        try reading { db in
            let args: StatementArguments = [key.source, key.market, key.symbol, key.column, flags.rawValue]
            let count = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM bars WHERE source = ? AND market = ? AND symbol = ? AND interval = ? AND (flags & ?) != 0
                """, arguments: args) ?? 0
            let first = count == 0 ? [] : try Int64.fetchAll(db, sql: """
                SELECT time FROM bars WHERE source = ? AND market = ? AND symbol = ? AND interval = ? AND (flags & ?) != 0 ORDER BY time LIMIT ?
                """, arguments: args + [limit])
            return (count, first)
        }
    }

    public func flags(_ key: SeriesKey) throws -> [BarFlags] {
        try reading { db in
            try Int.fetchAll(db, sql: "SELECT flags FROM bars WHERE source = ? AND market = ? AND symbol = ? AND interval = ? ORDER BY time",
                             arguments: [key.source, key.market, key.symbol, key.column]).map(BarFlags.init(rawValue:))
        }
    }

    public func saveQuality(_ report: QualityReport, key: SeriesKey, at time: Int64) throws {
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        try writing { db in
            try db.execute(sql: "INSERT OR REPLACE INTO quality_reports VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [key.source, key.market, key.symbol, key.column, time, report.score, json])
        }
    }

    public func latestQuality(_ key: SeriesKey) throws -> QualityReport? {
        try reading { db in
            guard let json = try String.fetchOne(db, sql: """
                SELECT report FROM quality_reports WHERE source = ? AND market = ? AND symbol = ? AND interval = ?
                ORDER BY created_at DESC LIMIT 1
                """, arguments: [key.source, key.market, key.symbol, key.column]) else { return nil }
            return try JSONDecoder().decode(QualityReport.self, from: Data(json.utf8))
        }
    }

    public func times(_ key: SeriesKey, from: Int64, to: Int64) throws -> Set<Int64> {
        try reading { db in
            Set(try Int64.fetchAll(db, sql: """
                SELECT time FROM bars WHERE source = ? AND market = ? AND symbol = ? AND interval = ? AND time >= ? AND time < ?
                """, arguments: [key.source, key.market, key.symbol, key.column, from, to]))
        }
    }

    public func startFetch(_ key: SeriesKey, from: Int64, to: Int64, at now: Int64) throws -> Int64 {
        try writing { db in
            try db.execute(sql: """
                INSERT INTO fetches (source, market, symbol, interval, from_time, to_time, started_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'running')
                """, arguments: [key.source, key.market, key.symbol, key.column, from, to, now])
            return db.lastInsertedRowID
        }
    }

    public func finishFetch(_ id: Int64, rows: Int, status: String, at now: Int64) throws {
        try writing { db in
            try db.execute(sql: "UPDATE fetches SET finished_at = ?, rows = ?, status = ? WHERE id = ?", arguments: [now, rows, status, id])
        }
    }

    public func fetchHistory(_ key: SeriesKey) throws -> [(status: String, rows: Int)] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT status, rows FROM fetches WHERE source = ? AND market = ? AND symbol = ? AND interval = ? ORDER BY id
                """, arguments: [key.source, key.market, key.symbol, key.column]).map { ($0[0], $0[1]) }
        }
    }

    public func insertFunding(_ rates: [FundingRate], source: String, symbol: String) throws {
        try writing { db in
            let st = try db.makeStatement(sql: "INSERT OR REPLACE INTO funding (source, symbol, time, rate, mark) VALUES (?, ?, ?, ?, ?)")
            for r in rates { try st.execute(arguments: [source, symbol, r.time, r.rate, r.mark]) }
        }
    }

    public func fundingRates(source: String, symbol: String, from: Int64? = nil, to: Int64? = nil) throws -> [FundingRate] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT time, rate, mark FROM funding WHERE source = ? AND symbol = ? AND time >= ? AND time < ? ORDER BY time",
                             arguments: [source, symbol, from ?? Int64.min, to ?? Int64.max]).map { FundingRate(time: $0[0], rate: $0[1], mark: $0[2]) }
        }
    }

    // MARK: Leverage brackets

    @discardableResult
    public func insertBrackets(_ entries: [BracketFile.Entry], validFrom: Int64, source: String, origin: String, at now: Int64) throws -> [String] {
        try writing { db in
            var replaced: [String] = []
            let table = try db.makeStatement(sql: """
                INSERT INTO bracket_tables (source, symbol, valid_from, liquidation_fee, origin, imported_at) VALUES (?, ?, ?, ?, ?, ?)
                """)
            let row = try db.makeStatement(sql: """
                INSERT INTO brackets (source, symbol, valid_from, bracket, notional_floor, notional_cap, max_leverage, maint_ratio, maint_amount)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for e in entries {
                let key: StatementArguments = [source, e.symbol, validFrom]
                if try Int.fetchOne(db, sql: "SELECT count(*) FROM bracket_tables WHERE source = ? AND symbol = ? AND valid_from = ?", arguments: key) ?? 0 > 0 {
                    replaced.append(e.symbol)
                    try db.execute(sql: "DELETE FROM brackets WHERE source = ? AND symbol = ? AND valid_from = ?", arguments: key)
                    try db.execute(sql: "DELETE FROM bracket_tables WHERE source = ? AND symbol = ? AND valid_from = ?", arguments: key)
                }
                try table.execute(arguments: key + [e.liquidationFee, origin, now])
                for (i, b) in e.brackets.enumerated() {
                    try row.execute(arguments: key + [i + 1, b.notionalFloor, b.notionalCap, b.maxLeverage, b.maintenanceRate, b.maintenanceAmount])
                }
            }
            return replaced
        }
    }

    public func bracketTables(symbol: String? = nil) throws -> [StoredBrackets] {
        try reading { db in
            let tables = try Row.fetchAll(db, sql: """
                SELECT source, symbol, valid_from, liquidation_fee, origin, imported_at FROM bracket_tables
                WHERE ? IS NULL OR symbol = ? ORDER BY symbol, source, valid_from
                """, arguments: [symbol, symbol])
            return try tables.map { t in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT notional_floor, notional_cap, max_leverage, maint_ratio, maint_amount FROM brackets
                    WHERE source = ? AND symbol = ? AND valid_from = ? ORDER BY bracket
                    """, arguments: [t[0], t[1], t[2]])
                let brackets = rows.map { LeverageBracket(notionalFloor: $0[0], notionalCap: $0[1], maxLeverage: $0[2], maintenanceRate: $0[3], maintenanceAmount: $0[4]) }
                return StoredBrackets(source: t[0], symbol: t[1], table: BracketTable(validFrom: t[2], brackets: brackets),
                                      liquidationFee: t[3], origin: t[4], importedAt: t[5])
            }
        }
    }

    public func upsertInstrument(source: String, market: String, symbol: String, tick: Double?, lot: Double?,
                                 minNotional: Double?, at now: Int64) throws {
        try writing { db in
            try db.execute(sql: "INSERT OR REPLACE INTO instruments VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [source, market, symbol, tick, lot, minNotional, now])
        }
    }

    public func instrument(source: String, market: String, symbol: String) throws -> (tick: Double?, lot: Double?, minNotional: Double?)? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT tick_size, lot_size, min_notional FROM instruments WHERE source = ? AND market = ? AND symbol = ?",
                             arguments: [source, market, symbol]).map { ($0[0], $0[1], $0[2]) }
        }
    }

    public func insertActions(_ actions: [CorporateAction]) throws {
        try writing { db in
            let st = try db.makeStatement(sql: "INSERT OR REPLACE INTO corporate_actions (symbol, time, kind, value) VALUES (?, ?, ?, ?)")
            for a in actions { try st.execute(arguments: [a.symbol, a.time, a.kind.rawValue, a.value]) }
        }
    }

    public func actions(symbol: String) throws -> [CorporateAction] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT symbol, time, kind, value FROM corporate_actions WHERE symbol = ? ORDER BY time",
                             arguments: [symbol]).map { CorporateAction(symbol: $0[0], time: $0[1], kind: CorporateAction.Kind(rawValue: $0[2])!, value: $0[3]) }
        }
    }

    public func series(symbol: String, length: BarLength, market: String? = nil, source: String? = nil) throws -> [SeriesKey] {
        let column = SeriesKey(symbol: symbol, length: length).column
        return try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT DISTINCT market, source FROM bars WHERE symbol = ? AND interval = ? ORDER BY market, source
                """, arguments: [symbol, column]).map { SeriesKey(source: $0[1], market: $0[0], symbol: symbol, length: length) }
        }.filter { (market == nil ? !$0.isMark : $0.market == market) && (source == nil || $0.source == source) }
    }

    /// Months, stored negative, sort by their average length.
    public func list() throws -> [SeriesSummary] {
        try reading { db in
            try Row.fetchAll(db, sql: """
                SELECT b.source, b.market, b.symbol, b.interval, count(*), min(b.time), max(b.time),
                       (SELECT q.score FROM quality_reports q WHERE q.source = b.source AND q.market = b.market
                          AND q.symbol = b.symbol AND q.interval = b.interval ORDER BY q.created_at DESC LIMIT 1)
                FROM bars b GROUP BY b.source, b.market, b.symbol, b.interval
                ORDER BY b.symbol, CASE WHEN b.interval < 0 THEN -b.interval * 2629746 ELSE b.interval END, b.market, b.source
                """).map { r in
                SeriesSummary(key: SeriesKey(source: r[0], market: r[1], symbol: r[2], length: SeriesKey.length(column: r[3])),
                              rows: r[4], first: r[5], last: r[6], score: r[7])
            }
        }
    }
}
