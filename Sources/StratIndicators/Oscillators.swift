/// Relative strength index (Wilder): average gain and loss are the plain means
/// of the first n changes, then avg = (avg·(n−1) + x)/n; RSI = 100·gain/(gain+loss).
public struct RSI: Sendable {
    var core: GainLoss
    public init(length: Int) { core = GainLoss(length: length) }
    public var lookback: Int { core.length }
    public mutating func update(_ x: Double) -> Double {
        guard core.update(x) else { return .nan }
        let total = core.gain + core.loss
        return taIsZero(total) ? 0 : 100 * (core.gain / total)
    }
}

/// Chande momentum oscillator with TA-Lib's Wilder-smoothed gains and losses:
/// 100·(gain − loss)/(gain + loss).
public struct CMO: Sendable {
    var core: GainLoss
    public init(length: Int) { core = GainLoss(length: length) }
    public var lookback: Int { core.length }
    public mutating func update(_ x: Double) -> Double {
        guard core.update(x) else { return .nan }
        let total = core.gain + core.loss
        return taIsZero(total) ? 0 : 100 * ((core.gain - core.loss) / total)
    }
}

/// Wilder-smoothed average gain and loss, shared by RSI and CMO.
struct GainLoss: Sendable {
    let length: Int
    var previous = Double.nan
    var changes = 0
    var gain = 0.0
    var loss = 0.0

    init(length: Int) { self.length = length }

    /// Returns true once the averages are defined.
    mutating func update(_ x: Double) -> Bool {
        if x.isNaN { return false }
        defer { previous = x }
        if previous.isNaN { return false }
        let change = x - previous
        changes += 1
        let n = Double(length)
        if changes <= length {
            if change < 0 { loss -= change } else { gain += change }
            if changes == length { loss /= n; gain /= n; return true }
            return false
        }
        loss *= n - 1
        gain *= n - 1
        if change < 0 { loss -= change } else { gain += change }
        loss /= n
        gain /= n
        return true
    }
}

/// Difference or ratio against the value `length` bars ago: `mom`/`change`
/// (x − x[n]), `roc` ((x/x[n] − 1)·100, 0 when x[n] is 0 as in TA-Lib) and
/// `pct_change` (x/x[n] − 1, na when x[n] is 0).
public struct Momentum: Sendable {
    public enum Kind: Sendable { case difference, rocPercent, ratioChange }
    public let kind: Kind
    public let length: Int
    var window: Window

    public init(_ kind: Kind, length: Int) {
        self.kind = kind
        self.length = length
        window = Window(capacity: length + 1)
    }

    public var lookback: Int { length }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        window.push(x)
        guard window.isFull else { return .nan }
        let past = window.oldest
        switch kind {
        case .difference: return x - past
        case .rocPercent: return past != 0 ? ((x / past) - 1.0) * 100.0 : 0
        case .ratioChange: return past != 0 ? x / past - 1 : .nan
        }
    }
}

/// Percent rank (Pine's `ta.percentrank`): the percentage of the previous n
/// values that are less than or equal to the current one. O(n) per bar: a rank
/// within a sliding window has no O(1) update; the scan runs over a flat array.
public struct PercentRank: Sendable {
    public let length: Int
    var window: Window       // the current value and the n before it

    public init(length: Int) {
        self.length = length
        window = Window(capacity: length + 1)
    }

    public var lookback: Int { length }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        window.push(x)
        guard window.isFull else { return .nan }
        var count = 0
        for age in 1...length where window[age] <= x { count += 1 }
        return Double(count) / Double(length) * 100
    }
}
