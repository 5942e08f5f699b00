/// Pivot points of one bar's high, low and close: the support and resistance
/// levels for the bar after it. Used on a higher timeframe (`pivots()@1d`), the
/// bar is the last *closed* day, so the levels hold for the day in progress.
///
/// - classic: P = (H + L + C)/3, R1 = 2P − L, S1 = 2P − H, R2 = P + (H − L),
///   S2 = P − (H − L), R3 = H + 2(P − L), S3 = L − 2(H − P);
/// - fibonacci: P as classic, R/S k = P ± f·(H − L) with f = 0.382, 0.618, 1;
/// - camarilla: P as classic, R/S k = C ± (H − L)·1.1/d with d = 12, 6, 4, 2.
///
/// No state: the levels are a function of the bar alone.
public struct PivotPoints: Sendable {
    public enum Kind: Sendable { case classic, fibonacci, camarilla }
    public let kind: Kind
    public init(kind: Kind) { self.kind = kind }
    public var lookback: Int { 0 }
    /// Resistance and support levels beyond the pivot (3, or 4 for camarilla).
    public var depth: Int { kind == .camarilla ? 4 : 3 }

    /// The levels as (p, r1…r4, s1…s4), r4/s4 na except for camarilla: no
    /// allocation, so the runtime can call it every bar.
    public func update(high: Double, low: Double, close: Double)
        -> (p: Double, r1: Double, r2: Double, r3: Double, r4: Double, s1: Double, s2: Double, s3: Double, s4: Double) {
        if high.isNaN || low.isNaN || close.isNaN { return (.nan, .nan, .nan, .nan, .nan, .nan, .nan, .nan, .nan) }
        let p = (high + low + close) / 3, range = high - low
        switch kind {
        case .classic:
            return (p, 2 * p - low, p + range, high + 2 * (p - low), .nan,
                    2 * p - high, p - range, low - 2 * (high - p), .nan)
        case .fibonacci:
            return (p, p + 0.382 * range, p + 0.618 * range, p + range, .nan,
                    p - 0.382 * range, p - 0.618 * range, p - range, .nan)
        case .camarilla:
            let w = range * 1.1
            return (p, close + w / 12, close + w / 6, close + w / 4, close + w / 2,
                    close - w / 12, close - w / 6, close - w / 4, close - w / 2)
        }
    }
}
