import Foundation
import PostgresNIO
import StratPostgres
import StratMarket

/// The market-data store in PostgreSQL, for workers on other machines: they
/// need nothing but the URL. The same tables and the same semantics as `Store`
/// (SQLite), in a schema of their own (`strat` unless told).
///
/// ```swift
/// let store = try PostgresStore(url: "postgres://strat@db.local:5432/strat")
/// try store.insert(bars, key: SeriesKey(symbol: "BTCUSDT", interval: 3600), onConflict: .reject)
/// ```
///
/// The API is synchronous, as `Store`'s is: each call runs postgres-nio's
/// `EventLoopFuture` API and `wait()`s for it. The work happens on NIO's own
/// event-loop threads, never on a Swift concurrency task, so a caller blocked
/// here (even one on the cooperative pool) cannot starve what it waits for.
/// One connection, used by one call at a time (a lock); after a connection
/// fails, the next call makes a new one.
///
/// Opening migrates the schema under an advisory lock, so processes starting
/// together migrate once. Opened `readOnly`, it creates nothing and refuses writes.
public final class PostgresStore: SeriesStore {
    public let label: String
    public let readOnly: Bool
    public let schema: String
    let target: PostgresURL
    /// Held for the whole of each call.
    let lock = NSLock()
    nonisolated(unsafe) var connection: PostgresConnection?

    /// Connects (see `PostgresURL` for the forms of `url`) and migrates the schema,
    /// or, `readOnly`, checks that it holds a store.
    public init(url: String, schema: String = "strat", readOnly: Bool = false) throws {
        guard schema.range(of: #"^[a-z_][a-z0-9_]{0,40}$"#, options: .regularExpression) != nil else {
            throw StoreError(description: "schema \"\(schema)\": expected lower-case letters, digits and _ (at most 41), not starting with a digit")
        }
        do { target = try PostgresURL(url) } catch { throw StoreError(description: error.description) }
        label = target.label
        self.schema = schema
        self.readOnly = readOnly
        if readOnly {
            let applied = try migrations()
            if applied.isEmpty {
                throw StoreError(description: "\(label): no store in schema \(schema); `strat data import` or `strat data fetch` with --postgres makes one")
            }
            if applied != Self.migrations.map(\.id) {
                throw StoreError(description: "\(label): the store was made by an older strat; run a command that writes to it (e.g. `strat data import`) to upgrade it")
            }
        } else {
            try migrate()
        }
    }

    deinit {
        if let connection { Self.close(connection) }
    }

    /// Closes `c` without waiting (this may run anywhere, even on an event
    /// loop); the connection lives until it is closed, as it must.
    static func close(_ c: PostgresConnection) {
        c.close().whenComplete { _ in withExtendedLifetime(c) {} }
    }

    // MARK: Running SQL

    /// The connection (made again if the server dropped it), for one call at a time.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        // Waiting there would wait for the very thread that waits.
        guard MultiThreadedEventLoopGroup.currentEventLoop == nil else {
            throw StoreError(description: "\(label): called on a NIO event loop, where a synchronous store cannot wait; call it from another thread")
        }
        lock.lock()
        defer { lock.unlock() }
        let c: PostgresConnection
        if let open = connection, !open.isClosed { c = open } else {
            c = try connect()
            connection = c
        }
        do { return try body(c) } catch let e as ConflictError { throw e } catch {
            // A connection that failed (or that the server ended) is not used
            // again: the next call connects anew. Nothing is retried here.
            if error is PSQLError {
                connection = nil
                Self.close(c)
            }
            throw storeError(error)
        }
    }

    func connect() throws -> PostgresConnection {
        let c: PostgresConnection
        do {
            c = try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.any(), configuration: try target.connectionConfiguration(),
                                               id: 0, logger: quietLogger).wait()
        } catch let e as PSQLError where e.serverInfo == nil {
            throw StoreError(description: "\(label): cannot connect (\(e.underlying.map(Self.reason) ?? "\(e.code)"))")
        } catch {
            throw storeError(error)
        }
        // Bare table names mean this store's; a reader cannot write even by mistake.
        do {
            _ = try run(c, "SET search_path TO \(unescaped: schema)")
            if readOnly { _ = try run(c, "SET default_transaction_read_only = on") }
        } catch {
            Self.close(c)
            throw storeError(error)
        }
        return c
    }

    /// One statement; its rows.
    @discardableResult
    func run(_ c: PostgresConnection, _ query: PostgresQuery) throws -> [PostgresRow] {
        try c.query(query, logger: quietLogger).wait().rows
    }

    /// One statement in its own transaction; its rows.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> [PostgresRow] {
        try withConnection { try run($0, query) }
    }

    /// `body` in one transaction, rolled back if it throws.
    @discardableResult
    func writing<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        guard !readOnly else { throw StoreError(description: "\(label): opened read-only") }
        return try withConnection { c in
            try run(c, "BEGIN")
            do {
                let value = try body(c)
                try run(c, "COMMIT")
                return value
            } catch {
                _ = try? run(c, "ROLLBACK")
                throw error
            }
        }
    }

    /// A PostgreSQL error in words, naming the server (never the password).
    func storeError(_ error: any Error) -> StoreError {
        if let e = error as? StoreError { return e }
        if let e = error as? PSQLError {
            // PSQLError's description hides everything; the server's message is what helps.
            if let message = e.serverInfo?[.message] { return StoreError(description: "\(label): \(message)") }
            if let underlying = e.underlying { return StoreError(description: "\(label): \(e.code): \(Self.reason(underlying))") }
            return StoreError(description: "\(label): \(e.code)")
        }
        return StoreError(description: "\(label): \(error)")
    }

    /// A socket error as the system words it ("Connection refused"), not NIO's nested dump.
    static func reason(_ error: any Error) -> String {
        if let e = error as? IOError { return String(cString: strerror(e.errnoCode)) }
        if let e = error as? NIOConnectionError, let last = e.connectionErrors.last { return reason(last.error) }
        return "\(error)"
    }

    // MARK: Schema

    /// Append-only, as `Store.migrator`, under the same names: one list of
    /// statements per migration (the extended protocol runs one per query).
    /// Text keys sort bytewise (`COLLATE "C"`), as SQLite's do.
    static let migrations: [(id: String, statements: [String])] = [
        ("v1: bars, funding, instruments, fetches, quality reports", [
            """
            CREATE TABLE bars (
                source TEXT COLLATE "C" NOT NULL, market TEXT COLLATE "C" NOT NULL, symbol TEXT COLLATE "C" NOT NULL,
                interval BIGINT NOT NULL, time BIGINT NOT NULL, open DOUBLE PRECISION NOT NULL, high DOUBLE PRECISION NOT NULL,
                low DOUBLE PRECISION NOT NULL, close DOUBLE PRECISION NOT NULL, volume DOUBLE PRECISION NOT NULL,
                flags BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (source, market, symbol, interval, time))
            """,
            """
            CREATE TABLE funding (
                source TEXT COLLATE "C" NOT NULL, symbol TEXT COLLATE "C" NOT NULL, time BIGINT NOT NULL, rate DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (source, symbol, time))
            """,
            """
            CREATE TABLE instruments (
                source TEXT COLLATE "C" NOT NULL, market TEXT COLLATE "C" NOT NULL, symbol TEXT COLLATE "C" NOT NULL,
                tick_size DOUBLE PRECISION, lot_size DOUBLE PRECISION, min_notional DOUBLE PRECISION, updated_at BIGINT NOT NULL,
                PRIMARY KEY (source, market, symbol))
            """,
            """
            CREATE TABLE fetches (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL,
                interval BIGINT NOT NULL, from_time BIGINT NOT NULL, to_time BIGINT NOT NULL,
                started_at BIGINT NOT NULL, finished_at BIGINT, rows BIGINT NOT NULL DEFAULT 0, status TEXT NOT NULL)
            """,
            """
            CREATE TABLE quality_reports (
                source TEXT COLLATE "C" NOT NULL, market TEXT COLLATE "C" NOT NULL, symbol TEXT COLLATE "C" NOT NULL, interval BIGINT NOT NULL,
                created_at BIGINT NOT NULL, score DOUBLE PRECISION NOT NULL, report TEXT NOT NULL,
                PRIMARY KEY (source, market, symbol, interval, created_at))
            """,
        ]),
        ("v2: corporate actions", [
            """
            CREATE TABLE corporate_actions (
                symbol TEXT COLLATE "C" NOT NULL, time BIGINT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('split', 'dividend')),
                value DOUBLE PRECISION NOT NULL CHECK (value > 0),
                PRIMARY KEY (symbol, time, kind))
            """,
        ]),
        ("v3: leverage brackets dated per symbol, the mark price of funding payments", [
            """
            CREATE TABLE bracket_tables (
                source TEXT COLLATE "C" NOT NULL, symbol TEXT COLLATE "C" NOT NULL, valid_from BIGINT NOT NULL,
                liquidation_fee DOUBLE PRECISION CHECK (liquidation_fee IS NULL OR (liquidation_fee >= 0 AND liquidation_fee < 1)),
                origin TEXT NOT NULL, imported_at BIGINT NOT NULL,
                PRIMARY KEY (source, symbol, valid_from))
            """,
            """
            CREATE TABLE brackets (
                source TEXT COLLATE "C" NOT NULL, symbol TEXT COLLATE "C" NOT NULL, valid_from BIGINT NOT NULL, bracket BIGINT NOT NULL,
                notional_floor DOUBLE PRECISION NOT NULL, notional_cap DOUBLE PRECISION NOT NULL,
                max_leverage DOUBLE PRECISION NOT NULL CHECK (max_leverage >= 1),
                maint_ratio DOUBLE PRECISION NOT NULL CHECK (maint_ratio > 0 AND maint_ratio < 1), maint_amount DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (source, symbol, valid_from, bracket),
                FOREIGN KEY (source, symbol, valid_from) REFERENCES bracket_tables ON DELETE CASCADE)
            """,
            "ALTER TABLE funding ADD COLUMN mark DOUBLE PRECISION",
        ]),
        ("v4: batch results, keyed by the hash of what made them", [
            """
            CREATE TABLE batch_results (
                key TEXT PRIMARY KEY NOT NULL, engine_version TEXT NOT NULL, created_at BIGINT NOT NULL, result BYTEA NOT NULL)
            """,
        ]),
    ]

    func migrate() throws {
        try writing { c in
            // Serialises concurrent migrators; released at commit.
            try run(c, "SELECT pg_advisory_xact_lock(hashtext(\("strat store " + schema)))")
            try run(c, "CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)")
            try run(c, """
                CREATE TABLE IF NOT EXISTS store_migrations (
                    id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """)
            let applied = Set(try run(c, "SELECT id FROM store_migrations").map { try $0.decode(String.self) })
            for migration in Self.migrations where !applied.contains(migration.id) {
                for statement in migration.statements { try run(c, PostgresQuery(unsafeSQL: statement)) }
                try run(c, "INSERT INTO store_migrations (id) VALUES (\(migration.id))")
            }
        }
    }

    public func migrations() throws -> [String] {
        try withConnection { c in
            guard try run(c, "SELECT to_regclass('store_migrations') IS NOT NULL").first?.decode(Bool.self) == true else { return [] }
            let applied = Set(try run(c, "SELECT id FROM store_migrations").map { try $0.decode(String.self) })
            return Self.migrations.map(\.id).filter(applied.contains)
        }
    }

    // MARK: Bars

    public func insert(_ bars: [Bar], flags: [BarFlags], key: SeriesKey, onConflict: ConflictPolicy, examples: Int) throws -> InsertSummary {
        guard let lo = bars.lazy.map(\.time).min(), let hi = bars.lazy.map(\.time).max() else { return InsertSummary(new: 0, changed: 0, examples: []) }
        return try writing { c in
            // One import of a series at a time, so the counts before and after are its own.
            try run(c, "SELECT pg_advisory_xact_lock(hashtext(\("strat bars \(key.source) \(key.market) \(key.symbol) \(key.column)")))")
            let before = try count(c, key)
            let columns = "time, open, high, low, close, volume, flags"
            // Nothing stored in the range and each time once (a first import, a
            // fetch's new page): straight in, with nothing to compare.
            let increasing = zip(bars.dropFirst(), bars).allSatisfy { $0.time > $1.time }
            if increasing, try run(c, "SELECT EXISTS (SELECT 1 FROM bars WHERE \(rowsOf: key) AND time BETWEEN \(lo) AND \(hi))")
                .first?.decode(Bool.self) == false {
                for part in Self.parts(bars) {
                    try run(c, """
                        INSERT INTO bars (source, market, symbol, interval, \(unescaped: columns))
                        SELECT \(key.source), \(key.market), \(key.symbol), \(key.column), \(unescaped: columns) FROM \(rowsOf: part, flags: flags)
                        """)
                }
                return InsertSummary(new: bars.count, changed: 0, examples: [])
            }
            // Else the bars go to a temporary table; the comparison and the insert run in the server.
            try run(c, """
                CREATE TEMPORARY TABLE incoming (ord BIGINT, time BIGINT, open FLOAT8, high FLOAT8, low FLOAT8, close FLOAT8,
                    volume FLOAT8, flags BIGINT) ON COMMIT DROP
                """)
            for part in Self.parts(bars) { try run(c, "INSERT INTO incoming SELECT * FROM \(rowsOf: part, flags: flags)") }
            let differ = """
                b.time = i.time AND (b.open, b.high, b.low, b.close, b.volume) IS DISTINCT FROM (i.open, i.high, i.low, i.close, i.volume)
                """
            let changed = try run(c, "SELECT count(*) FROM incoming i JOIN bars b ON \(rowsOf: key, as: "b") AND \(unescaped: differ)")
                .first?.decode(Int.self) ?? 0
            var shown: [BarChange] = []
            if changed > 0, examples > 0 {
                shown = try run(c, """
                    SELECT b.time, b.open, b.high, b.low, b.close, b.volume, i.open, i.high, i.low, i.close, i.volume
                    FROM incoming i JOIN bars b ON \(rowsOf: key, as: "b") AND \(unescaped: differ) ORDER BY i.time, i.ord LIMIT \(examples)
                    """).map { row in
                    let (t, o, h, l, cl, v, io, ih, il, ic, iv) = try row.decode((Int64, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double).self)
                    return BarChange(stored: Bar(time: t, open: o, high: h, low: l, close: cl, volume: v),
                                     incoming: Bar(time: t, open: io, high: ih, low: il, close: ic, volume: iv))
                }
            }
            if onConflict == .reject, changed > 0 { throw ConflictError(path: label, key: key, changed: changed, examples: shown) }
            // Two incoming bars at one time: as SQLite's INSERT OR IGNORE / OR REPLACE, the first is kept or the last stored.
            // A bar stored already, flags and all, is left alone (writing it again would change nothing).
            let action = onConflict == .keep ? "NOTHING" : """
                UPDATE SET open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
                    volume = excluded.volume, flags = excluded.flags
                """
            try run(c, """
                INSERT INTO bars (source, market, symbol, interval, \(unescaped: columns))
                SELECT \(key.source), \(key.market), \(key.symbol), \(key.column), \(unescaped: columns)
                FROM (SELECT DISTINCT ON (time) * FROM incoming ORDER BY time, ord \(unescaped: onConflict == .keep ? "ASC" : "DESC")) AS i
                WHERE NOT EXISTS (SELECT 1 FROM bars b WHERE \(rowsOf: key, as: "b") AND b.time = i.time
                    AND (b.open, b.high, b.low, b.close, b.volume, b.flags) IS NOT DISTINCT FROM (i.open, i.high, i.low, i.close, i.volume, i.flags))
                ON CONFLICT (source, market, symbol, interval, time) DO \(unescaped: action)
                """)
            return InsertSummary(new: try count(c, key) - before, changed: changed, examples: shown)
        }
    }

    /// The bars, `rowsPerStatement` at a time.
    static func parts(_ bars: [Bar]) -> [ArraySlice<Bar>] {
        stride(from: 0, to: bars.count, by: rowsPerStatement).map { bars[$0..<min(bars.count, $0 + rowsPerStatement)] }
    }

    /// Bars per multi-row statement.
    static let rowsPerStatement = 100_000

    func count(_ c: PostgresConnection, _ key: SeriesKey) throws -> Int {
        try run(c, """
            SELECT count(*) FROM bars WHERE \(rowsOf: key)
            """).first?.decode(Int.self) ?? 0
    }

    public func read(_ key: SeriesKey, from: Int64?, to: Int64?, chunk: Int, withFlags body: ([Bar], [BarFlags]) throws -> Void) throws {
        // Keyset pagination: each chunk starts after the last time read. A
        // chunk comes as one row of binary arrays, a column each.
        var lower = from ?? Int64.min, inclusive = true
        let end = to ?? Int64.max
        while true {
            let row = try run("""
                SELECT array_agg(time ORDER BY time), array_agg(open ORDER BY time), array_agg(high ORDER BY time), array_agg(low ORDER BY time),
                       array_agg(close ORDER BY time), array_agg(volume ORDER BY time), array_agg(flags ORDER BY time)
                FROM (SELECT * FROM bars WHERE \(rowsOf: key) AND time \(unescaped: inclusive ? ">=" : ">") \(lower) AND time < \(end)
                      ORDER BY time LIMIT \(chunk)) AS c
                """).first
            typealias Times = PackedArray<Int64>
            typealias Prices = PackedArray<Double>
            guard let (t, o, h, l, c, v, f) = try row?.decode((Times?, Prices?, Prices?, Prices?, Prices?, Prices?, Times?).self),
                  let t, let o, let h, let l, let c, let v, let f else { return }
            let bars = t.values.indices.map { Bar(time: t.values[$0], open: o.values[$0], high: h.values[$0], low: l.values[$0], close: c.values[$0], volume: v.values[$0]) }
            try body(bars, f.values.map { BarFlags(rawValue: Int($0)) })
            lower = bars.last!.time
            inclusive = false
            if bars.count < chunk { return }
        }
    }

    public func flagged(_ key: SeriesKey, _ flags: BarFlags, limit: Int) throws -> (count: Int, first: [Int64]) {
        try withConnection { c in
            let count = try run(c, """
                SELECT count(*) FROM bars WHERE \(rowsOf: key) AND (flags & \(flags.rawValue)) != 0
                """).first?.decode(Int.self) ?? 0
            let first = count == 0 ? [] : try run(c, """
                SELECT time FROM bars WHERE \(rowsOf: key) AND (flags & \(flags.rawValue)) != 0 ORDER BY time LIMIT \(limit)
                """).map { try $0.decode(Int64.self) }
            return (count, first)
        }
    }

    public func flags(_ key: SeriesKey) throws -> [BarFlags] {
        try run("""
            SELECT flags FROM bars WHERE \(rowsOf: key) ORDER BY time
            """).map { BarFlags(rawValue: try $0.decode(Int.self)) }
    }

    public func times(_ key: SeriesKey, from: Int64, to: Int64) throws -> Set<Int64> {
        Set(try run("""
            SELECT time FROM bars WHERE \(rowsOf: key) AND time >= \(from) AND time < \(to)
            """).map { try $0.decode(Int64.self) })
    }

    // MARK: Quality and the fetch log

    public func saveQuality(_ report: QualityReport, key: SeriesKey, at time: Int64) throws {
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        try writing { c in
            try run(c, """
                INSERT INTO quality_reports VALUES (\(key.source), \(key.market), \(key.symbol), \(key.column), \(time), \(report.score), \(json))
                ON CONFLICT (source, market, symbol, interval, created_at) DO UPDATE SET score = excluded.score, report = excluded.report
                """)
        }
    }

    public func latestQuality(_ key: SeriesKey) throws -> QualityReport? {
        guard let json = try run("""
            SELECT report FROM quality_reports WHERE \(rowsOf: key) ORDER BY created_at DESC LIMIT 1
            """).first?.decode(String.self) else { return nil }
        return try JSONDecoder().decode(QualityReport.self, from: Data(json.utf8))
    }

    public func startFetch(_ key: SeriesKey, from: Int64, to: Int64, at now: Int64) throws -> Int64 {
        try writing { c in
            try run(c, """
                INSERT INTO fetches (source, market, symbol, interval, from_time, to_time, started_at, status)
                VALUES (\(key.source), \(key.market), \(key.symbol), \(key.column), \(from), \(to), \(now), 'running') RETURNING id
                """).first?.decode(Int64.self) ?? 0
        }
    }

    public func finishFetch(_ id: Int64, rows: Int, status: String, at now: Int64) throws {
        try writing { c in
            try run(c, "UPDATE fetches SET finished_at = \(now), rows = \(rows), status = \(status) WHERE id = \(id)")
        }
    }

    public func fetchHistory(_ key: SeriesKey) throws -> [(status: String, rows: Int)] {
        try run("""
            SELECT status, rows FROM fetches WHERE \(rowsOf: key) ORDER BY id
            """).map { try $0.decode((String, Int).self) }.map { (status: $0.0, rows: $0.1) }
    }

    // MARK: Funding, brackets, instruments, corporate actions

    public func insertFunding(_ rates: [FundingRate], source: String, symbol: String) throws {
        guard !rates.isEmpty else { return }
        try writing { c in
            // A rate given twice: the last one stands, as with INSERT OR REPLACE.
            try run(c, """
                INSERT INTO funding (source, symbol, time, rate, mark)
                SELECT DISTINCT ON (time) \(source), \(symbol), time, rate, CASE WHEN known THEN mark END
                FROM unnest(\(Array(rates.indices)), \(rates.map(\.time)), \(rates.map(\.rate)), \(rates.map { $0.mark ?? 0 }),
                            \(rates.map { $0.mark != nil })) AS r(ord, time, rate, mark, known)
                ORDER BY time, ord DESC
                ON CONFLICT (source, symbol, time) DO UPDATE SET rate = excluded.rate, mark = excluded.mark
                """)
        }
    }

    public func fundingRates(source: String, symbol: String, from: Int64?, to: Int64?) throws -> [FundingRate] {
        try run("""
            SELECT time, rate, mark FROM funding WHERE source = \(source) AND symbol = \(symbol)
            AND time >= \(from ?? Int64.min) AND time < \(to ?? Int64.max) ORDER BY time
            """).map { let (t, r, m) = try $0.decode((Int64, Double, Double?).self); return FundingRate(time: t, rate: r, mark: m) }
    }

    @discardableResult
    public func insertBrackets(_ entries: [BracketFile.Entry], validFrom: Int64, source: String, origin: String, at now: Int64) throws -> [String] {
        try writing { c in
            var replaced: [String] = []
            for e in entries {
                // The table's brackets go with it (ON DELETE CASCADE).
                if !(try run(c, """
                    DELETE FROM bracket_tables WHERE source = \(source) AND symbol = \(e.symbol) AND valid_from = \(validFrom) RETURNING symbol
                    """)).isEmpty { replaced.append(e.symbol) }
                try run(c, """
                    INSERT INTO bracket_tables (source, symbol, valid_from, liquidation_fee, origin, imported_at)
                    VALUES (\(source), \(e.symbol), \(validFrom), \(e.liquidationFee), \(origin), \(now))
                    """)
                for (i, b) in e.brackets.enumerated() {
                    try run(c, """
                        INSERT INTO brackets (source, symbol, valid_from, bracket, notional_floor, notional_cap, max_leverage, maint_ratio, maint_amount)
                        VALUES (\(source), \(e.symbol), \(validFrom), \(i + 1), \(b.notionalFloor), \(b.notionalCap), \(b.maxLeverage),
                                \(b.maintenanceRate), \(b.maintenanceAmount))
                        """)
                }
            }
            return replaced
        }
    }

    public func bracketTables(symbol: String?) throws -> [StoredBrackets] {
        try withConnection { c in
            try run(c, """
                SELECT source, symbol, valid_from, liquidation_fee, origin, imported_at FROM bracket_tables
                WHERE \(symbol)::text IS NULL OR symbol = \(symbol) ORDER BY symbol, source, valid_from
                """).map { t in
                let (source, symbol, validFrom, fee, origin, importedAt) = try t.decode((String, String, Int64, Double?, String, Int64).self)
                let brackets = try run(c, """
                    SELECT notional_floor, notional_cap, max_leverage, maint_ratio, maint_amount FROM brackets
                    WHERE source = \(source) AND symbol = \(symbol) AND valid_from = \(validFrom) ORDER BY bracket
                    """).map { r in
                    let (floor, cap, leverage, ratio, amount) = try r.decode((Double, Double, Double, Double, Double).self)
                    return LeverageBracket(notionalFloor: floor, notionalCap: cap, maxLeverage: leverage, maintenanceRate: ratio, maintenanceAmount: amount)
                }
                return StoredBrackets(source: source, symbol: symbol, table: BracketTable(validFrom: validFrom, brackets: brackets),
                                      liquidationFee: fee, origin: origin, importedAt: importedAt)
            }
        }
    }

    public func upsertInstrument(source: String, market: String, symbol: String, tick: Double?, lot: Double?,
                                 minNotional: Double?, at now: Int64) throws {
        try writing { c in
            try run(c, """
                INSERT INTO instruments VALUES (\(source), \(market), \(symbol), \(tick), \(lot), \(minNotional), \(now))
                ON CONFLICT (source, market, symbol) DO UPDATE SET tick_size = excluded.tick_size, lot_size = excluded.lot_size,
                    min_notional = excluded.min_notional, updated_at = excluded.updated_at
                """)
        }
    }

    public func instrument(source: String, market: String, symbol: String) throws -> (tick: Double?, lot: Double?, minNotional: Double?)? {
        try run("""
            SELECT tick_size, lot_size, min_notional FROM instruments WHERE source = \(source) AND market = \(market) AND symbol = \(symbol)
            """).first.map { let (t, l, m) = try $0.decode((Double?, Double?, Double?).self); return (t, l, m) }
    }

    public func insertActions(_ actions: [CorporateAction]) throws {
        try writing { c in
            for a in actions {
                try run(c, """
                    INSERT INTO corporate_actions (symbol, time, kind, value) VALUES (\(a.symbol), \(a.time), \(a.kind.rawValue), \(a.value))
                    ON CONFLICT (symbol, time, kind) DO UPDATE SET value = excluded.value
                    """)
            }
        }
    }

    public func actions(symbol: String) throws -> [CorporateAction] {
        try run("SELECT symbol, time, kind, value FROM corporate_actions WHERE symbol = \(symbol) ORDER BY time").map { r in
            let (symbol, time, kind, value) = try r.decode((String, Int64, String, Double).self)
            guard let kind = CorporateAction.Kind(rawValue: kind) else { throw StoreError(description: "\(label): corporate action of unknown kind \(kind)") }
            return CorporateAction(symbol: symbol, time: time, kind: kind, value: value)
        }
    }

    // MARK: What is stored

    public func series(symbol: String, length: BarLength, market: String?, source: String?) throws -> [SeriesKey] {
        let column = SeriesKey(symbol: symbol, length: length).column
        return try run("SELECT DISTINCT market, source FROM bars WHERE symbol = \(symbol) AND interval = \(column) ORDER BY market, source")
            .map { let (m, s) = try $0.decode((String, String).self); return SeriesKey(source: s, market: m, symbol: symbol, length: length) }
            .filter { (market == nil ? !$0.isMark : $0.market == market) && (source == nil || $0.source == source) }
    }

    public func list() throws -> [SeriesSummary] {
        try run("""
            SELECT b.source, b.market, b.symbol, b.interval, count(*), min(b.time), max(b.time),
                   (SELECT q.score FROM quality_reports q WHERE q.source = b.source AND q.market = b.market
                      AND q.symbol = b.symbol AND q.interval = b.interval ORDER BY q.created_at DESC LIMIT 1)
            FROM bars b GROUP BY b.source, b.market, b.symbol, b.interval
            ORDER BY b.symbol, CASE WHEN b.interval < 0 THEN -b.interval * 2629746 ELSE b.interval END, b.market, b.source
            """).map { r in
            let (source, market, symbol, interval, rows, first, last, score) = try r.decode((String, String, String, Int64, Int, Int64, Int64, Double?).self)
            return SeriesSummary(key: SeriesKey(source: source, market: market, symbol: symbol, length: SeriesKey.length(column: interval)),
                                 rows: rows, first: first, last: last, score: score)
        }
    }

    // MARK: Cached batch results

    public func cachedResults(_ keys: [String]) throws -> [String: Data] {
        guard !keys.isEmpty else { return [:] }
        var out: [String: Data] = [:]
        for r in try run("SELECT key, result FROM batch_results WHERE key = ANY(\(keys))") {
            let (key, result) = try r.decode((String, Data).self)
            out[key] = result
        }
        return out
    }

    public func cacheResults(_ items: [(key: String, result: Data)], engineVersion: String, at now: Int64) throws {
        guard !items.isEmpty else { return }
        try writing { c in
            for i in items {
                try run(c, """
                    INSERT INTO batch_results (key, engine_version, created_at, result) VALUES (\(i.key), \(engineVersion), \(now), \(i.result))
                    ON CONFLICT (key) DO UPDATE SET engine_version = excluded.engine_version, created_at = excluded.created_at, result = excluded.result
                    """)
            }
        }
    }
}

extension PostgresQuery.StringInterpolation {
    /// `source = $1 AND market = $2 AND symbol = $3 AND interval = $4`: the rows of one series (of table `alias`).
    mutating func appendInterpolation(rowsOf key: SeriesKey, as alias: String? = nil) {
        let prefix = alias.map { $0 + "." } ?? ""
        appendLiteral("\(prefix)source = ")
        appendInterpolation(key.source)
        appendLiteral(" AND \(prefix)market = ")
        appendInterpolation(key.market)
        appendLiteral(" AND \(prefix)symbol = ")
        appendInterpolation(key.symbol)
        appendLiteral(" AND \(prefix)interval = ")
        appendInterpolation(key.column)
    }

    /// `unnest($1, …, $8) AS r(ord, time, open, high, low, close, volume, flags)`:
    /// bars as rows, each with its index (`ord`), sent as binary arrays.
    mutating func appendInterpolation(rowsOf bars: ArraySlice<Bar>, flags: [BarFlags]) {
        appendLiteral("unnest(")
        appendInterpolation(PackedArray(bars.indices.map(Int64.init)))
        appendLiteral(", ")
        appendInterpolation(PackedArray(bars.map(\.time)))
        for price in [\Bar.open, \.high, \.low, \.close, \.volume] {
            appendLiteral(", ")
            appendInterpolation(PackedArray(bars.map { $0[keyPath: price] }))
        }
        appendLiteral(", ")
        appendInterpolation(PackedArray(bars.indices.map { Int64($0 < flags.count ? flags[$0].rawValue : 0) }))
        appendLiteral(") AS r(ord, time, open, high, low, close, volume, flags)")
    }
}

/// postgres-nio's own messages, errors only: the store reports its failures as `StoreError`s.
let quietLogger: Logger = {
    var logger = Logger(label: "strat.data.postgres")
    logger.logLevel = .error
    return logger
}()
