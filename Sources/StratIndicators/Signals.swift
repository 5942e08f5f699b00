/// `a` crosses above (or below) `b` on this bar: a > b now and a ≤ b on the
/// previous bar (Pine's `ta.crossover`). 1 or 0; na (NaN) while either side is na
/// now or on the previous bar.
public struct Cross: Sendable {
    public let above: Bool
    @usableFromInline var previousA = Double.nan, previousB = Double.nan
    public init(above: Bool) { self.above = above }
    public var lookback: Int { 1 }
    /// (Inlinable: a batch runs it over whole columns.)
    @inlinable
    public mutating func update(_ a: Double, _ b: Double) -> Double {
        defer { previousA = a; previousB = b }
        if a.isNaN || b.isNaN || previousA.isNaN || previousB.isNaN { return .nan }
        return (above ? (a > b && previousA <= previousB) : (a < b && previousA >= previousB)) ? 1 : 0
    }
}

/// Pine's `ta.rising`/`ta.falling`: the value is above (below) every one of the
/// previous n values. 1 or 0; na during the warm-up.
public struct Trend: Sendable {
    public let rising: Bool
    public let length: Int
    var extreme: RollingExtreme   // of the n values before this one
    var last = Double.nan

    public init(length: Int, rising: Bool) {
        self.length = length
        self.rising = rising
        extreme = RollingExtreme(length: length, max: rising)
    }

    public var lookback: Int { length }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if !last.isNaN { extreme.push(last) }
        last = x
        guard extreme.pushed >= length else { return .nan }
        return (rising ? x > extreme.value : x < extreme.value) ? 1 : 0
    }
}

/// Bars since `cond` was last true (0 on a bar where it is true); na before the first time.
public struct BarsSince: Sendable {
    var count = -1
    public init() {}
    public var lookback: Int { 0 }
    public mutating func update(_ cond: Bool) -> Double {
        if cond { count = 0 } else if count >= 0 { count += 1 }
        return count >= 0 ? Double(count) : .nan
    }
}

/// The value of `src` on the k-th most recent bar where `cond` was true
/// (k = 0: the most recent, this bar included); na until there were k + 1 such bars.
public struct ValueWhen: Sendable {
    var values: Window
    public let occurrence: Int
    public init(occurrence: Int) {
        self.occurrence = occurrence
        values = Window(capacity: occurrence + 1)
    }
    public var lookback: Int { 0 }
    public mutating func update(_ cond: Bool, _ x: Double) -> Double {
        if cond { values.push(x) }
        return values[occurrence]
    }
}
