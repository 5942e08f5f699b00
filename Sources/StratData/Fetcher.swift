import Foundation
import StratMarket

public struct FetchSummary: Sendable {
    /// Bars the range should hold, and how many were already stored before.
    public var expected: Int
    public var alreadyStored: Int
    public var fetched: Int
    public var newRows: Int
    public var requests: Int
    public var report: QualityReport?
}

/// Fills a range of a series from the exchange into the store. Resumable and
/// idempotent: only the bars missing from the store are requested, and a bar
/// fetched again replaces itself, so an interrupted fetch run again completes it
/// and nothing is lost or duplicated.
public enum Fetcher {
    /// `progress(done, total)` in bars. A mark-price key (`key.markKey`) fetches
    /// the perpetual's mark-price klines into their own series.
    public static func fetch(_ client: BinanceClient, into store: any SeriesStore, key: SeriesKey, from: Int64, to: Int64,
                             policy: ValidationPolicy = Fetcher.defaultPolicy,
                             progress: (Int, Int) -> Void = { _, _ in }) async throws -> FetchSummary {
        let length = key.length
        guard length.nominal > 0 else { throw FetchError("the bar length must be positive, got \(length)") }
        guard to > from else { throw FetchError("the range is empty: --from must be before --to") }
        // Binance's bars open on multiples of the interval (weeks on Monday),
        // months on the 1st at 00:00 UTC: the first such time from `from` on.
        // A month is no fixed number of ms, so each open time is stepped to the next.
        let bucket = length.bucket(of: from)
        let start = bucket == from ? from : length.end(after: bucket)
        let stored = try store.times(key, from: start, to: to)
        var runs: [(first: Int64, last: Int64)] = []
        var expected = 0, missing = 0, inRun = false
        var t = start
        while t < to {
            expected += 1
            if stored.contains(t) { inRun = false } else {
                missing += 1
                if inRun { runs[runs.count - 1].last = t } else { runs.append((t, t)) }
                inRun = true
            }
            t = length.end(after: t)
        }
        var summary = FetchSummary(expected: expected, alreadyStored: expected - missing, fetched: 0, newRows: 0, requests: 0, report: nil)
        let id = try store.startFetch(key, from: from, to: to, at: Int64(Date().timeIntervalSince1970 * 1000))
        do {
            var done = 0
            progress(0, missing)
            for (a, b) in runs {
                var s = a
                while s <= b {
                    let page = try await client.klines(symbol: key.symbol, length: length, start: s, end: length.end(after: b) - 1,
                                                       kind: key.isMark ? .mark : .trades)
                    summary.requests += 1
                    let bars = page.filter { $0.time >= a && $0.time <= b }
                    if !bars.isEmpty {
                        let checked = try Validator.validate(bars, length: length, policy: policy, file: "\(key.symbol) \(key.isMark ? "markPriceKlines" : "klines")",
                                                             lineOf: { _ in nil })
                        summary.newRows += try store.insert(checked.bars, flags: checked.flags, key: key)
                        summary.fetched += bars.count
                    }
                    // The exchange has nothing more in this run (downtime, or before the listing).
                    guard let last = page.last, last.time >= s else { break }
                    done += bars.count
                    progress(min(done, missing), missing)
                    s = length.end(after: last.time)
                }
            }
            try store.finishFetch(id, rows: summary.newRows, status: "done", at: Int64(Date().timeIntervalSince1970 * 1000))
        } catch {
            try? store.finishFetch(id, rows: summary.newRows, status: "failed: \(error)", at: Int64(Date().timeIntervalSince1970 * 1000))
            throw error
        }
        // The quality of everything stored in the range.
        let bars = try store.bars(key, from: start, to: to)
        if !bars.isEmpty {
            var p = policy
            for k in [\ValidationPolicy.integrity, \.duplicates, \.order, \.gaps, \.outliers] { p[keyPath: k] = .flag }
            let report = try Validator.validate(bars, length: length, policy: p, lineOf: { _ in nil }).report
            try store.saveQuality(report, key: key, at: Int64(Date().timeIntervalSince1970 * 1000))
            summary.report = report
        }
        return summary
    }

    /// Exchange data is stored even when a bar is odd, but marked: integrity
    /// problems and outliers are flagged, repeated bars dropped, gaps flagged.
    public static var defaultPolicy: ValidationPolicy {
        var p = ValidationPolicy()
        p.integrity = .flag
        p.duplicates = .repair
        p.order = .repair
        p.gaps = .flag
        p.outliers = .flag
        p.spacing = .flag
        return p
    }
}
