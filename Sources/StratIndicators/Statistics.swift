import Foundation

/// Sums of (x − shift) and (x − shift)² over the last n values. The shift is
/// moved to the window's mean every n bars (amortised O(1)), so the sums stay
/// small and E[x²] − E[x]² does not cancel catastrophically on series with a
/// large level and a small spread (FX prices near 1.1 moving by 1e-4).
struct ShiftedMoments: Sendable {
    let length: Int
    var window: Window
    var shift = 0.0
    var s1 = 0.0, s2 = 0.0
    var sinceRecentre = 0

    init(length: Int) {
        self.length = length
        window = Window(capacity: length)
    }

    var isFull: Bool { window.isFull }

    mutating func push(_ x: Double) {
        if window.count == 0 { shift = x }
        let leaving = window.push(x)
        sinceRecentre += 1
        if !leaving.isNaN, sinceRecentre >= length {
            recentre()
            return
        }
        if !leaving.isNaN {
            let d = leaving - shift
            s1 -= d
            s2 -= d * d
        }
        let d = x - shift
        s1 += d
        s2 += d * d
    }

    mutating func recentre() {
        sinceRecentre = 0
        var sum = 0.0
        for age in 0..<window.count { sum += window[age] }
        shift = sum / Double(window.count)
        s1 = 0
        s2 = 0
        for age in 0..<window.count {
            let d = window[age] - shift
            s1 += d
            s2 += d * d
        }
    }

    var mean: Double { shift + s1 / Double(length) }
    var variance: Double {
        let m = s1 / Double(length)
        return s2 / Double(length) - m * m
    }
}

/// Population variance of the last n values (TA-Lib's VAR).
public struct Variance: Sendable {
    var moments: ShiftedMoments
    public init(length: Int) { moments = ShiftedMoments(length: length) }
    public var lookback: Int { moments.length - 1 }
    /// The mean of the window on the last bar that produced a value.
    public var mean: Double { moments.mean }

    public mutating func update(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        moments.push(x)
        return moments.isFull ? moments.variance : .nan
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

/// The least-squares line through the last n values, read as TA-Lib's LINEARREG
/// family does: its slope per bar (LINEARREG_SLOPE), its value on the newest bar
/// (LINEARREG), on the oldest bar of the window (LINEARREG_INTERCEPT), the slope
/// as an angle in degrees (LINEARREG_ANGLE), or one bar ahead (TSF). The sums Σy
/// and Σ(age·y) slide in O(1); they are rebuilt from the window every n bars so
/// rounding cannot accumulate.
public struct LinearRegression: Sendable {
    public enum Output: Sendable { case slope, value, intercept, angle, forecast }
    public let output: Output
    public let length: Int
    var window: Window
    var sumY = 0.0
    var sumXY = 0.0          // x is the age: 0 for the newest value
    var sinceRebuild = 0
    let sumX: Double
    let divisor: Double

    public init(_ output: Output = .slope, length: Int) {
        self.output = output
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
        // TA-Lib divides by zero for n = 1; a one-bar line is flat through the value.
        let m = length == 1 ? 0 : (Double(length) * sumXY - sumX * sumY) / divisor
        // TA-Lib's intercept is at the oldest bar of the window (x = 0 there).
        let b = (sumY - m * sumX) / Double(length)
        switch output {
        case .slope: return m
        case .value: return b + m * Double(length - 1)
        case .intercept: return b
        case .angle: return atan(m) * (180.0 / 3.14159265358979323846)
        case .forecast: return b + m * Double(length)
        }
    }
}

/// Pearson correlation of a and b over n bars (TA-Lib's CORREL); 0 when either
/// series is flat. Sums are of shifted values, re-centred every n bars, for the
/// same reason as `ShiftedMoments`.
public struct Correlation: Sendable {
    public let length: Int
    var xs: Window, ys: Window
    var kx = 0.0, ky = 0.0
    var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0
    var sinceRecentre = 0

    public init(length: Int) {
        self.length = length
        xs = Window(capacity: length)
        ys = Window(capacity: length)
    }

    public var lookback: Int { length - 1 }

    public mutating func update(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return .nan }
        if xs.count == 0 { kx = a; ky = b }
        let oa = xs.push(a), ob = ys.push(b)
        sinceRecentre += 1
        if !oa.isNaN, sinceRecentre >= length {
            recentre()
        } else {
            if !oa.isNaN { accumulate(oa - kx, ob - ky, -1) }
            accumulate(a - kx, b - ky, 1)
        }
        guard xs.isFull else { return .nan }
        let n = Double(length)
        let t = (sxx - (sx * sx) / n) * (syy - (sy * sy) / n)
        return taIsZeroOrNeg(t) ? 0 : (sxy - (sx * sy) / n) / t.squareRoot()
    }

    mutating func accumulate(_ dx: Double, _ dy: Double, _ sign: Double) {
        sx += sign * dx; sy += sign * dy
        sxx += sign * dx * dx; syy += sign * dy * dy
        sxy += sign * dx * dy
    }

    mutating func recentre() {
        sinceRecentre = 0
        var mx = 0.0, my = 0.0
        for age in 0..<xs.count { mx += xs[age]; my += ys[age] }
        kx = mx / Double(xs.count)
        ky = my / Double(ys.count)
        sx = 0; sy = 0; sxx = 0; syy = 0; sxy = 0
        for age in 0..<xs.count { accumulate(xs[age] - kx, ys[age] - ky, 1) }
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
