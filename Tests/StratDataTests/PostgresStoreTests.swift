import Foundation
import PostgresNIO
@testable import StratData
import StratMarket
import StratTestSupport
import Synchronization
import StratPostgres
import Testing

/// What only the PostgreSQL store has: a server to reach, schemas, migrators
/// starting together. Left out locally without STRAT_TEST_POSTGRES_URL; in CI they fail without it.
@Suite(.enabled(if: Backend.available.contains(.postgres))) struct PostgresStoreTests {
    /// The same CSV imported into SQLite and into PostgreSQL reads back the same bars, bit for bit, with the same flags.
    @Test func aCSVReadsBackBitIdenticalFromBothStores() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (file, length) in [("BTCUSD.csv", BarLength.months(1)), ("EURUSD.csv", .milliseconds(3_600_000)), ("GOOG.csv", .milliseconds(86_400_000))] {
            let path = root.appendingPathComponent("Data/\(file)").path
            let parsed = try BarCSV.read(path: path, symbol: "X")
            var policy = ValidationPolicy()
            policy.weekdaysOnly = true
            let checked = try Validator.validate(parsed.bars, length: length, policy: policy, file: path)
            let key = SeriesKey(symbol: "X", length: length)
            var read: [[(bits: [UInt64], flags: Int)]] = []
            for backend in [Backend.sqlite, .postgres] {
                try await withStore(backend) { store, _ in
                    try store.insert(checked.bars, flags: checked.flags, key: key)
                    var rows: [(bits: [UInt64], flags: Int)] = []
                    try store.read(key, from: nil, to: nil, chunk: 1000) { bars, flags in
                        for (b, f) in zip(bars, flags) {
                            rows.append(([UInt64(bitPattern: b.time)] + [b.open, b.high, b.low, b.close, b.volume].map(\.bitPattern), f.rawValue))
                        }
                    }
                    read.append(rows)
                }
            }
            #expect(read[0].count == checked.bars.count && read[1].count == checked.bars.count, "\(file)")
            #expect(read[0].map(\.bits) == read[1].map(\.bits) && read[0].map(\.flags) == read[1].map(\.flags), "\(file)")
        }
        // Values text would round: the shortest doubles, subnormals, −0.
        let odd = [Bar(time: t0, open: 0.1 + 0.2, high: 1.7976931348623157e308, low: .leastNonzeroMagnitude, close: -0.0, volume: 1 / 3)]
        try await withStore(.postgres) { store, _ in
            try store.insert(odd, key: SeriesKey(symbol: "Y", interval: 60))
            let back = try store.bars(SeriesKey(symbol: "Y", interval: 60))
            #expect(back.map { [$0.open, $0.high, $0.low, $0.close, $0.volume].map(\.bitPattern) } == odd.map { [$0.open, $0.high, $0.low, $0.close, $0.volume].map(\.bitPattern) })
        }
    }

    @Test func serversThatCannotBeUsedAreErrorsInWords() throws {
        // Nothing listens on port 1; the password never appears.
        let refused = #expect(throws: StoreError.self) { try PostgresStore(url: "postgres://strat:secret@127.0.0.1:1/market?sslmode=disable") }
        #expect(refused?.description == "postgres://strat@127.0.0.1:1/market: cannot connect (Connection refused)")
        let url = try Backend.requireURL()
        let missing = URLComponents(string: url).map { var c = $0; c.path = "/no_such_db_here"; return c.string! }!
        let noDatabase = #expect(throws: StoreError.self) { try PostgresStore(url: missing) }
        #expect(noDatabase?.description.hasSuffix("/no_such_db_here: database \"no_such_db_here\" does not exist") == true, "\(noDatabase?.description ?? "")")
        for (bad, message) in [("mysql://x@y/z", "--postgres mysql://x@y/z: expected postgres://user[:password]@host[:port]/database"),
                               ("postgres://u:pw@h/d?sslmode=sometimes", "--postgres: sslmode=sometimes: expected disable, prefer or require"),
                               ("postgres:///d?password=pw", "--postgres postgres:///d?password=%E2%80%A6: no host; expected postgres://user@host[:port]/database or ?host=/socket/dir")] {
            let e = #expect(throws: StoreError.self) { try PostgresStore(url: bad) }
            #expect(e?.description == message)
        }
        #expect(throws: StoreError.self) { try PostgresStore(url: url, schema: "Robert'); DROP TABLE bars;--") }
    }

    @Test func aReaderOfASchemaWithoutAStoreCreatesNothing() async throws {
        let url = try Backend.requireURL()
        let schema = "sd_" + UUID().uuidString.prefix(8).lowercased()
        let e = #expect(throws: StoreError.self) { try PostgresStore(url: url, schema: schema, readOnly: true) }
        #expect(e?.description == "\(try PostgresURL(url).label): no store in schema \(schema); `strat data import` or `strat data fetch` with --postgres makes one")
        try await withStore(.postgres) { store, _ in
            let pg = try #require(store as? PostgresStore)
            #expect(try pg.run("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)").isEmpty)
        }
    }

    /// Processes starting together on a new schema migrate it once (the advisory lock), and all open it.
    @Test func concurrentOpenersMigrateOnce() throws {
        let url = try Backend.requireURL()
        let schema = "sd_" + UUID().uuidString.prefix(8).lowercased()
        defer { try? dropSchema(schema) }
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do { _ = try PostgresStore(url: url, schema: schema) } catch { errors.withLock { $0.append("\(error)") } }
        }
        #expect(errors.withLock { $0 }.isEmpty, "\(errors.withLock { $0 })")
        let store = try PostgresStore(url: url, schema: schema)
        #expect(try store.migrations() == PostgresStore.migrations.map(\.id))
        #expect(try store.run("SELECT count(*) FROM store_migrations").first?.decode(Int.self) == 4)
    }

    /// `strat data fetch --postgres` fills the store as `--db` fills a file: bars, marks, funding, the instrument.
    @Test func fetchFillsAPostgresStore() async throws {
        let server = try PerpFetchTests.server()
        defer { server.stop() }
        // The CLI uses schema strat: a database of its own here, made and dropped from a scratch store.
        try await withStore(.postgres) { scratch, _ in
            let admin = try #require(scratch as? PostgresStore)
            let url = try Backend.requireURL()
            let database = "strat_fetch_" + UUID().uuidString.prefix(8).lowercased()
            try admin.run("CREATE DATABASE \(unescaped: database)")
            defer { _ = try? admin.run("DROP DATABASE \(unescaped: database) WITH (FORCE)") }
            var target = try #require(URLComponents(string: url))
            target.path = "/" + database
            let args = ["data", "fetch", "--market", "perp", "--symbol", "BTCUSDT", "--interval", "1h", "--from", "2024-01-01",
                        "--to", "2024-01-03", "--mark", "--funding", "--base-url", server.baseURL]
            let fetched = try runProgram(stratBinary.path, args + ["--postgres", target.string!])
            let file = tempDB()
            let expected = try runProgram(stratBinary.path, args + ["--db", file])
            #expect(fetched.status == 0 && fetched.stdout == expected.stdout, "\(fetched.stdout)\(fetched.stderr)")
            let store = try PostgresStore(url: target.string!, readOnly: true)
            let sqlite = try Store(path: file, readOnly: true)
            #expect(try store.list() == sqlite.list() && store.list().count == 2)
            #expect(try store.fundingRates(source: "binance", symbol: "BTCUSDT") == sqlite.fundingRates(source: "binance", symbol: "BTCUSDT"))
            #expect(try store.instrument(source: "binance", market: "perp", symbol: "BTCUSDT").map { [$0.tick, $0.lot, $0.minNotional] } == [0.1, 0.001, 5])
            #expect(try store.fetchHistory(SeriesKey(source: "binance", market: "perp", symbol: "BTCUSDT", interval: 3600)).map(\.status) == ["done"])
        }
    }

    /// Called on an event loop, where waiting would wait for itself: an error in words, not a hang or a crash.
    @Test func onAnEventLoopItSaysSoInsteadOfWaiting() async throws {
        try await withStore(.postgres) { store, _ in
            let result = try await MultiThreadedEventLoopGroup.singleton.any().submit { Result { try store.migrations() } }.get()
            #expect(throws: StoreError.self) { try result.get() }
            #expect(try store.migrations().count == 4)
        }
    }

    /// A connection the server ends is made again by the next call.
    @Test func aDroppedConnectionIsMadeAgain() async throws {
        try await withStore(.postgres) { store, _ in
            let pg = try #require(store as? PostgresStore)
            try pg.insert([bar(0, 1)], key: SeriesKey(symbol: "X", interval: 3600))
            let pid = try #require(try pg.run("SELECT pg_backend_pid()").first?.decode(Int32.self))
            let other = try PostgresStore(url: try Backend.requireURL(), schema: pg.schema)
            try other.run("SELECT pg_terminate_backend(\(pid))")
            // The call that finds it gone fails in words, or (already closed) reconnects.
            do { _ = try pg.bars(SeriesKey(symbol: "X", interval: 3600)) } catch let e as StoreError { #expect(e.description.hasPrefix(pg.label)) }
            #expect(try pg.bars(SeriesKey(symbol: "X", interval: 3600)) == [bar(0, 1)])
        }
    }
}
