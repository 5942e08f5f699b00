import Foundation
import StratData
import StratMarket
import Testing
import StratTestSupport

let jan1: Int64 = 1_704_067_200_000

@Suite(.serialized) struct FetchTests {
    func client(_ server: TestServer, _ time: FakeTime, _ edit: (inout RateLimitConfig) -> Void = { _ in }) -> BinanceClient {
        var c = RateLimitConfig()
        edit(&c)
        return BinanceClient(market: "spot", baseURL: server.baseURL, config: c, time: time)
    }

    @Test(arguments: Backend.available) func paginatesUntilTheRangeIsCoveredAndResumes(_ backend: Backend) async throws {
        let server = try TestServer.start { target in
            let q = query(target)
            return .init(headers: ["X-MBX-USED-WEIGHT-1M": "10"],
                         body: klinesJSON(start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!))
        }
        defer { server.stop() }
        try await withStore(backend) { store, _ in
            let key = SeriesKey(source: "binance", market: "spot", symbol: "BTCUSDT", interval: 3600)
            let c = client(server, FakeTime())
            // The first 500 hours, then the whole 2,500: only the missing 2,000 are requested.
            let first = try await Fetcher.fetch(c, into: store, key: key, from: jan1, to: jan1 + 500 * 3_600_000)
            #expect(first.fetched == 500 && first.newRows == 500 && first.requests == 1)
            let all = try await Fetcher.fetch(c, into: store, key: key, from: jan1, to: jan1 + 2500 * 3_600_000)
            #expect(all.alreadyStored == 500 && all.fetched == 2000 && all.newRows == 2000 && all.requests == 2)
            let bars = try store.bars(key)
            #expect(bars.count == 2500 && bars.first?.time == jan1 && bars.last?.close == 100 + 2499 + 0.5)
            #expect(server.requests[0].hasPrefix("/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=\(jan1)&endTime="))
            #expect(server.requests.allSatisfy { $0.contains("limit=1000") })
            // Run again: nothing to fetch, nothing duplicated.
            let again = try await Fetcher.fetch(c, into: store, key: key, from: jan1, to: jan1 + 2500 * 3_600_000)
            #expect(again.requests == 0 && again.newRows == 0)
            #expect(try store.fetchHistory(key).map(\.status) == ["done", "done", "done"])
            #expect(all.report?.score == 100)
        }
    }

    @Test func anInterruptedFetchIsCompletedByTheNextRun() async throws {
        let calls = Counter()
        let server = try TestServer.start { target in
            let q = query(target)
            // The connection breaks for good after the first page.
            if calls.next() >= 2 { return .init(status: 500, body: "{}") }
            return .init(body: klinesJSON(start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!))
        }
        defer { server.stop() }
        let store = try Store(path: tempDB())
        let key = SeriesKey(source: "binance", market: "spot", symbol: "ETHUSDT", interval: 3600)
        let time = FakeTime()
        await #expect(throws: FetchError.self) {
            try await Fetcher.fetch(client(server, time) { $0.maxRetries = 2 }, into: store, key: key, from: jan1, to: jan1 + 1500 * 3_600_000)
        }
        #expect(try store.bars(key).count == 1000)               // the first page is kept
        #expect(try store.fetchHistory(key).first?.status.hasPrefix("failed") == true)
        // Backoff between the retries: bounded, growing, with jitter.
        let sleeps = await time.slept()
        #expect(sleeps.count == 2 && sleeps[0] >= 0.25 && sleeps[0] <= 0.5 && sleeps[1] >= 0.5 && sleeps[1] <= 1)
        calls.reset()
        let resumed = try await Fetcher.fetch(client(server, time), into: store, key: key, from: jan1, to: jan1 + 1500 * 3_600_000)
        #expect(resumed.alreadyStored == 1000 && resumed.fetched == 500 && resumed.requests == 1)
        #expect(try store.bars(key).count == 1500)
    }

    @Test func rateLimitsRetryAfterAndBans() async throws {
        let calls = Counter()
        let server = try TestServer.start { target in
            let q = query(target)
            switch calls.next() {
            case 1: return .init(status: 503, body: "busy")
            case 2: return .init(drop: true)                                   // a reset
            case 3: return .init(status: 429, headers: ["Retry-After": "7"], body: "{\"code\":-1003}")
            default:
                return .init(headers: ["X-MBX-USED-WEIGHT-1M": "1150"],        // near the limit: slow down
                             body: klinesJSON(start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!))
            }
        }
        defer { server.stop() }
        let time = FakeTime(1_700_000_030)
        let c = client(server, time)
        let bars = try await c.klines(symbol: "X", interval: 3600, start: jan1, end: jan1 + 9 * 3_600_000)
        #expect(bars.count == 10)
        let sleeps = await time.slept()
        #expect(sleeps.count == 3)                  // 5xx backoff, reset backoff, Retry-After
        #expect(sleeps[2] == 7)
        // The server said 1,150 of 1,200 were used: the next request waits for its minute to roll over.
        _ = try await c.klines(symbol: "X", interval: 3600, start: jan1, end: jan1)
        let after = await time.slept()
        #expect(after.count == 4 && after[3] > 0 && after[3] <= 60)

        let banned = try TestServer.start { _ in .init(status: 418, headers: ["Retry-After": "86400"], body: "{\"code\":-1003}") }
        defer { banned.stop() }
        do {
            _ = try await client(banned, FakeTime()).klines(symbol: "X", interval: 3600, start: jan1, end: jan1)
            Issue.record("a long ban must stop the fetch")
        } catch let e as FetchError {
            #expect(e.description.contains("asks to wait 86400 s (HTTP 418, an IP ban), longer than the 600 s allowed"))
        }
    }

    @Test func malformedResponsesAreRejectedWithAReason() async throws {
        let bodies = ["{\"code\":-1121}", "[[1704067200000,\"1\",\"2\"]]", "[[\"1704067200000\",\"1\",\"2\",\"0.5\",\"1\",\"1\",1,\"1\",1,\"1\",\"1\",\"0\"]]",
                      "[[1704067200000,\"1\",\"2\",\"0.5\",\"x\",\"1\",1704070799999,\"1\",1,\"1\",\"1\",\"0\"]]"]
        let reasons = ["not a JSON array", "row 0 has 3 fields, expected 12", "row 0 field 0 (open time)", "row 0 field 4 (close) `x` is not a number"]
        for (body, reason) in zip(bodies, reasons) {
            let server = try TestServer.start { _ in .init(body: body) }
            defer { server.stop() }
            do {
                _ = try await client(server, FakeTime()).klines(symbol: "X", interval: 3600, start: jan1, end: jan1)
                Issue.record("accepted \(body)")
            } catch let e as FetchError {
                #expect(e.description.contains(reason), "\(e.description)")
            }
        }
    }

    @Test func weightBudgetAndTheKlinesWeightTable() async throws {
        var c = RateLimitConfig()
        c.weightPerMinute = 10
        let time = FakeTime()
        let budget = WeightBudget(config: c, time: time)
        for _ in 0..<4 { try await budget.acquire(5) }
        // 10 at once, then 5 more twice: each waits 30 s for the bucket to refill.
        #expect(await time.slept() == [30, 30])
        #expect([1, 99, 100, 499, 500, 1000, 1500].map { BinanceClient.klinesWeight(limit: $0) } == [1, 1, 2, 2, 5, 5, 10])
        #expect(BinanceClient.intervalName(14_400) == "4h" && BinanceClient.intervalName(7) == nil)
    }

    @Test func fundingRatesAndInstrumentDetails() async throws {
        let server = try TestServer.start { target in
            if target.hasPrefix("/fapi/v1/fundingRate") {
                return .init(body: "[{\"symbol\":\"BTCUSDT\",\"fundingTime\":\(jan1),\"fundingRate\":\"0.0001\",\"markPrice\":\"1\"},{\"symbol\":\"BTCUSDT\",\"fundingTime\":\(jan1 + 28_800_017),\"fundingRate\":\"-0.00005\",\"markPrice\":\"1\"}]")
            }
            return .init(body: "{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"0.10\"},{\"filterType\":\"LOT_SIZE\",\"stepSize\":\"0.001\"},{\"filterType\":\"MIN_NOTIONAL\",\"notional\":\"100\"}]}]}")
        }
        defer { server.stop() }
        let c = BinanceClient(market: "perp", baseURL: server.baseURL, time: FakeTime())
        let rates = try await c.fundingRates(symbol: "BTCUSDT", start: jan1, end: jan1 + 86_400_000)
        #expect(rates.map(\.rate) == [0.0001, -0.00005])
        #expect(rates.map(\.time) == [jan1, jan1 + 28_800_000], "settlement times read to the second")
        let i = try await c.instrument(symbol: "BTCUSDT")
        #expect(i.tick == 0.1 && i.lot == 0.001 && i.minNotional == 100)
        let store = try Store(path: tempDB())
        try store.insertFunding(rates, source: "binance", symbol: "BTCUSDT")
        try store.insertFunding(rates, source: "binance", symbol: "BTCUSDT")
        #expect(try store.funding(source: "binance", symbol: "BTCUSDT").count == 2)
        #expect(server.requests[0].hasPrefix("/fapi/v1/fundingRate?symbol=BTCUSDT&startTime=\(jan1)"))
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
    func reset() { lock.lock(); n = 0; lock.unlock() }
}

/// `strat data fetch` as a subprocess against the test server.
@Suite struct FetchCLITests {
    @Test func fetchCommandStoresAndReports() async throws {
        let server = try klinesServer()
        defer { server.stop() }
        let db = tempDB()
        func run(_ args: [String]) throws -> (Int32, String, String) {
            let r = try runProgram(stratBinary.path, args)
            return (r.status, r.stdout, r.stderr)
        }
        let args = ["data", "fetch", "--source", "binance", "--market", "spot", "--symbol", "BTCUSDT", "--interval", "1h",
                    "--from", "2024-01-01", "--to", "2024-02-01", "--base-url", server.baseURL, "--db", db]
        let (status, out, err) = try run(args)
        #expect(status == 0, "\(err)")
        #expect(out.hasPrefix("BTCUSDT 1h spot: 744 bars in range, 0 already stored, 744 fetched in 1 request, 744 new\nBTCUSDT 1h: 744 bars, quality score 100.0/100\n"))
        #expect(out.contains("\nBTCUSDT spot: tick 0.01, lot 0.00001, minimum notional 5 stored\n"))
        // A backtest on the stored bars trades on the instrument's lot and tick.
        let strategy = scratchDirectory.appendingPathComponent("half-\(UUID().uuidString).strat")
        try "strategy Half {\n  market spot\n\n  when close > open {\n    enter long size 50%\n  }\n}\n".write(to: strategy, atomically: true, encoding: .utf8)
        let json = strategy.path + ".json"
        let (bs, _, be) = try run(["backtest", strategy.path, "--data", "BTCUSDT=db:1h:spot:binance", "--db", db, "--json", json])
        #expect(bs == 0, "\(be)")
        let report = try String(contentsOfFile: json, encoding: .utf8)
        #expect(report.contains("\"instruments\":{\"BTCUSDT\":{\"tick_size\":0.01,\"lot_size\":1e-05,\"min_notional\":5.0}}"))
        // Signal on the first bar: 50% of 10,000 at its close (100.5) is 49.751243… → 49.75124
        // in lots of 0.00001, bought at the second bar's open.
        #expect(report.contains("\"qty\":49.75124,\"price\":101.0,"))
        let (_, again, _) = try run(args)
        #expect(again.hasPrefix("BTCUSDT 1h spot: 744 bars in range, 744 already stored, 0 fetched in 0 requests, 0 new"))
        let (s2, _, e2) = try run(["data", "fetch", "--symbol", "X", "--interval", "7m", "--from", "2024-01-01", "--to", "2024-01-02", "--db", db])
        #expect(s2 == 2 && e2.contains("--interval must be one of Binance's"))
    }
}

/// `strat data fetch` killed (SIGKILL) half-way, then run again.
@Suite struct KilledFetchTests {
    @Test func aKilledFetchIsCompletedWithNoLossAndNoDuplicates() throws {
        // 2024-01-01 … 2024-05-01: 2,904 hourly bars, three pages. The third
        // request hangs until the process has been killed.
        let gate = DispatchSemaphore(value: 0)
        let calls = Counter()
        let server = try TestServer.start { target in
            if target.hasPrefix("/api/v3/klines"), calls.next() == 3 { _ = gate.wait(timeout: .now() + 30) }
            if !target.hasPrefix("/api/v3/klines") { return .init(status: 404, body: "{}") }
            let q = query(target)
            return .init(body: klinesJSON(start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!))
        }
        defer { server.stop() }
        let db = tempDB()
        let args = ["data", "fetch", "--symbol", "BTCUSDT", "--interval", "1h", "--from", "2024-01-01", "--to", "2024-05-01",
                    "--base-url", server.baseURL, "--db", db]
        let child = try Child(stratBinary.path, args)
        let deadline = Date().addingTimeInterval(30)
        while server.requests.filter({ $0.hasPrefix("/api/v3/klines") }).count < 3, Date() < deadline { usleep(10_000) }
        child.kill()
        #expect(try child.wait().status == 128 + SIGKILL)
        gate.signal()
        // The two pages answered before the kill are stored, whole.
        let export = ["data", "export", "--symbol", "BTCUSDT", "--interval", "1h", "--source", "binance", "--db", db, "--out", "-"]
        let kept = try runProgram(stratBinary.path, export)
        #expect(kept.stdout.split(separator: "\n").count == 1 + 2000, "\(kept.stderr)")
        // Run again: only the missing part is asked for.
        let again = try runProgram(stratBinary.path, args)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("BTCUSDT 1h spot: 2904 bars in range, 2000 already stored, 904 fetched in 1 request, 904 new\n"))
        // The store now holds exactly the server's bars: each hour once, in order.
        let lines = try runProgram(stratBinary.path, export).stdout.split(separator: "\n").dropFirst()
        #expect(lines.count == 2904)
        let expected = (0..<2904).map { h -> String in
            let p = 100 + Double(h)
            var t: [UInt8] = []
            UTCTime.append(1_704_067_200_000 + Int64(h) * 3_600_000, to: &t)
            return "\(String(decoding: t, as: UTF8.self)),\(p),\(p + 1),\(p - 1),\(p + 0.5),10.5"
        }
        #expect(Array(lines.map(String.init)) == expected)
    }
}

@Suite struct RemoteTierTests {
    /// Memory, then SQLite, then the exchange: the first read fetches, the next
    /// is served from memory without a request.
    @Test func missingBarsComeFromTheExchangeOnce() async throws {
        let server = try klinesServer()
        defer { server.stop() }
        let store = try Store(path: tempDB())
        let tiers = TieredBars(store: store, remote: BinanceClient(market: "spot", baseURL: server.baseURL, time: FakeTime()))
        let key = SeriesKey(source: "binance", market: "spot", symbol: "BTCUSDT", interval: 3600)
        let now = jan1 + 1000 * 3_600_000
        let a = try await tiers.bars(key, from: jan1, to: jan1 + 48 * 3_600_000, now: now)
        let b = try await tiers.bars(key, from: jan1, to: jan1 + 48 * 3_600_000, now: now)
        #expect(a.count == 48 && a == b)
        #expect(server.requests.count == 1)
        #expect(tiers.cache.hits == 1)
    }
}

/// A server answering every klines request from `klinesJSON`.
func klinesServer() throws -> TestServer {
    try TestServer.start { target in
        if target.hasPrefix("/api/v3/exchangeInfo") {
            return .init(body: "{\"symbols\":[{\"symbol\":\"BTCUSDT\",\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"tickSize\":\"0.01000000\"},{\"filterType\":\"LOT_SIZE\",\"stepSize\":\"0.00001000\"},{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5.00000000\"}]}]}")
        }
        let q = query(target)
        return .init(body: klinesJSON(start: Int64(q["startTime"]!)!, end: Int64(q["endTime"]!)!, limit: Int(q["limit"]!)!))
    }
}

/// After `strat data fetch` (source binance), reads that leave out the market
/// and source find the one stored series; with several, they list them.
@Suite struct FetchedSeriesTests {
    @Test func readsFindTheOneStoredSeriesWhateverItsSource() throws {
        let server = try klinesServer()
        defer { server.stop() }
        let db = tempDB()
        let fetch = try runProgram(stratBinary.path, ["data", "fetch", "--source", "binance", "--symbol", "BTCUSDT", "--interval", "1h",
                                                      "--from", "2024-01-01", "--to", "2024-01-03", "--base-url", server.baseURL, "--db", db])
        #expect(fetch.status == 0, "\(fetch.stderr)")
        let strategy = scratchDirectory.appendingPathComponent("up-\(UUID().uuidString).strat")
        try "strategy Up {\n  market spot\n\n  when close > open {\n    enter long\n  }\n}\n".write(to: strategy, atomically: true, encoding: .utf8)
        let bt = try runProgram(stratBinary.path, ["backtest", strategy.path, "--data", "BTCUSDT=db:1h", "--db", db])
        #expect(bt.status == 0, "\(bt.stderr)")
        #expect(bt.stdout.contains("(48 bars)"))
        let export = try runProgram(stratBinary.path, ["data", "export", "--symbol", "BTCUSDT", "--interval", "1h", "--db", db, "--out", "-"])
        #expect(export.status == 0 && export.stdout.split(separator: "\n").count == 49, "\(export.stderr)")
        let quality = try runProgram(stratBinary.path, ["data", "quality", "--symbol", "BTCUSDT", "--interval", "1h", "--db", db])
        #expect(quality.stdout.hasPrefix("BTCUSDT 1h (spot, binance): 48 bars, quality score 100.0/100\n"), "\(quality.stderr)")
        let repl = try runProgram(stratBinary.path, ["repl"], environment: ["STRAT_DB": db, "NO_COLOR": "1"], input: ":data BTCUSDT 1h\n")
        #expect(repl.stdout == "BTCUSDT: 48 bars of 1h from the store, 2024-01-01T00:00:00Z … 2024-01-02T23:00:00Z\n", "\(repl.stderr)")
        // A second series of the symbol and interval: now the reads must say which.
        let csv = scratchDirectory.appendingPathComponent("b-\(UUID().uuidString).csv").path
        try Data(export.stdout.utf8).write(to: URL(fileURLWithPath: csv))
        #expect(try runProgram(stratBinary.path, ["data", "import", csv, "--symbol", "BTCUSDT", "--interval", "1h", "--db", db]).status == 0)
        let several = try runProgram(stratBinary.path, ["data", "export", "--symbol", "BTCUSDT", "--interval", "1h", "--db", db, "--out", "-"])
        #expect(several.status == 2)
        #expect(several.stderr == "strat: error: several stored series match BTCUSDT 1h: spot from binance, spot from csv; choose one with --market and --source\n")
        let replSeveral = try runProgram(stratBinary.path, ["repl"], environment: ["STRAT_DB": db, "NO_COLOR": "1"], input: ":data BTCUSDT 1h\n")
        #expect(replSeveral.stderr == "error: several stored series match BTCUSDT 1h: spot from binance, spot from csv; add MARKET SOURCE\n")
        let btSeveral = try runProgram(stratBinary.path, ["backtest", strategy.path, "--data", "BTCUSDT=db:1h", "--db", db])
        #expect(btSeveral.stderr == "strat: error: several stored series match BTCUSDT 1h: spot from binance, spot from csv; spell it out as BTCUSDT=db:1h:MARKET:SOURCE\n")
        // Resampled from the one 1h series, and spelled out.
        let fourHours = try runProgram(stratBinary.path, ["backtest", strategy.path, "--data", "BTCUSDT=db:4h:spot:binance", "--db", db])
        #expect(fourHours.status == 0 && fourHours.stderr.contains("resampled from stored 1h bars"), "\(fourHours.stderr)")
        #expect(try runProgram(stratBinary.path, ["data", "quality", "--symbol", "BTCUSDT", "--interval", "1h", "--source", "csv", "--db", db]).status == 0)
    }
}
