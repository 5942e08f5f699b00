import Crypto
import Foundation
import StratMarket

/// An in-memory LRU of decoded bar ranges, bounded in bytes. Keys are the
/// SHA-256 of a canonical text of (source, market, symbol, interval, from, to).
public final class BarCache: @unchecked Sendable {
    struct Entry {
        var bars: [Bar]
        var bytes: Int
        var used: UInt64
    }

    public let capacity: Int
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var tick: UInt64 = 0
    public private(set) var bytes = 0
    public private(set) var hits = 0
    public private(set) var misses = 0
    public private(set) var evictions = 0

    /// `capacity` in bytes of bars held.
    public init(capacity: Int = 256 << 20) { self.capacity = capacity }

    public static func key(_ k: SeriesKey, from: Int64, to: Int64) -> String {
        // The stored column (seconds, or −n for months), so months and fixed lengths never share a key.
        let canonical = "\(k.source)|\(k.market)|\(k.symbol)|\(k.column)|\(from)|\(to)"
        return SHA256.hash(data: Data(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public func get(_ key: String) -> [Bar]? {
        lock.lock(); defer { lock.unlock() }
        tick += 1
        guard var e = entries[key] else { misses += 1; return nil }
        hits += 1
        e.used = tick
        entries[key] = e
        return e.bars
    }

    /// Keeps `bars` unless they alone exceed the capacity; evicts the least
    /// recently used ranges until everything fits.
    public func put(_ key: String, _ bars: [Bar]) {
        let size = bars.count * MemoryLayout<Bar>.stride
        guard size <= capacity else { return }
        lock.lock(); defer { lock.unlock() }
        tick += 1
        if let old = entries[key] { bytes -= old.bytes }
        entries[key] = Entry(bars: bars, bytes: size, used: tick)
        bytes += size
        while bytes > capacity, let victim = entries.min(by: { $0.value.used < $1.value.used }) {
            bytes -= victim.value.bytes
            entries[victim.key] = nil
            evictions += 1
        }
    }

    public var count: Int { lock.lock(); defer { lock.unlock() }; return entries.count }
}

/// Reads bars through the tiers: memory, then the store, then the exchange (for
/// what the store lacks). A range that reaches the still-open most recent bar is
/// stale by nature: it is read again every time and never cached.
public final class TieredBars: Sendable {
    public let cache: BarCache
    public let store: any SeriesStore
    let remote: BinanceClient?

    public init(store: any SeriesStore, cache: BarCache = BarCache(), remote: BinanceClient? = nil) {
        self.store = store
        self.cache = cache
        self.remote = remote
    }

    /// Bars of `key` in [from, to) at time `now` (ms).
    public func bars(_ key: SeriesKey, from: Int64, to: Int64, now: Int64) async throws -> [Bar] {
        // Includes the bar still being formed: for months, the one of the month holding `now`.
        let open: Bool
        switch key.length {
        case .milliseconds(let iv): open = to > now - iv
        case .months: open = to > key.length.bucket(of: now)
        }
        let id = BarCache.key(key, from: from, to: to)
        if !open, let hit = cache.get(id) { return hit }
        if let remote {
            _ = try await Fetcher.fetch(remote, into: store, key: key, from: from, to: min(to, now))
        }
        let bars = try store.bars(key, from: from, to: to)
        if !open { cache.put(id, bars) }
        return bars
    }
}
