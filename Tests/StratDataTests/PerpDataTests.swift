import Foundation
import GRDB
import StratData
import StratMarket
import StratTestSupport
import Testing

let shippedBrackets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(DefaultBrackets.file)

/// Leverage brackets: the file of Binance's leverageBracket answer, its checks,
/// the store's dated tables, the shipped default.
@Suite struct BracketTests {
    @Test func theShippedTableIsBinancesAndTheBinaryCarriesItByteForByte() throws {
        let text = try String(contentsOf: shippedBrackets, encoding: .utf8)
        #expect(DefaultBrackets.json + "\n" == text)
        let entries = try BracketFile.parse(Data(text.utf8), file: DefaultBrackets.file)
        #expect(entries.map(\.symbol) == ["BTCUSDT", "ETHUSDT"])
        #expect(DefaultBrackets.entries == entries)
        let btc = entries[0], eth = entries[1]
        #expect(btc.brackets.count == 12 && eth.brackets.count == 12)
        #expect(btc.brackets[0] == LeverageBracket(notionalFloor: 0, notionalCap: 50_000, maxLeverage: 125, maintenanceRate: 0.004, maintenanceAmount: 0))
        #expect(btc.brackets[5] == LeverageBracket(notionalFloor: 70_000_000, notionalCap: 100_000_000, maxLeverage: 20, maintenanceRate: 0.025, maintenanceAmount: 481_450))
        #expect(eth.brackets[5] == LeverageBracket(notionalFloor: 50_000_000, notionalCap: 65_000_000, maxLeverage: 20, maintenanceRate: 0.025, maintenanceAmount: 381_450))
        #expect(btc.brackets[11].notionalCap == 1_800_000_000 && eth.brackets[11].notionalCap == 1_200_000_000)
        #expect(btc.liquidationFee == 0.0125 && eth.liquidationFee == 0.0125)
        #expect(UTCTime.format(DefaultBrackets.validFrom) == "2024-05-30T00:00:00Z")
    }

    /// ccxt's `info` keeps Binance's numbers as strings; one object is Binance's answer for one symbol.
    @Test func decimalStringsAndASingleObjectAreRead() throws {
        let json = """
            {"symbol":"ZECUSDT","notionalCoef":1.5,"brackets":[
              {"bracket":"2","initialLeverage":"20","notionalCap":"150000","notionalFloor":"50000","maintMarginRatio":"0.025","cum":"750.0"},
              {"bracket":"1","initialLeverage":"50","notionalCap":"50000","notionalFloor":"0","maintMarginRatio":"0.01","cum":"0.0"}]}
            """
        let e = try BracketFile.parse(Data(json.utf8), file: "z.json")
        #expect(e == [BracketFile.Entry(symbol: "ZECUSDT", brackets: [
            LeverageBracket(notionalFloor: 0, notionalCap: 50_000, maxLeverage: 50, maintenanceRate: 0.01, maintenanceAmount: 0),
            LeverageBracket(notionalFloor: 50_000, notionalCap: 150_000, maxLeverage: 20, maintenanceRate: 0.025, maintenanceAmount: 750)])])
    }

    static let b1 = #"{"bracket":1,"initialLeverage":125,"notionalCap":50000,"notionalFloor":0,"maintMarginRatio":0.004,"cum":0}"#
    static let b2 = #"{"bracket":2,"initialLeverage":100,"notionalCap":600000,"notionalFloor":50000,"maintMarginRatio":0.005,"cum":50}"#

    static let badFiles: [(String, String)] = [
        ("[", "f.json: not JSON"),
        ("{\"a\":1}", "f.json: entry 1: `symbol` must be a symbol such as \"BTCUSDT\" (one word), found nothing"),
        ("[]", "f.json: the array is empty; expected at least one symbol's brackets"),
        ("42", "f.json: expected an array of {\"symbol\": …, \"brackets\": […]} (Binance's leverageBracket answer), found the number 42"),
        ("[{\"symbol\":\"BTCUSDT\"}]", "f.json: entry 1 (BTCUSDT): `brackets` must be an array of brackets, found nothing"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[]}]", "f.json: entry 1 (BTCUSDT): `brackets` is empty"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1)]},{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1)]}]",
         "f.json: entry 2 (BTCUSDT): BTCUSDT is given again (first in entry 1); give each symbol once"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1.replacingOccurrences(of: "\"cum\":0", with: "\"cum\":\"x\""))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 1: `cum` must be a number, found a string \"x\""),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1.replacingOccurrences(of: ",\"cum\":0", with: ""))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 1: `cum` is missing"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1),\(b2.replacingOccurrences(of: "\"notionalFloor\":50000", with: "\"notionalFloor\":60000"))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 2: `notionalFloor` 60000 must equal the previous bracket's `notionalCap` 50000 (brackets are contiguous and ascending)"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1.replacingOccurrences(of: "0.004", with: "0"))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 1: `maintMarginRatio` 0 must lie between 0 and 1 (e.g. 0.004 for 0.4%)"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1.replacingOccurrences(of: "0.004", with: "1.5"))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 1: `maintMarginRatio` 1.5 must lie between 0 and 1 (e.g. 0.004 for 0.4%)"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1.replacingOccurrences(of: "\"initialLeverage\":125", with: "\"initialLeverage\":0.5"))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 1: `initialLeverage` 0.5 must be at least 1"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1.replacingOccurrences(of: "\"notionalCap\":50000", with: "\"notionalCap\":0"))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 1: `notionalCap` 0 must be above `notionalFloor` 0"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1.replacingOccurrences(of: "\"notionalFloor\":0", with: "\"notionalFloor\":10"))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 1: the first bracket's `notionalFloor` must be 0, found 10"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1),\(b2.replacingOccurrences(of: "\"cum\":50", with: "\"cum\":55"))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 2: `cum` 55 does not continue the maintenance margin: expected 50 (previous cum 0 + notionalFloor × (maintMarginRatio − previous maintMarginRatio))"),
        ("[{\"symbol\":\"BTCUSDT\",\"brackets\":[\(b1),\(b2.replacingOccurrences(of: "\"bracket\":2", with: "\"bracket\":3"))]}]",
         "f.json: entry 1 (BTCUSDT) bracket 3: brackets must be numbered 1, 2, 3, … without gaps; expected 2"),
        ("[{\"symbol\":\"BTC USDT\",\"brackets\":[\(b1)]}]",
         "f.json: entry 1: `symbol` must be a symbol such as \"BTCUSDT\" (one word), found a string \"BTC USDT\""),
        ("[{\"symbol\":\"BTCUSDT\",\"liquidationFee\":1.2,\"brackets\":[\(b1)]}]",
         "f.json: entry 1 (BTCUSDT): `liquidationFee` 1.2 must be a rate in [0, 1), e.g. 0.0125 for 1.25%"),
    ]

    @Test(arguments: badFiles.indices)
    func everyDefectNamesTheFileTheEntryAndTheField(_ i: Int) {
        let (json, message) = Self.badFiles[i]
        do {
            _ = try BracketFile.parse(Data(json.utf8), file: "f.json")
            Issue.record("accepted: \(json)")
        } catch let e as FetchError {
            #expect(e.description.hasPrefix(message), "\(e.description)")
        } catch { Issue.record("\(error)") }
    }

    @Test(arguments: Backend.available) func storedTablesAreDatedReplacedByDateAndReadBackInOrder(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let entries = DefaultBrackets.entries
            let may = DefaultBrackets.validFrom, jan = try #require(UTCTime.parse("2024-01-01"))
            #expect(try store.insertBrackets(entries, validFrom: may, source: "binance", origin: "a.json", at: 1) == [])
            var older = entries[0]
            older.brackets = Array(older.brackets.prefix(2))
            older.liquidationFee = nil
            #expect(try store.insertBrackets([older], validFrom: jan, source: "binance", origin: "b.json", at: 2) == [])
            let btc = try store.bracketTables(symbol: "BTCUSDT")
            #expect(btc.map(\.table.validFrom) == [jan, may])
            #expect(btc.map(\.table.brackets.count) == [2, 12] && btc.map(\.liquidationFee) == [nil, 0.0125] && btc.map(\.origin) == ["b.json", "a.json"])
            #expect(btc[1].table.brackets == entries[0].brackets)
            // The same date again replaces that table, brackets and all.
            #expect(try store.insertBrackets([older], validFrom: may, source: "binance", origin: "c.json", at: 3) == ["BTCUSDT"])
            #expect(try store.bracketTables(symbol: "BTCUSDT").map(\.table.brackets.count) == [2, 2])
            #expect(try store.bracketTables().map(\.symbol) == ["BTCUSDT", "BTCUSDT", "ETHUSDT"])
            // PerpData picks the table in force.
            let perp = PerpData(brackets: ["BTCUSDT": try store.bracketTables(symbol: "BTCUSDT").map(\.table)])
            #expect(perp.brackets("BTCUSDT", at: jan - 1)?.validFrom == jan)
            #expect(perp.brackets("BTCUSDT", at: may + 1)?.validFrom == may)
        }
    }

    @Test(arguments: Backend.available) func theBracketsOfASymbolComeFromTheFileTheStoreTheShippedTableOrNowhere(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let jan = try #require(UTCTime.parse("2024-01-01")), jun = try #require(UTCTime.parse("2024-06-01"))
            var mine = DefaultBrackets.entries[0]
            mine.liquidationFee = 0.01
            try store.insertBrackets([mine], validFrom: jan, source: "binance", origin: "x.json", at: 0)
            mine.liquidationFee = 0.02
            try store.insertBrackets([mine], validFrom: jun, source: "binance", origin: "y.json", at: 0)
            let file = [BracketFile.Entry(symbol: "BTCUSDT", brackets: Array(mine.brackets.prefix(1)), liquidationFee: 0.005)]
            let fromFile = try PerpInputs.brackets(for: "BTCUSDT", file: file, fileName: "f.json", stored: try store.bracketTables(), at: jan)
            #expect(fromFile.origin == .file("f.json") && fromFile.tables.count == 1 && fromFile.tables[0].validFrom == .min && fromFile.liquidationFee == 0.005)
            // The store's fee is that of the table in force at the first bar.
            let stored = try PerpInputs.brackets(for: "BTCUSDT", file: [], stored: try store.bracketTables(), at: jun + 1)
            #expect(stored.origin == .store && stored.tables.map(\.validFrom) == [jan, jun] && stored.liquidationFee == 0.02)
            #expect(try PerpInputs.brackets(for: "BTCUSDT", file: nil, stored: try store.bracketTables(), at: jan).liquidationFee == 0.01)
            let shipped = try PerpInputs.brackets(for: "ETHUSDT", file: file, stored: try store.bracketTables(), at: jan)
            #expect(shipped.origin == .shipped && shipped.tables == [BracketTable(validFrom: DefaultBrackets.validFrom, brackets: DefaultBrackets.entries[1].brackets)])
            #expect(try PerpInputs.brackets(for: "SOLUSDT", file: nil, stored: [], at: jan) == .init(tables: [], liquidationFee: nil, origin: .none))
            // Two sources of one symbol: the file must say which.
            try store.insertBrackets([mine], validFrom: jan, source: "other", origin: "z.json", at: 0)
            #expect(throws: FetchError.self) { try PerpInputs.brackets(for: "BTCUSDT", file: nil, stored: try store.bracketTables(), at: jan) }
        }
    }

    /// A store made before brackets (migrations v1 and v2 only) is upgraded in
    /// place by the first writer; its funding rates stay, without a mark.
    @Test func anOlderStoreIsMigratedAndKeepsItsFunding() throws {
        let path = tempDB()
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1: bars, funding, instruments, fetches, quality reports'), ('v2: corporate actions');
                CREATE TABLE bars (source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL, interval INTEGER NOT NULL,
                    time INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL, close REAL NOT NULL, volume REAL NOT NULL,
                    flags INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (source, market, symbol, interval, time)) WITHOUT ROWID;
                CREATE TABLE funding (source TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL, rate REAL NOT NULL,
                    PRIMARY KEY (source, symbol, time)) WITHOUT ROWID;
                CREATE TABLE instruments (source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL, tick_size REAL, lot_size REAL,
                    min_notional REAL, updated_at INTEGER NOT NULL, PRIMARY KEY (source, market, symbol));
                CREATE TABLE fetches (id INTEGER PRIMARY KEY, source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL,
                    interval INTEGER NOT NULL, from_time INTEGER NOT NULL, to_time INTEGER NOT NULL, started_at INTEGER NOT NULL,
                    finished_at INTEGER, rows INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL);
                CREATE TABLE quality_reports (source TEXT NOT NULL, market TEXT NOT NULL, symbol TEXT NOT NULL, interval INTEGER NOT NULL,
                    created_at INTEGER NOT NULL, score REAL NOT NULL, report TEXT NOT NULL, PRIMARY KEY (source, market, symbol, interval, created_at));
                CREATE TABLE corporate_actions (symbol TEXT NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('split', 'dividend')),
                    value REAL NOT NULL CHECK (value > 0), PRIMARY KEY (symbol, time, kind)) WITHOUT ROWID;
                INSERT INTO funding VALUES ('binance', 'BTCUSDT', \(jan1), 0.0001);
                """)
        }
        try old.close()
        // Read-only, it is not upgraded (and says so).
        #expect(throws: StoreError.self) { try Store(path: path, readOnly: true) }
        let store = try Store(path: path)
        #expect(try store.migrations().last == "v4: batch results, keyed by the hash of what made them")
        #expect(try store.fundingRates(source: "binance", symbol: "BTCUSDT") == [FundingRate(time: jan1, rate: 0.0001)])
        try store.insertFunding([FundingRate(time: jan1 + 28_800_000, rate: -0.0002, mark: 42_000.5)], source: "binance", symbol: "BTCUSDT")
        #expect(try store.fundingRates(source: "binance", symbol: "BTCUSDT", from: jan1 + 1) == [FundingRate(time: jan1 + 28_800_000, rate: -0.0002, mark: 42_000.5)])
        #expect(try store.funding(source: "binance", symbol: "BTCUSDT").map(\.rate) == [0.0001, -0.0002])
        try store.insertBrackets(DefaultBrackets.entries, validFrom: DefaultBrackets.validFrom, source: "binance", origin: "d", at: 0)
        #expect(try Store(path: path, readOnly: true).bracketTables().count == 2)
    }
}

/// Mark prices and funding from Binance's USDⓈ-M API, on a loopback server.
@Suite(.serialized) struct PerpFetchTests {
    /// Mark-price klines as Binance answers them: price 200 + hours, volume "0".
    static func markJSON(start: Int64, end: Int64, limit: Int) -> String {
        var rows: [String] = []
        var t = ((start + 3_599_999) / 3_600_000) * 3_600_000
        while t <= end, rows.count < limit {
            let p = 200 + Double((t - jan1) / 3_600_000)
            rows.append("[\(t),\"\(p)\",\"\(p + 2)\",\"\(p - 2)\",\"\(p + 1)\",\"0\",\(t + 3_599_999),\"0\",60,\"0\",\"0\",\"0\"]")
            t += 3_600_000
        }
        return "[" + rows.joined(separator: ",") + "]"
    }

    static func server() throws -> TestServer {
        try TestServer.start { target in
            let q = query(target)
            if target.hasPrefix("/fapi/v1/markPriceKlines") {
                return .init(body: markJSON(start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!))
            }
            if target.hasPrefix("/fapi/v1/klines") {
                return .init(body: klinesJSON(start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!))
            }
            if target.hasPrefix("/fapi/v1/fundingRate") {
                // Every 8 hours; the first without a mark price, as old rows are.
                let start = Int64(q["startTime"]!)!, end = Int64(q["endTime"]!)!
                var rows: [String] = []
                var t = ((start + 28_799_999) / 28_800_000) * 28_800_000, i = 0
                while t <= end {
                    rows.append("{\"symbol\":\"BTCUSDT\",\"fundingTime\":\(t),\"fundingRate\":\"\(i % 2 == 0 ? "0.00010000" : "-0.00002500")\",\"markPrice\":\"\(i == 0 ? "" : "\(200 + (t - jan1) / 3_600_000).5")\"}")
                    t += 28_800_000; i += 1
                }
                return .init(body: "[" + rows.joined(separator: ",") + "]")
            }
            if target.hasPrefix("/fapi/v1/exchangeInfo") {
                return .init(body: "{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"0.10\"},{\"filterType\":\"LOT_SIZE\",\"stepSize\":\"0.001\"},{\"filterType\":\"MIN_NOTIONAL\",\"notional\":\"5\"}]}]}")
            }
            return .init(status: 404, body: "{}")
        }
    }

    @Test(arguments: Backend.available) func markPriceKlinesAreStoredAsTheirOwnSeries(_ backend: Backend) async throws {
        let server = try Self.server()
        defer { server.stop() }
        try await withStore(backend) { store, _ in
            let client = BinanceClient(market: "perp", baseURL: server.baseURL, time: FakeTime())
            let key = SeriesKey(source: "binance", market: "perp", symbol: "BTCUSDT", interval: 3600)
            let traded = try await Fetcher.fetch(client, into: store, key: key, from: jan1, to: jan1 + 48 * 3_600_000)
            let marks = try await Fetcher.fetch(client, into: store, key: key.markKey, from: jan1, to: jan1 + 48 * 3_600_000)
            #expect(traded.newRows == 48 && marks.newRows == 48 && marks.requests == 1)
            #expect(server.requests.contains { $0.hasPrefix("/fapi/v1/markPriceKlines?symbol=BTCUSDT&interval=1h&startTime=\(jan1)&endTime=") })
            let stored = try store.bars(key.markKey)
            #expect(stored.first == Bar(time: jan1, open: 200, high: 202, low: 198, close: 201, volume: 0))
            #expect(stored.count == 48 && key.markKey.market == "perp-mark" && key.markKey.isMark)
            // A read that leaves the market out means the traded bars, never the marks.
            #expect(try store.series(symbol: "BTCUSDT", length: key.length) == [key])
            #expect(try store.series(symbol: "BTCUSDT", length: key.length, market: "perp-mark") == [key.markKey])
            // Spot has no mark prices.
            await #expect(throws: FetchError.self) {
                _ = try await BinanceClient(market: "spot", baseURL: server.baseURL, time: FakeTime())
                    .klines(symbol: "BTCUSDT", length: key.length, start: jan1, end: jan1 + 3_600_000, kind: .mark)
            }
        }
    }

    @Test func fundingKeepsTheMarkPriceOfEachPayment() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = BinanceClient(market: "perp", baseURL: server.baseURL, time: FakeTime())
        let rates = try await client.fundingRates(symbol: "BTCUSDT", start: jan1, end: jan1 + 86_400_000)
        #expect(rates == [FundingRate(time: jan1, rate: 0.0001),
                          FundingRate(time: jan1 + 28_800_000, rate: -0.000025, mark: 208.5),
                          FundingRate(time: jan1 + 57_600_000, rate: 0.0001, mark: 216.5)])
        for backend in Backend.available {
            try await withStore(backend) { store, _ in
                try store.insertFunding(rates, source: "binance", symbol: "BTCUSDT")
                #expect(try store.fundingRates(source: "binance", symbol: "BTCUSDT") == rates)
            }
        }
    }

    @Test func marksAlignToTheTradedBars() throws {
        let bars = (0..<5).map { Bar(time: jan1 + Int64($0) * 3_600_000, open: 1, high: 1, low: 1, close: 1, volume: 1) }
        let marks = (-1..<4).map { Bar(time: jan1 + Int64($0) * 3_600_000, open: 2, high: 2, low: 2, close: 2, volume: 0) }
        let a = try PerpInputs.alignMarks(marks, to: bars, source: "m.csv")
        #expect(a.marks.map(\.time) == Array(bars.prefix(4).map(\.time)) && a.missing == 1)
        let halfHour = [Bar(time: jan1 + 1_800_000, open: 2, high: 2, low: 2, close: 2, volume: 0)]
        #expect(throws: FetchError.self) { try PerpInputs.alignMarks(halfHour, to: bars, source: "m.csv") }
        do { _ = try PerpInputs.alignMarks(halfHour, to: bars, source: "m.csv") } catch {
            #expect("\(error)" == "m.csv: the mark bar at 2024-01-01T00:30:00Z opens at no traded bar's time; mark bars must have the traded bars' length and open times")
        }
    }
}

/// `strat data fetch --market perp --mark --funding`, then a backtest on the
/// stored series: its mark bars and funding come along, resampled with it.
@Suite struct PerpFetchCLITests {
    @Test func storedPerpDataBringsItsMarksAndFunding() throws {
        let server = try PerpFetchTests.server()
        defer { server.stop() }
        let db = tempDB()
        let fetch = try runProgram(stratBinary.path, ["data", "fetch", "--market", "perp", "--symbol", "BTCUSDT", "--interval", "1h", "--from", "2024-01-01",
                                                      "--to", "2024-01-03", "--mark", "--funding", "--base-url", server.baseURL, "--db", db])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        #expect(fetch.stdout.hasPrefix("BTCUSDT 1h perp: 48 bars in range, 0 already stored, 48 fetched in 1 request, 48 new\nBTCUSDT 1h: 48 bars, quality score 100.0/100\n"))
        #expect(fetch.stdout.contains("\nBTCUSDT 1h perp mark prices: 48 bars in range, 0 already stored, 48 fetched in 1 request, 48 new\nBTCUSDT 1h mark: 48 bars, quality score 100.0/100\n"), "\(fetch.stdout)")
        #expect(fetch.stdout.hasSuffix("6 funding rates stored (5 with the mark price of the payment)\n"), "\(fetch.stdout)")
        let list = try runProgram(stratBinary.path, ["data", "list", "--db", db])
        #expect(list.stdout.hasPrefix("""
            symbol      interval  market    source   rows      first                 last                  quality
            BTCUSDT     1h        perp      binance  48        2024-01-01T00:00:00Z  2024-01-02T23:00:00Z  100.0
            BTCUSDT     1h        perp-mark binance  48        2024-01-01T00:00:00Z  2024-01-02T23:00:00Z  100.0

            """), "\(list.stdout)")
        let strategy = scratchDirectory.appendingPathComponent("perp-\(UUID().uuidString).strat")
        try "strategy P {\n  market perp(leverage: 2x)\n\n  when close > open {\n    enter long\n  }\n}\n".write(to: strategy, atomically: true, encoding: .utf8)
        // Left out, the market means the traded bars (not the marks beside them).
        let bt = try runProgram(stratBinary.path, ["backtest", strategy.path, "--data", "BTCUSDT=db:1h", "--db", db])
        #expect(bt.status == 0, "\(bt.stderr)")
        #expect(bt.stderr.hasPrefix("strat: note: BTCUSDT perpetual: mark prices from the store (48 bars); funding from the store (6 rates, 2024-01-01T00:00:00Z … 2024-01-02T16:00:00Z); leverage brackets shipped with strat (Binance's of 2024-05-30, Data/brackets/binance_usdm_2024-05-30.json; dated after the first bar, the earliest table stands for the time before it too); liquidation fee 1.25%\n"), "\(bt.stderr)")
        // Resampled to 4h, the marks are resampled too.
        let four = try runProgram(stratBinary.path, ["backtest", strategy.path, "--data", "BTCUSDT=db:4h:perp:binance", "--db", db])
        #expect(four.stderr.contains("strat: note: BTCUSDT perpetual: mark prices from the store (12 bars); funding from the store (6 rates, 2024-01-01T00:00:00Z … 2024-01-02T16:00:00Z); "), "\(four.stderr)")
        // Brackets imported into the store take over from the shipped ones.
        let brackets = scratchDirectory.appendingPathComponent("b-\(UUID().uuidString).json")
        try "[{\"symbol\":\"BTCUSDT\",\"brackets\":[{\"bracket\":1,\"initialLeverage\":20,\"notionalCap\":1000000,\"notionalFloor\":0,\"maintMarginRatio\":0.02,\"cum\":0}]}]"
            .write(to: brackets, atomically: true, encoding: .utf8)
        let imported = try runProgram(stratBinary.path, ["data", "brackets", "import", brackets.path, "--valid-from", "2023-06-01", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        let withStored = try runProgram(stratBinary.path, ["backtest", strategy.path, "--data", "BTCUSDT=db:1h", "--db", db])
        #expect(withStored.stderr.hasPrefix("strat: note: BTCUSDT perpetual: mark prices from the store (48 bars); funding from the store (6 rates, 2024-01-01T00:00:00Z … 2024-01-02T16:00:00Z); leverage brackets from the store (1 table from 2023-06-01); no liquidation fee rate (--liquidation-fee BPS gives one)\n"), "\(withStored.stderr)")
        // Spot has neither marks nor funding.
        let spot = try runProgram(stratBinary.path, ["data", "fetch", "--symbol", "BTCUSDT", "--interval", "1h", "--from", "2024-01-01", "--to", "2024-01-02",
                                                     "--mark", "--base-url", server.baseURL, "--db", db])
        #expect(spot.status == 2 && spot.stderr == "strat: error: --mark: only a perpetual has mark prices; add --market perp\n")
    }
}
