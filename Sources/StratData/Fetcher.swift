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
    /// `progress(done, total)` in bars.
    public static func fetch(_ client: BinanceClient, into store: Store, key: SeriesKey, from: Int64, to: Int64,
                             policy: ValidationPolicy = Fetcher.defaultPolicy,
                             progress: (Int, Int) -> Void = { _, _ in }) async throws -> FetchSummary {
        let iv = key.interval * 1000
        guard iv > 0, to > from else { throw FetchError("the range is empty: --from must be before --to") }
        // Binance's bars open on multiples of the interval (weeks on Monday).
        let offset: Int64 = iv % 604_800_000 == 0 ? 345_600_000 : 0
        let start = ((from - offset + iv - 1) / iv) * iv + offset
        let stored = try store.times(key, from: start, to: to)
        var runs: [(Int64, Int64)] = []
        var t = start
        while t < to {
            if !stored.contains(t) {
                if let last = runs.last, last.1 + iv == t { runs[runs.count - 1].1 = t } else { runs.append((t, t)) }
            }
            t += iv
        }
        let expected = Int((to - start + iv - 1) / iv)
        let missing = runs.reduce(0) { $0 + Int(($1.1 - $1.0) / iv) + 1 }
        var summary = FetchSummary(expected: expected, alreadyStored: expected - missing, fetched: 0, newRows: 0, requests: 0, report: nil)
        let id = try store.startFetch(key, from: from, to: to, at: Int64(Date().timeIntervalSince1970 * 1000))
        do {
            var done = 0
            progress(0, missing)
            for (a, b) in runs {
                var s = a
                while s <= b {
                    let page = try await client.klines(symbol: key.symbol, interval: key.interval, start: s, end: b + iv - 1)
                    summary.requests += 1
                    let bars = page.filter { $0.time >= a && $0.time <= b }
                    if !bars.isEmpty {
                        let checked = try Validator.validate(bars, interval: iv, policy: policy, file: "\(key.symbol) klines",
                                                             lineOf: { _ in nil })
                        summary.newRows += try store.insert(checked.bars, flags: checked.flags, key: key)
                        summary.fetched += bars.count
                    }
                    // The exchange has nothing more in this run (downtime, or before the listing).
                    guard let last = page.last, last.time >= s else { break }
                    done += bars.count
                    progress(min(done, missing), missing)
                    s = last.time + iv
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
            let report = try Validator.validate(bars, interval: iv, policy: p, lineOf: { _ in nil }).report
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
