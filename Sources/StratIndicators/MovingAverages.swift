// Moving averages. Each follows TA-Lib's algorithm step for step (same running
// sums, same seeding), so results agree to the last few bits, not just to 1e-9.
//
// Common contract of every kernel in this module: `update` takes the newest bar
// and returns the value on that bar, NaN (na) during the warm-up. A NaN input is
// skipped: the state does not advance and the output on that bar is NaN, so an
// indicator of an indicator starts when its input starts (as TA-Lib's Python
// wrapper does with leading NaNs).

/// Simple moving average: the mean of the last `length` values (running sum).
public struct SMA: Sendable {
    public let length: Int
    var window: Window
    var sum = 0.0

    public init(length: Int) {
        self.length = length
        window = Window(capacity: length)
    }

    public var lookback: Int { length - 1 }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        // TA-Lib's order: add the new value, read the mean, then drop the value
        // that leaves the window next bar.
        window.push(x)
        sum += x
        guard window.isFull else { return .nan }
        let mean = sum / Double(length)
        sum -= window.oldest
        return mean
    }
}

/// Exponential moving average, k = 2/(n+1), seeded with the SMA of the first n
/// values (TA-Lib's default, not Metastock's).
public struct EMA: Sendable {
    public let length: Int
    let k: Double
    var seedSum = 0.0
    var seen = 0
    public private(set) var value = Double.nan

    public init(length: Int) { self.init(length: length, k: 2.0 / Double(length + 1)) }

    init(length: Int, k: Double) {
        self.length = length
        self.k = k
    }

    public var lookback: Int { length - 1 }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if seen >= length {
            value = (x - value) * k + value
            return value
        }
        seedSum += x
        seen += 1
        if seen == length { value = seedSum / Double(length) }
        return value
    }

    /// Starts from a given seed (MACD seeds its fast EMA on the slow one's bar).
    mutating func seed(_ v: Double) {
        seen = length
        value = v
    }
}

/// Wilder's moving average (alpha = 1/n), seeded with the SMA of the first n
/// values; the smoothing of RSI and ATR: avg = (avg * (n - 1) + x) / n.
public struct RMA: Sendable {
    public let length: Int
    var seedSum = 0.0
    var seen = 0
    public private(set) var value = Double.nan

    public init(length: Int) { self.length = length }
    public var lookback: Int { length - 1 }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if seen >= length {
            value = (value * Double(length - 1) + x) / Double(length)
            return value
        }
        seedSum += x
        seen += 1
        if seen == length { value = seedSum / Double(length) }
        return value
    }
}

/// Linearly weighted moving average (weights 1…n, newest heaviest), kept with
/// TA-Lib's two running sums.
public struct WMA: Sendable {
    public let length: Int
    var window: Window
    var weightedSum = 0.0
    var plainSum = 0.0
    var trailing = 0.0
    let divider: Double

    public init(length: Int) {
        self.length = length
        window = Window(capacity: length)
        divider = Double(length * (length + 1)) / 2
    }

    public var lookback: Int { length - 1 }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        window.push(x)
        if window.count < length {
            plainSum += x
            weightedSum += x * Double(window.count)
            return .nan
        }
        plainSum += x
        plainSum -= trailing
        weightedSum += x * Double(length)
        trailing = window.oldest
        let out = weightedSum / divider
        weightedSum -= plainSum
        return out
    }
}

/// Double EMA: 2·EMA − EMA(EMA).
public struct DEMA: Sendable {
    var e1: EMA, e2: EMA
    public init(length: Int) { e1 = EMA(length: length); e2 = EMA(length: length) }
    public var lookback: Int { 2 * (e1.length - 1) }
    public mutating func update(_ x: Double) -> Double {
        let a = e1.update(x)
        let b = e2.update(a)
        return b.isNaN ? .nan : 2 * a - b
    }
}

/// Triple EMA: 3·EMA − 3·EMA(EMA) + EMA(EMA(EMA)).
public struct TEMA: Sendable {
    var e1: EMA, e2: EMA, e3: EMA
    public init(length: Int) { e1 = EMA(length: length); e2 = EMA(length: length); e3 = EMA(length: length) }
    public var lookback: Int { 3 * (e1.length - 1) }
    public mutating func update(_ x: Double) -> Double {
        let a = e1.update(x)
        let b = e2.update(a)
        let c = e3.update(b)
        return c.isNaN ? .nan : 3 * a - 3 * b + c
    }
}

/// Hull moving average: WMA(2·WMA(n/2) − WMA(n), ⌊√n⌋).
public struct HMA: Sendable {
    var half: WMA, full: WMA, outer: WMA
    public let length: Int
    public init(length: Int) {
        self.length = length
        half = WMA(length: max(1, length / 2))
        full = WMA(length: length)
        outer = WMA(length: max(1, Int(Double(length).squareRoot())))
    }
    public var lookback: Int { (length - 1) + (outer.length - 1) }
    public mutating func update(_ x: Double) -> Double {
        let h = half.update(x)
        let f = full.update(x)
        if f.isNaN { return .nan }
        return outer.update(2 * h - f)
    }
}

/// Kaufman adaptive moving average (TA-Lib: fast 2, slow 30; efficiency ratio
/// over `length` changes; seeded with the previous value on the first bar).
public struct KAMA: Sendable {
    public let length: Int
    var window: Window        // the last length + 1 inputs
    var sumROC = 0.0
    public private(set) var value = Double.nan
    static let constMax = 2.0 / 31.0
    static let constDiff = 2.0 / 3.0 - constMax

    public init(length: Int) {
        self.length = length
        window = Window(capacity: length + 1)
    }

    public var lookback: Int { length }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let previous = window[0]
        let evicted = window.push(x)
        if !evicted.isNaN { sumROC -= abs(evicted - window.oldest) }
        if window.count > 1 { sumROC += abs(x - previous) }
        guard window.isFull else { return .nan }
        let periodROC = x - window.oldest
        var er = (sumROC <= periodROC || taIsZero(sumROC)) ? 1.0 : abs(periodROC / sumROC)
        er = er * Self.constDiff + Self.constMax
        er *= er
        if value.isNaN { value = previous }
        value = (x - value) * er + value
        return value
    }
}
