import Foundation
import StratData
import StratMarket
import StratTestSupport
import Testing

/// What every `SeriesStore` must do alike, beyond the bar tests in DataTests
/// and StoreSafetyTests (which run on both too): run on SQLite and on PostgreSQL.
@Suite struct SeriesStoreTests {
    @Test(arguments: Backend.available) func flagsTimesAndDuplicateTimesInOneImport(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let key = SeriesKey(symbol: "X", interval: 3600)
            let bars = (0..<6).map { bar(Int64($0), 100 + Double($0)) }
            var flags = [BarFlags](repeating: [], count: 6)
            flags[2] = .afterGap
            flags[4] = [.outlier, .integrity]
            #expect(try store.insert(bars, flags: flags, key: key) == 6)
            #expect(try store.flags(key) == flags)
            #expect(try store.flagged(key, [.integrity, .afterGap]) == (2, [t0 + 2 * hour, t0 + 4 * hour]))
            #expect(try store.flagged(key, .afterGap, limit: 0) == (1, []))
            #expect(try store.times(key, from: t0 + hour, to: t0 + 3 * hour) == [t0 + hour, t0 + 2 * hour])
            var chunks: [[BarFlags]] = []
            try store.read(key, from: t0 + 2 * hour, to: nil, chunk: 2) { _, f in chunks.append(f) }
            #expect(chunks == [[.afterGap, []], [[.outlier, .integrity], []]])
            // One time twice in an import (kept under --on-duplicate flag): keep stores the first, replace the last.
            let twice = [bar(10, 1), bar(10, 2), bar(10, 3)]
            #expect(try store.insert(twice, key: key, onConflict: .keep) == InsertSummary(new: 1, changed: 0, examples: []))
            #expect(try store.bars(key, from: t0 + 10 * hour) == [bar(10, 1)])
            #expect(try store.insert(twice, key: key, onConflict: .replace).changed == 2)
            #expect(try store.bars(key, from: t0 + 10 * hour) == [bar(10, 3)])
            #expect(try store.insert([], key: key, onConflict: .reject) == InsertSummary(new: 0, changed: 0, examples: []))
        }
    }

    @Test(arguments: Backend.available) func seriesAndListSortBytewiseAndByLength(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            // Upper case before lower, as SQLite compares text (not a locale's order).
            for (symbol, market, source, length) in [("b", "spot", "csv", BarLength.milliseconds(3_600_000)), ("B", "spot", "csv", .milliseconds(60_000)),
                                                     ("a", "spot", "csv", .months(1)), ("a", "spot", "csv", .milliseconds(604_800_000)),
                                                     ("a", "perp", "binance", .months(1)), ("a", "perp-mark", "binance", .months(1)),
                                                     ("a", "perp", "Binance", .months(1))] {
                try store.insert([bar(0, 1), bar(1, 2)], key: SeriesKey(source: source, market: market, symbol: symbol, length: length))
            }
            #expect(try store.list().map { "\($0.key.symbol) \($0.key.length) \($0.key.market) \($0.key.source) \($0.rows)" } == [
                "B 1m spot csv 2", "a 1w spot csv 2", "a 1M perp Binance 2", "a 1M perp binance 2", "a 1M perp-mark binance 2",
                "a 1M spot csv 2", "b 1h spot csv 2"])
            let month = SeriesKey(symbol: "a", length: .months(1))
            #expect(try store.series(symbol: "a", length: .months(1)).map { "\($0.market) \($0.source)" } == ["perp Binance", "perp binance", "spot csv"])
            #expect(try store.series(symbol: "a", length: .months(1), market: "perp-mark", source: nil).map(\.source) == ["binance"])
            #expect(try store.series(symbol: "a", length: .months(1), market: nil, source: "csv") == [month])
            #expect(try store.series(symbol: "c", length: .months(1)).isEmpty)
        }
    }

    @Test(arguments: Backend.available) func fetchLogAndInstruments(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let key = SeriesKey(source: "binance", market: "spot", symbol: "BTCUSDT", interval: 60)
            let first = try store.startFetch(key, from: 0, to: 10, at: 100)
            let second = try store.startFetch(key, from: 10, to: 20, at: 200)
            #expect(first == 1 && second == 2)
            try store.finishFetch(second, rows: 7, status: "failed: timeout", at: 300)
            try store.finishFetch(first, rows: 10, status: "done", at: 400)
            #expect(try store.fetchHistory(key).map { "\($0.status) \($0.rows)" } == ["done 10", "failed: timeout 7"])
            #expect(try store.fetchHistory(key.markKey).isEmpty)
            #expect(try store.instrument(source: "binance", market: "spot", symbol: "BTCUSDT") == nil)
            try store.upsertInstrument(source: "binance", market: "spot", symbol: "BTCUSDT", tick: 0.01, lot: nil, minNotional: 5, at: 1)
            try store.upsertInstrument(source: "binance", market: "spot", symbol: "BTCUSDT", tick: 0.1, lot: 0.001, minNotional: nil, at: 2)
            let i = try #require(try store.instrument(source: "binance", market: "spot", symbol: "BTCUSDT"))
            #expect(i.tick == 0.1 && i.lot == 0.001 && i.minNotional == nil)
        }
    }

    @Test(arguments: Backend.available) func fundingRatesInRangesAndReplaced(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let rates = [FundingRate(time: jan1, rate: 0.0001), FundingRate(time: jan1 + 8 * hour, rate: -0.00025, mark: 42_000.5),
                         FundingRate(time: jan1 + 16 * hour, rate: 0, mark: 0)]
            try store.insertFunding(rates, source: "binance", symbol: "BTCUSDT")
            try store.insertFunding([(time: jan1 + 24 * hour, rate: 0.0003)], source: "binance", symbol: "BTCUSDT")
            // Given again (twice in one call): the last one stands.
            try store.insertFunding([FundingRate(time: jan1, rate: 0.5), FundingRate(time: jan1, rate: 0.0002, mark: 1)], source: "binance", symbol: "BTCUSDT")
            #expect(try store.fundingRates(source: "binance", symbol: "BTCUSDT", from: jan1 + 1, to: jan1 + 24 * hour) == Array(rates[1...]))
            #expect(try store.funding(source: "binance", symbol: "BTCUSDT").map(\.rate) == [0.0002, -0.00025, 0, 0.0003])
            #expect(try store.fundingRates(source: "binance", symbol: "BTCUSDT").first == FundingRate(time: jan1, rate: 0.0002, mark: 1))
            #expect(try store.fundingRates(source: "other", symbol: "BTCUSDT").isEmpty)
            try store.insertFunding([FundingRate](), source: "binance", symbol: "BTCUSDT")
        }
    }

    @Test(arguments: Backend.available) func cachedResultsAreKeptByKeyAndReplaced(_ backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let keys = (0..<1200).map { "k\($0)" }
            try store.cacheResults(keys.map { ($0, Data("result of \($0)".utf8)) }, engineVersion: "1", at: 1)
            try store.cacheResults([("k5", Data([0, 255, 1])), ("new", Data())], engineVersion: "2", at: 2)
            let found = try store.cachedResults(keys + ["new", "missing"])
            #expect(found.count == 1201 && found["k5"] == Data([0, 255, 1]) && found["k1199"] == Data("result of k1199".utf8) && found["new"] == Data())
            #expect(try store.cachedResults([]).isEmpty)
        }
    }

    @Test(arguments: Backend.available) func aReaderReadsAndRefusesToWrite(_ backend: Backend) async throws {
        try await withStore(backend) { store, place in
            let key = SeriesKey(symbol: "X", interval: 3600)
            try store.insert([bar(0, 1)], key: key)
            let reader = try place.open(readOnly: true)
            #expect(reader.readOnly && !store.readOnly)
            #expect(try reader.bars(key) == [bar(0, 1)])
            #expect(try reader.migrations() == store.migrations())
            let e = #expect(throws: StoreError.self) { try reader.insert([bar(1, 1)], key: key) }
            #expect(e?.description == "\(reader.label): opened read-only")
            #expect(throws: StoreError.self) { try reader.upsertInstrument(source: "a", market: "b", symbol: "c", tick: nil, lot: nil, minNotional: nil, at: 0) }
            #expect(try store.bars(key) == [bar(0, 1)])
        }
    }
}
