/// Builds higher-timeframe bars from base bars, in buckets aligned to UTC
/// boundaries (weeks start on Monday; calendar months from the 1st). A bucket
/// is handed out only once it is closed: when its last base bar has been
/// added, or when a bar of a later bucket arrives (a gap). A partial last
/// bucket is never handed out.
public struct Resampler: Sendable {
    public let length: BarLength
    public let baseLength: BarLength
    var bucket = Int64.min
    var bucketEnd = Int64.min
    /// The bucket being built (not closed yet).
    public private(set) var bar: Bar?

    public init(length: BarLength, base: BarLength) {
        self.length = length
        baseLength = base
    }

    /// Buckets of `interval` ms from bars of `base` ms.
    public init(interval: Int64, base: Int64) {
        self.init(length: .milliseconds(interval), base: .milliseconds(base))
    }

    public func start(of time: Int64) -> Int64 { length.bucket(of: time) }

    /// The start of the UTC bucket of `interval` ms that holds `time`.
    public static func start(of time: Int64, interval: Int64) -> Int64 {
        // 1970-01-01 was a Thursday; weekly buckets start on Monday 1970-01-05.
        let offset: Int64 = interval % 604_800_000 == 0 ? 345_600_000 : 0
        let t = time - offset
        let q = t >= 0 ? t / interval : (t - interval + 1) / interval
        return q * interval + offset
    }

    /// Before adding a bar: the pending bucket, if this bar belongs to a later one.
    public mutating func closeBefore(_ time: Int64) -> Bar? {
        guard let b = bar, start(of: time) != bucket else { return nil }
        bar = nil
        return b
    }

    /// Adds a base bar; returns the bucket if this bar completes it.
    public mutating func add(_ b: Bar) -> Bar? {
        let s = start(of: b.time)
        if var cur = bar, s == bucket {
            cur.high = max(cur.high, b.high)
            cur.low = min(cur.low, b.low)
            cur.close = b.close
            cur.volume += b.volume
            bar = cur
        } else {
            bucket = s
            bucketEnd = length.end(after: s)
            bar = Bar(time: s, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume)
        }
        if baseLength.end(after: b.time) >= bucketEnd {
            defer { bar = nil }
            return bar
        }
        return nil
    }
}

extension Resampler {
    /// A whole series in larger bars. The last bucket, if its final base bar has
    /// not arrived, is returned separately as partial: it is not a closed bar.
    public static func resample(_ bars: [Bar], base: Int64, to interval: Int64) -> (closed: [Bar], partial: Bar?) {
        resample(bars, base: .milliseconds(base), to: .milliseconds(interval))
    }

    public static func resample(_ bars: [Bar], base: BarLength, to length: BarLength) -> (closed: [Bar], partial: Bar?) {
        var r = Resampler(length: length, base: base)
        var out: [Bar] = []
        out.reserveCapacity(bars.count / max(1, Int(length.nominal / max(1, base.nominal))) + 1)
        for b in bars {
            if let done = r.closeBefore(b.time) { out.append(done) }
            if let done = r.add(b) { out.append(done) }
        }
        return (out, r.bar)
    }
}
