/// Population variance of the last n values from running sums of x and x²
/// (TA-Lib's VAR): E[x²] − E[x]².
public struct Variance: Sendable {
    public let length: Int
    var window: Window
    var sum = 0.0
    var sumSquares = 0.0

    public init(length: Int) {
        self.length = length
        window = Window(capacity: length)
    }

    public var lookback: Int { length - 1 }

    /// The mean on the last bar that produced a value.
    public private(set) var mean = Double.nan

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let evicted = window.push(x)
        if !evicted.isNaN {
            sum -= evicted
            sumSquares -= evicted * evicted
        }
        sum += x
        sumSquares += x * x
        guard window.isFull else { return .nan }
        let n = Double(length)
        mean = sum / n
        return sumSquares / n - mean * mean
    }
}

/// Population standard deviation (TA-Lib's STDDEV with nbdev 1): √variance,
/// 0 when the variance is (numerically) zero or negative.
public struct StdDev: Sendable {
    var variance: Variance
    public init(length: Int) { variance = Variance(length: length) }
    public var lookback: Int { variance.lookback }
    public var mean: Double { variance.mean }
    public mutating func update(_ x: Double) -> Double {
        let v = variance.update(x)
        if v.isNaN { return .nan }
        return taIsZeroOrNeg(v) ? 0 : v.squareRoot()
    }
}

/// (x − SMA)/population standard deviation over n bars; na when the deviation is 0.
public struct ZScore: Sendable {
    var deviation: StdDev
    public init(length: Int) { deviation = StdDev(length: length) }
    public var lookback: Int { deviation.lookback }
    public mutating func update(_ x: Double) -> Double {
        let sd = deviation.update(x)
        if sd.isNaN || sd == 0 { return .nan }
        return (x - deviation.mean) / sd
    }
}

/// Slope per bar of the least-squares line through the last n values (TA-Lib's
/// LINEARREG_SLOPE). The sums Σy and Σ(age·y) slide in O(1); they are rebuilt
/// from the window every n bars so rounding cannot accumulate.
public struct LinRegSlope: Sendable {
    public let length: Int
    var window: Window
    var sumY = 0.0
    var sumXY = 0.0          // x is the age: 0 for the newest value
    var sinceRebuild = 0
    let sumX: Double
    let divisor: Double

    public init(length: Int) {
        self.length = length
        window = Window(capacity: length)
        let n = Double(length)
        sumX = n * (n - 1) * 0.5
        let sumXSquares = n * (n - 1) * (2 * n - 1) / 6
        divisor = sumX * sumX - n * sumXSquares
    }

    public var lookback: Int { length - 1 }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let evicted = window.push(x)
        sinceRebuild += 1
        if sinceRebuild >= length || evicted.isNaN {
            sinceRebuild = 0
            sumY = 0
            sumXY = 0
            for age in stride(from: window.count - 1, through: 0, by: -1) {
                let y = window[age]
                sumY += y
                sumXY += Double(age) * y
            }
        } else {
            // Every value ages by one bar; the evicted one (age n − 1) leaves.
            sumXY += (sumY - evicted) - Double(length - 1) * evicted
            sumY += x - evicted
        }
        guard window.isFull else { return .nan }
        if length == 1 { return 0 }
        return (Double(length) * sumXY - sumX * sumY) / divisor
    }
}

/// Pearson correlation of a and b over n bars from running sums (TA-Lib's CORREL);
/// 0 when either series is flat.
public struct Correlation: Sendable {
    public let length: Int
    var xs: Window, ys: Window
    var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0

    public init(length: Int) {
        self.length = length
        xs = Window(capacity: length)
        ys = Window(capacity: length)
    }

    public var lookback: Int { length - 1 }

    public mutating func update(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return .nan }
        let oa = xs.push(a), ob = ys.push(b)
        if !oa.isNaN {
            sx -= oa; sy -= ob
            sxx -= oa * oa; syy -= ob * ob
            sxy -= oa * ob
        }
        sx += a; sy += b
        sxx += a * a; syy += b * b
        sxy += a * b
        guard xs.isFull else { return .nan }
        let n = Double(length)
        let t = (sxx - (sx * sx) / n) * (syy - (sy * sy) / n)
        return taIsZeroOrNeg(t) ? 0 : (sxy - (sx * sy) / n) / t.squareRoot()
    }
}

/// Highest (or lowest) of the last n values.
public struct Extreme: Sendable {
    var core: RollingExtreme
    public init(length: Int, max: Bool) { core = RollingExtreme(length: length, max: max) }
    public var lookback: Int { core.length - 1 }
    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        core.push(x)
        return core.pushed >= core.length ? core.value : .nan
    }
}
