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

/// Balance of power (TA-Lib's BOP): (close − open)/(high − low), 0 for a bar with no range.
public struct BalanceOfPower: Sendable {
    public init() {}
    public var lookback: Int { 0 }
    public mutating func update(open: Double, high: Double, low: Double, close: Double) -> Double {
        if open.isNaN || high.isNaN || low.isNaN || close.isNaN { return .nan }
        let range = high - low
        return taIsZeroOrNeg(range) ? 0 : (close - open) / range
    }
}

/// TRIX (TA-Lib): the one-bar rate of change, in percent, of a triple EMA
/// (each EMA seeded with the SMA of its first n inputs).
public struct TRIX: Sendable {
    var e1: EMA, e2: EMA, e3: EMA
    var change = Momentum(.rocPercent, length: 1)
    public init(length: Int) { e1 = EMA(length: length); e2 = EMA(length: length); e3 = EMA(length: length) }
    public var lookback: Int { 3 * (e1.length - 1) + 1 }
    public mutating func update(_ x: Double) -> Double {
        change.update(e3.update(e2.update(e1.update(x))))
    }
}

/// Percentage price oscillator (TA-Lib's PPO with its default matype, SMA):
/// (SMA(fast) − SMA(slow))/SMA(slow) × 100, 0 when the slow average is 0. A fast
/// length above the slow one is swapped, as in TA-Lib.
public struct PPO: Sendable {
    var fast: SMA, slow: SMA
    public init(fast: Int, slow: Int) {
        let (f, s) = fast <= slow ? (fast, slow) : (slow, fast)
        self.fast = SMA(length: f)
        self.slow = SMA(length: s)
    }
    public var lookback: Int { slow.lookback }
    public mutating func update(_ x: Double) -> Double {
        let f = fast.update(x), s = slow.update(x)
        if s.isNaN { return .nan }
        return taIsZero(s) ? 0 : ((f - s) / s) * 100.0
    }
}

/// Stochastic RSI (TA-Lib's STOCHRSI with fastd_matype SMA): the fast stochastic
/// of RSI(n) over k bars, %K = 100·(rsi − lowest)/(highest − lowest) (0 for a flat
/// window) and %D = SMA(%K, d); both na until %D exists.
public struct StochasticRSI: Sendable {
    var rsi: RSI
    var highs: RollingExtreme, lows: RollingExtreme
    var smoothD: SMA
    public let length: Int, k: Int
    public init(length: Int, k: Int, d: Int) {
        self.length = length
        self.k = k
        rsi = RSI(length: length)
        highs = RollingExtreme(length: k, max: true)
        lows = RollingExtreme(length: k, max: false)
        smoothD = SMA(length: d)
    }
    public var lookback: Int { length + k - 1 + smoothD.length - 1 }
    public mutating func update(_ x: Double) -> (fastk: Double, fastd: Double) {
        let r = rsi.update(x)
        if r.isNaN { return (.nan, .nan) }
        highs.push(r)
        lows.push(r)
        guard highs.pushed >= k else { return (.nan, .nan) }
        let diff = (highs.value - lows.value) / 100.0
        let fastK = diff != 0 ? (r - lows.value) / diff : 0
        let fastD = smoothD.update(fastK)
        return fastD.isNaN ? (.nan, .nan) : (fastK, fastD)
    }
}

/// Ultimate oscillator (TA-Lib's ULTOSC): 100·(4·A₁ + 2·A₂ + A₃)/7, Aᵢ the sum of
/// buying pressure (close − min(low, previous close)) over the sum of true range
/// across the shortest, middle and longest period (TA-Lib sorts them). Each sum
/// starts on the bar TA-Lib starts it, so the rounding is TA-Lib's too.
public struct UltimateOscillator: Sendable {
    let periods: [Int]              // shortest first
    var pressure: Window, range: Window
    var a = [0.0, 0.0, 0.0], b = [0.0, 0.0, 0.0]
    var previousClose = Double.nan
    var bar = 0                     // bars with a previous close seen so far (1 on the second bar)

    public init(_ p1: Int, _ p2: Int, _ p3: Int) {
        periods = [p1, p2, p3].sorted()
        pressure = Window(capacity: periods[2])
        range = Window(capacity: periods[2])
    }

    public var lookback: Int { periods[2] }

    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        if high.isNaN || low.isNaN || close.isNaN { return .nan }
        defer { previousClose = close }
        if previousClose.isNaN { return .nan }
        bar += 1
        let trueLow = min(low, previousClose)
        var tr = high - low
        tr = max(tr, abs(high - previousClose))
        tr = max(tr, abs(low - previousClose))
        let bp = close - trueLow
        pressure.push(bp)
        range.push(tr)
        let longest = periods[2]
        for i in 0..<3 where bar >= longest - periods[i] + 1 {
            a[i] += bp
            b[i] += tr
        }
        guard bar >= longest else { return .nan }
        var output = 0.0
        if !taIsZero(b[0]) { output += 4.0 * (a[0] / b[0]) }
        if !taIsZero(b[1]) { output += 2.0 * (a[1] / b[1]) }
        if !taIsZero(b[2]) { output += a[2] / b[2] }
        // Drop the terms that leave each window on the next bar.
        for i in 0..<3 {
            a[i] -= pressure[periods[i] - 1]
            b[i] -= range[periods[i] - 1]
        }
        return 100.0 * (output / 7.0)
    }
}
