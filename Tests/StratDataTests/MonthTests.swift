import Foundation
import GRDB
import StratData
import StratMarket
import Testing
import StratTestSupport

/// `YYYY-MM-DD` at 00:00 UTC, in ms.
func day(_ text: String) -> Int64 { UTCTime.parse(Substring(text))! }

/// The 1st of each month from `first` for `count` months, written out (not
/// computed by the calendar code under test).
func monthStarts(year: Int, month: Int, count: Int) -> [Int64] {
    (0..<count).map { i in
        let m = month - 1 + i
        return day(String(format: "%04d-%02d-01", year + m / 12, m % 12 + 1))
    }
}

/// Monthly bars at `times`: bar i at 100 + i (open), high +2, low −1, close +1.
func monthly(_ times: [Int64]) -> [Bar] {
    times.enumerated().map { i, t in
        let p = 100 + Double(i)
        return Bar(time: t, open: p, high: p + 2, low: p - 1, close: p + 1, volume: 10)
    }
}

/// Calendar months in the store and the checks (issue 10, A7).
@Suite struct MonthStoreTests {
    @Test(arguments: Backend.available) func monthlySeriesAreKeptApartFromFixedOnesAndRoundTrip(_ backend: Backend) async throws {
        try await withStore(backend) { store, place in
            let months = SeriesKey(symbol: "X", length: .months(1))
            let days = SeriesKey(symbol: "X", interval: 86_400)
            let quarters = SeriesKey(symbol: "X", length: .months(3))
            let m = monthly([day("2024-01-31"), day("2024-02-29"), day("2024-03-31")])
            #expect(try store.insert(m, key: months) == 3)
            #expect(try store.insert(monthly([day("2024-01-01"), day("2024-01-02")]), key: days) == 2)
            #expect(try store.insert(monthly([day("2024-01-01")]), key: quarters) == 1)
            #expect(try store.bars(months) == m)
            #expect(try store.bars(days).count == 2 && store.bars(quarters).count == 1)
            // The interval column: seconds for fixed lengths, −n for n months.
            if backend == .sqlite {
                let columns = try DatabaseQueue(path: place.name).read { try Int64.fetchAll($0, sql: "SELECT DISTINCT interval FROM bars ORDER BY interval") }
                #expect(columns == [-3, -1, 86_400])
            }
            #expect(months.column == -1 && SeriesKey.length(column: -1) == .months(1) && SeriesKey.length(column: 3600) == .milliseconds(3_600_000))
            // Listed by length: days, then months, then quarters.
            #expect(try store.list().map(\.key.length) == [.milliseconds(86_400_000), .months(1), .months(3)])
            #expect(try store.series(symbol: "X", length: .months(1)) == [months])
            #expect(try store.series(symbol: "X", length: .months(2)).isEmpty)
            try store.saveQuality(QualityReport(rows: 3, counts: [:], missingBars: 0, worst: [], score: 100), key: months, at: 1)
            #expect(try store.latestQuality(months)?.score == 100 && store.latestQuality(days) == nil)
            // The cache keys months apart from any fixed length.
            #expect(BarCache.key(months, from: 0, to: 1) != BarCache.key(SeriesKey(symbol: "X", interval: 1), from: 0, to: 1))
        }
    }
}

extension MonthStoreTests {
    /// Rows written as stores made before months hold them (interval in seconds) read unchanged.
    @Test func storesFromBeforeMonthsReadUnchanged() throws {
        let path = tempDB()
        _ = try Store(path: path)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO bars VALUES ('binance', 'spot', 'X', 3600, ?, 1, 2, 0.5, 1.5, 10, 0)", arguments: [t0])
            try db.execute(sql: "INSERT INTO quality_reports VALUES ('binance', 'spot', 'X', 3600, 1, 97.5, ?)",
                           arguments: [String(decoding: try JSONEncoder().encode(QualityReport(rows: 1, counts: [:], missingBars: 0, worst: [], score: 97.5)), as: UTF8.self)])
        }
        let store = try Store(path: path, readOnly: true)
        let key = SeriesKey(source: "binance", market: "spot", symbol: "X", length: .milliseconds(3_600_000))
        #expect(try store.bars(key) == [Bar(time: t0, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10)])
        #expect(try store.list().map(\.key) == [key] && store.latestQuality(key)?.score == 97.5)
        #expect(try store.migrations() == ["v1: bars, funding, instruments, fetches, quality reports", "v2: corporate actions",
                                            "v3: leverage brackets dated per symbol, the mark price of funding payments",
                                            "v4: batch results, keyed by the hash of what made them"])
    }
}

@Suite struct MonthValidationTests {
    @Test func monthEndAndMonthStartLabelsAreOneMonthApart() throws {
        for times in [[day("2023-11-30"), day("2023-12-31"), day("2024-01-31"), day("2024-02-29"), day("2024-03-31")],
                      monthStarts(year: 2023, month: 11, count: 5)] {
            let r = try Validator.validate(monthly(times), length: .months(1), policy: ValidationPolicy())
            #expect(r.report.score == 100 && r.report.counts.isEmpty && r.report.missingBars == 0)
            #expect(r.flags == Array(repeating: [], count: 5))
        }
    }

    @Test func aMissingMonthIsAGapAndRepairFillsIt() throws {
        // February and March missing between month-end labels.
        let bars = monthly([day("2024-01-31"), day("2024-04-30"), day("2024-05-31")])
        let flagged = try Validator.validate(bars, length: .months(1), policy: ValidationPolicy())
        #expect(flagged.report.counts == ["gap": 1] && flagged.report.missingBars == 2)
        #expect(flagged.report.worst.map(\.detail) == ["2 bars missing since 2024-01-31T00:00:00Z"])
        #expect(flagged.report.worst.first?.line == 3)
        #expect(flagged.flags == [[], .afterGap, []])
        #expect(flagged.report.score == 33.3)           // 2 missing bars against 3 rows
        var p = ValidationPolicy()
        p.gaps = .reject
        #expect(throws: ValidationError.self) { try Validator.validate(bars, length: .months(1), policy: p) }
        p.gaps = .repair
        let repaired = try Validator.validate(bars, length: .months(1), policy: p)
        // Filled month-end, flat at January's close, no volume.
        #expect(repaired.bars.map { UTCTime.format($0.time) } == ["2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z",
                                                                  "2024-04-30T00:00:00Z", "2024-05-31T00:00:00Z"])
        #expect(repaired.bars[1] == Bar(time: day("2024-02-29"), open: 101, high: 101, low: 101, close: 101, volume: 0))
        #expect(repaired.flags == [[], .filled, .filled, .afterGap, []])
        #expect(repaired.report.counts == ["gap": 1, "filled": 2])
        // Month-start labels are filled on the 1st.
        let starts = monthStarts(year: 2024, month: 1, count: 4)
        let filled = try Validator.validate(monthly([starts[0], starts[3]]), length: .months(1), policy: p)
        #expect(filled.bars.map(\.time) == starts)
    }

    @Test func twoBarsInOneMonthAreASpacingError() throws {
        // Daily bars imported as monthly.
        let bars = monthly([day("2024-01-01"), day("2024-01-02"), day("2024-01-03")])
        do {
            _ = try Validator.validate(bars, length: .months(1), policy: ValidationPolicy(), file: "d.csv")
            Issue.record("daily bars accepted as months")
        } catch let e as ValidationError {
            #expect(e.description.hasPrefix("d.csv:3: spacing: in the same calendar month as the previous bar (2024-01-01T00:00:00Z); expected one bar per 1M at 2024-01-02T00:00:00Z\n"))
            #expect(e.issues.count == 2)
        }
        // Quarters: bars four months apart are not whole quarters.
        var p = ValidationPolicy()
        p.spacing = .flag
        let q = try Validator.validate(monthly([day("2024-01-01"), day("2024-04-01"), day("2024-08-01")]), length: .months(3), policy: p)
        #expect(q.report.worst.map(\.detail) == ["4 calendar months after the previous bar's; expected a whole number of 3 months"])
        #expect(q.flags == [[], [], .spacing] && q.report.missingBars == 0)
    }
}

/// Binance's monthly klines: open on the 1st at 00:00 UTC; price 100 + the
/// bar's position in `months`; at most `cap` rows a page (as a server may
/// answer fewer rows than asked).
func monthlyKlinesJSON(_ months: [Int64], start: Int64, end: Int64, limit: Int, cap: Int) -> String {
    var rows: [String] = []
    for (i, t) in months.enumerated() where t >= start && t <= end && rows.count < min(limit, cap) {
        let p = 100 + Double(i)
        let close = i + 1 < months.count ? months[i + 1] - 1 : t + 2_678_399_999
        rows.append("[\(t),\"\(p)\",\"\(p + 2)\",\"\(p - 1)\",\"\(p + 1)\",\"10\",\(close),\"1000\",5,\"5\",\"500\",\"0\"]")
    }
    return "[" + rows.joined(separator: ",") + "]"
}

@Suite(.serialized) struct MonthFetchTests {
    let months = monthStarts(year: 2021, month: 1, count: 48)   // 2021 … 2024

    /// Answers klines from `months`, 12 a page; the requests numbered in `failing` get HTTP 500.
    func server(failing: Set<Int> = []) throws -> TestServer {
        let months = months, calls = Counter()
        return try TestServer.start { target in
            guard target.hasPrefix("/api/v3/klines") else { return .init(status: 404, body: "{}") }
            if failing.contains(calls.next()) { return .init(status: 500, body: "{}") }
            let q = query(target)
            return .init(body: monthlyKlinesJSON(months, start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!, cap: 12))
        }
    }

    @Test func monthlyKlinesArePaginatedByCalendarMonth() async throws {
        let s = try server()
        defer { s.stop() }
        let store = try Store(path: tempDB())
        let key = SeriesKey(source: "binance", market: "spot", symbol: "BTCUSDT", length: .months(1))
        let c = BinanceClient(market: "spot", baseURL: s.baseURL, time: FakeTime())
        // From mid-January 2022: the first bar is February's; 29 months to July 2024.
        let r = try await Fetcher.fetch(c, into: store, key: key, from: day("2022-01-15"), to: day("2024-07-01"))
        #expect(r.expected == 29 && r.fetched == 29 && r.newRows == 29 && r.requests == 3)
        #expect(r.report?.score == 100 && r.report?.missingBars == 0)
        // Each page starts on the month after the last one received, and ends where the range does.
        let starts = s.requests.map { query($0)["startTime"] }
        #expect(starts == ["\(day("2022-02-01"))", "\(day("2023-02-01"))", "\(day("2024-02-01"))"])
        #expect(s.requests.allSatisfy { query($0)["interval"] == "1M" && query($0)["endTime"] == "\(day("2024-07-01") - 1)" })
        let bars = try store.bars(key)
        #expect(bars.map(\.time) == Array(months[13..<42]))
        #expect(bars.first?.open == 113 && bars.last?.close == 142)
        // Run again: nothing to ask for.
        let again = try await Fetcher.fetch(c, into: store, key: key, from: day("2022-01-15"), to: day("2024-07-01"))
        #expect(again.alreadyStored == 29 && again.requests == 0)
    }

    @Test func anInterruptedMonthlyFetchResumesWhereItStopped() async throws {
        // The second page fails, and so does its one retry.
        let s = try server(failing: [2, 3])
        defer { s.stop() }
        let store = try Store(path: tempDB())
        let key = SeriesKey(source: "binance", market: "spot", symbol: "ETHUSDT", length: .months(1))
        var config = RateLimitConfig()
        config.maxRetries = 1
        let failing = BinanceClient(market: "spot", baseURL: s.baseURL, config: config, time: FakeTime())
        await #expect(throws: FetchError.self) {
            try await Fetcher.fetch(failing, into: store, key: key, from: day("2021-01-01"), to: day("2025-01-01"))
        }
        #expect(try store.bars(key).map(\.time) == Array(months[0..<12]))   // the first page is kept
        let c = BinanceClient(market: "spot", baseURL: s.baseURL, time: FakeTime())
        let resumed = try await Fetcher.fetch(c, into: store, key: key, from: day("2021-01-01"), to: day("2025-01-01"))
        #expect(resumed.expected == 48 && resumed.alreadyStored == 12 && resumed.fetched == 36 && resumed.requests == 3)
        #expect(query(s.requests.last!)["startTime"] == "\(day("2024-01-01"))")
        #expect(try store.bars(key).map(\.time) == months)
        #expect(try store.fetchHistory(key).map { $0.status.prefix(6) } == ["failed", "done"])
    }

    @Test func theTiersCacheClosedMonthsAndReadTheCurrentOneAgain() async throws {
        let s = try server()
        defer { s.stop() }
        let tiers = TieredBars(store: try Store(path: tempDB()), remote: BinanceClient(market: "spot", baseURL: s.baseURL, time: FakeTime()))
        let key = SeriesKey(source: "binance", market: "spot", symbol: "BTCUSDT", length: .months(1))
        let now = day("2024-07-15")
        // January to June 2024: closed months, fetched once, then from memory.
        let a = try await tiers.bars(key, from: day("2024-01-01"), to: day("2024-07-01"), now: now)
        let b = try await tiers.bars(key, from: day("2024-01-01"), to: day("2024-07-01"), now: now)
        #expect(a.count == 6 && a == b && tiers.cache.hits == 1 && tiers.cache.count == 1)
        // With July, still forming on the 15th: never cached.
        let c = try await tiers.bars(key, from: day("2024-01-01"), to: day("2024-08-01"), now: now)
        _ = try await tiers.bars(key, from: day("2024-01-01"), to: day("2024-08-01"), now: now)
        #expect(c.count == 6 + 1 && tiers.cache.count == 1 && tiers.cache.hits == 1)
    }

    @Test func binanceNamesOnlyItsOwnCalendarInterval() {
        #expect(BinanceClient.intervalName(.months(1)) == "1M")
        #expect(BinanceClient.intervalName(.months(3)) == nil)
        #expect(BinanceClient.intervalName(.milliseconds(604_800_000)) == "1w")
        #expect(BinanceClient.intervalName(.milliseconds(1500)) == nil)
    }
}

/// `strat data fetch --interval 1M` as a subprocess against the test server.
@Suite struct MonthFetchCLITests {
    @Test func fetchStoresMonthsThatListExportAndBacktest() throws {
        let months = monthStarts(year: 2021, month: 1, count: 48)
        let server = try TestServer.start { target in
            if target.hasPrefix("/api/v3/exchangeInfo") { return .init(status: 404, body: "{}") }
            let q = query(target)
            return .init(body: monthlyKlinesJSON(months, start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!, cap: 12))
        }
        defer { server.stop() }
        let db = tempDB()
        let args = ["data", "fetch", "--symbol", "BTCUSDT", "--interval", "1M", "--from", "2022-01-01", "--to", "2024-01-01",
                    "--base-url", server.baseURL, "--db", db]
        let fetched = try runProgram(stratBinary.path, args)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stdout.hasPrefix("BTCUSDT 1M spot: 24 bars in range, 0 already stored, 24 fetched in 2 requests, 24 new\nBTCUSDT 1M: 24 bars, quality score 100.0/100\n"))
        #expect(server.requests.filter { $0.contains("interval=1M") }.count == 2)
        let again = try runProgram(stratBinary.path, args)
        #expect(again.stdout.hasPrefix("BTCUSDT 1M spot: 24 bars in range, 24 already stored, 0 fetched in 0 requests, 0 new\n"))
        let list = try runProgram(stratBinary.path, ["data", "list", "--db", db])
        #expect(list.stdout.contains("\nBTCUSDT     1M        spot    binance  24        2022-01-01T00:00:00Z  2023-12-01T00:00:00Z  100.0\n"), "\(list.stdout)")
        let export = try runProgram(stratBinary.path, ["data", "export", "--symbol", "BTCUSDT", "--interval", "1M", "--db", db, "--to", "2022-03-01", "--out", "-"])
        #expect(export.stdout == "time,open,high,low,close,volume\n2022-01-01T00:00:00Z,112.0,114.0,111.0,113.0,10.0\n2022-02-01T00:00:00Z,113.0,115.0,112.0,114.0,10.0\n")
        let strategy = scratchDirectory.appendingPathComponent("m-\(UUID().uuidString).strat")
        try "strategy M {\n  market spot\n  timeframe 1M\n  when close > open {\n    enter long size qty(1)\n  }\n}\n".write(to: strategy, atomically: true, encoding: .utf8)
        let bt = try runProgram(stratBinary.path, ["backtest", strategy.path, "--data", "BTCUSDT=db:1M", "--db", db])
        #expect(bt.status == 0, "\(bt.stderr)")
        // Bought at February 2022's open (113), held to December 2023's close (136).
        #expect(bt.stdout.contains("2022-01-01T00:00:00Z … 2023-12-01T00:00:00Z (24 bars)") && bt.stdout.contains("Final equity        10023.00\n"), "\(bt.stdout)")
    }
}
