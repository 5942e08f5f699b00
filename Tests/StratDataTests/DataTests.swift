import Foundation
import StratData
import StratMarket
import StratTestSupport
import Testing

func tempDB() -> String {
    scratchDirectory.appendingPathComponent("strat-\(UUID().uuidString)/strat.db").path
}

let hour: Int64 = 3_600_000
let t0: Int64 = 1_704_067_200_000   // 2024-01-01T00:00:00Z, a Monday

func bar(_ i: Int64, _ c: Double, o: Double? = nil, h: Double? = nil, l: Double? = nil, v: Double = 10) -> Bar {
    let open = o ?? c
    return Bar(time: t0 + i * hour, open: open, high: h ?? max(open, c), low: l ?? min(open, c), close: c, volume: v)
}

/// Run on SQLite and on PostgreSQL (Backend.available).
@Suite struct StoreTests {
    @Test(arguments: Backend.available) func barsRoundTripInChunksAndImportsAreIdempotent(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            #expect(try store.migrations() == ["v1: bars, funding, instruments, fetches, quality reports", "v2: corporate actions",
                                                "v3: leverage brackets dated per symbol, the mark price of funding payments",
                                                "v4: batch results, keyed by the hash of what made them"])
            let key = SeriesKey(symbol: "X", interval: 3600)
            let bars = (0..<100).map { bar(Int64($0), 100 + Double($0)) }
            #expect(try store.insert(bars.reversed(), key: key) == 100)
            #expect(try store.insert(bars, key: key) == 0)          // nothing lost, nothing duplicated
            var chunks: [Int] = []
            var back: [Bar] = []
            try store.read(key, chunk: 7) { chunks.append($0.count); back += $0 }
            #expect(back == bars)
            #expect(chunks == Array(repeating: 7, count: 14) + [2])
            #expect(try store.bars(key, from: t0 + 10 * hour, to: t0 + 13 * hour).map(\.close) == [110, 111, 112])
            // Another interval of the same symbol is another series.
            try store.insert([bar(0, 1)], key: SeriesKey(symbol: "X", interval: 86_400))
            let list = try store.list()
            #expect(list.map(\.rows) == [100, 1])
            #expect(list[0].first == t0 && list[0].last == t0 + 99 * hour && list[0].score == nil)
        }
    }

    @Test func walMode() throws {
        let path = tempDB()
        let store = try Store(path: path)
        try store.insert([bar(0, 1)], key: SeriesKey(symbol: "X", interval: 60))
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test(arguments: Backend.available) func qualityReports(_ backend: Backend) async throws {
        try await withStore(backend) { store, place in
            let key = SeriesKey(source: "binance", market: "perp", symbol: "BTCUSDT", interval: 60)
            try store.insert([bar(0, 1)], key: key)
            let report = QualityReport(rows: 1, counts: ["gap": 2], missingBars: 5, worst: [], score: 88.5)
            try store.saveQuality(report, key: key, at: 1)
            try store.saveQuality(QualityReport(rows: 1, counts: [:], missingBars: 0, worst: [], score: 99), key: key, at: 2)
            #expect(try store.latestQuality(key)?.score == 99)
            #expect(try store.list().first?.score == 99)
            // A second connection sees the same data.
            #expect(try place.open().bars(key).count == 1)
        }
    }

    @Test func unusablePathIsAClearError() {
        #expect(throws: StoreError.self) { try Store(path: "/proc/nope/strat.db") }
    }
}

@Suite struct ValidationTests {
    var policy = ValidationPolicy()

    @Test func integrityUnderEachPolicy() throws {
        let bars = [bar(0, 100), bar(1, 101, o: 100, h: 99), bar(2, 102)]     // bar 1: high below the close
        #expect(throws: ValidationError.self) { try Validator.validate(bars, interval: hour, policy: policy) }
        do {
            _ = try Validator.validate(bars, interval: hour, policy: policy, file: "x.csv")
        } catch let e as ValidationError {
            #expect(e.description.hasPrefix("x.csv:3: integrity: low 100.0 above high 99.0 at 2024-01-01T01:00:00Z"))
        }
        var p = policy
        p.integrity = .flag
        let flagged = try Validator.validate(bars, interval: hour, policy: p)
        #expect(flagged.bars.count == 3 && flagged.flags[1] == .integrity && flagged.report.counts["integrity"] == 1)
        #expect(flagged.report.score == 100 * (1 - 1.0 / 3).rounded(toPlaces: 3))
        p.integrity = .repair
        #expect(try Validator.validate(bars, interval: hour, policy: p).bars.map(\.close) == [100, 102])
    }

    @Test func duplicatesAndOrder() throws {
        let bars = [bar(0, 100), bar(2, 102), bar(1, 101), bar(2, 103)]
        #expect(throws: ValidationError.self) { try Validator.validate(bars, interval: hour, policy: policy) }
        var p = policy
        p.order = .repair
        p.duplicates = .repair
        let fixed = try Validator.validate(bars, interval: hour, policy: p)
        #expect(fixed.bars.map(\.close) == [100, 101, 102])           // sorted; the later duplicate dropped
        #expect(fixed.report.counts == ["out_of_order": 1, "duplicate": 1])
        p.duplicates = .flag
        let kept = try Validator.validate(bars, interval: hour, policy: p)
        #expect(kept.bars.count == 4 && kept.flags[3].contains(.duplicate))
    }

    @Test func gapsCountedAndFilledOnlyWhenAsked() throws {
        let bars = [bar(0, 100), bar(1, 101), bar(4, 104), bar(5, 105)]
        let flagged = try Validator.validate(bars, interval: hour, policy: policy)
        #expect(flagged.report.counts["gap"] == 1 && flagged.report.missingBars == 2)
        #expect(flagged.bars.count == 4 && flagged.flags[2] == .afterGap)
        #expect(flagged.report.worst.first?.detail == "2 bars missing since 2024-01-01T01:00:00Z")
        var p = policy
        p.gaps = .repair
        let filled = try Validator.validate(bars, interval: hour, policy: p)
        #expect(filled.bars.map(\.time) == (0...5).map { t0 + $0 * hour })
        #expect(filled.bars[2] == Bar(time: t0 + 2 * hour, open: 101, high: 101, low: 101, close: 101, volume: 0))
        #expect(filled.flags[2] == .filled && filled.report.counts["filled"] == 2)
        // Daily bars Friday → Monday are no gap on a weekday calendar.
        let days = [Bar(time: t0 + 4 * 86_400_000, open: 1, high: 1, low: 1, close: 1, volume: 1),
                    Bar(time: t0 + 7 * 86_400_000, open: 1, high: 1, low: 1, close: 1, volume: 1)]
        p.gaps = .flag
        #expect(try Validator.validate(days, interval: 86_400_000, policy: p).report.missingBars == 2)
        p.weekdaysOnly = true
        #expect(try Validator.validate(days, interval: 86_400_000, policy: p).report.missingBars == 0)
    }

    @Test func outliersByRobustZScore() throws {
        var rng = SplitMix64(seed: 9)
        var bars: [Bar] = []
        var price = 100.0
        for i in 0..<200 {
            let noise: Double = 0.001 * (rng.unit() - 0.5)
            price *= i == 150 ? 1.2 : 1 + noise
            bars.append(bar(Int64(i), price))
        }
        let r = try Validator.validate(bars, interval: hour, policy: policy)
        #expect(r.report.counts["outlier"] == 1 || r.report.counts["outlier"] == 2)   // the jump (and maybe the bar after)
        #expect(r.flags[150].contains(.outlier))
        #expect(r.report.worst[0].kind == "outlier" && r.report.worst[0].time == t0 + 150 * hour)
        var p = policy
        p.outliers = .reject
        #expect(throws: ValidationError.self) { try Validator.validate(bars, interval: hour, policy: p) }
    }
}

@Suite struct ResampleTests {
    @Test func minutesToFiveMinutesAlignedToUTC() {
        let minutes = (0..<12).map { (i: Int) -> Bar in
            let x = Double(i)
            return Bar(time: t0 + Int64(i) * 60_000, open: x, high: x + 1, low: x - 1, close: x + 0.5, volume: 1)
        }
        let (closed, partial) = Resampler.resample(minutes, base: 60_000, to: 300_000)
        #expect(closed.count == 2)
        #expect(closed[0] == Bar(time: t0, open: 0, high: 5, low: -1, close: 4.5, volume: 5))
        #expect(closed[1] == Bar(time: t0 + 300_000, open: 5, high: 10, low: 4, close: 9.5, volume: 5))
        #expect(partial == Bar(time: t0 + 600_000, open: 10, high: 12, low: 9, close: 11.5, volume: 2))   // not closed
    }

    @Test func hoursToDaysAndWeeksFromMonday() {
        let hours = (0..<(24 * 9)).map { (i: Int) -> Bar in bar(Int64(i) - 24, 100 + Double(i)) }   // from Sunday 2023-12-31
        let days = Resampler.resample(hours, base: hour, to: 86_400_000)
        #expect(days.closed.count == 9 && days.partial == nil)
        #expect(days.closed[1].time == t0 && days.closed[1].open == 124 && days.closed[1].close == 147)
        let weeks = Resampler.resample(hours, base: hour, to: 7 * 86_400_000)
        // The week of Sunday 31 Dec closes when Monday's first bar arrives; the week of
        // 1 Jan with its own last bar; the week of Monday 8 Jan has not closed.
        #expect(weeks.closed.map(\.time) == [t0 - 7 * 86_400_000, t0])
        #expect(weeks.partial?.time == t0 + 7 * 86_400_000)
    }
}

@Suite struct CorporateActionTests {
    @Test func parseAndBackAdjust() async throws {
        let actions = try CorporateActions.parse("time,symbol,kind,value\n2024-01-01T03:00:00Z,X,split,2\n2024-01-01T05:00:00Z,X,dividend,1\n", file: "a.csv")
        #expect(actions.map(\.kind) == [.split, .dividend])
        // Windows line ends read the same ("\r\n" is one Character in Swift).
        #expect(try CorporateActions.parse("time,symbol,kind,value\r\n2024-01-01T03:00:00Z,X,split,2\r\n2024-01-01T05:00:00Z,X,dividend,1\r\n", file: "a.csv") == actions)
        let bars = (0..<7).map { bar(Int64($0), $0 < 3 ? 200 : 100) }
        // Splits only: before 03:00 prices halve and volumes double.
        let split = CorporateActions.adjust(bars, actions: actions, .splits)
        #expect(split.map(\.close) == [100, 100, 100, 100, 100, 100, 100])
        #expect(split.map(\.volume) == [20, 20, 20, 10, 10, 10, 10])
        // With the dividend of 1 (close before the ex-date 100): earlier prices × 0.99.
        let all = CorporateActions.adjust(bars, actions: actions, .all)
        #expect(all.map(\.close) == [99, 99, 99, 99, 99, 100, 100])
        #expect(CorporateActions.adjust(bars, actions: actions, .none) == bars)
        for (text, message) in [("time,symbol,kind,value\n2024-01-01,X,merger,1\n", "a.csv:2: field `kind`"),
                                ("time,symbol,kind,value\n2024-01-01,X,split,-2\n", "a.csv:2: field `value`"),
                                ("date,symbol\n", "a.csv:1: expected the header")] {
            #expect(throws: FetchError.self) { try CorporateActions.parse(text, file: "a.csv") }
            do { _ = try CorporateActions.parse(text, file: "a.csv") } catch { #expect("\(error)".contains(message)) }
        }
        for backend in Backend.available {
            try await withStore(backend) { store, _ in
                try store.insertActions(actions)
                try store.insertActions(actions)
                #expect(try store.actions(symbol: "X") == actions)
            }
        }
    }
}

extension Double {
    func rounded(toPlaces p: Int) -> Double { (self * Foundation.pow(10, Double(p))).rounded() / Foundation.pow(10, Double(p)) }
}
