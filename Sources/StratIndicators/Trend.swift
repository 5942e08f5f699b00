/// MACD (TA-Lib): EMA(fast) − EMA(slow), both starting on the slow EMA's first
/// bar (the fast one seeded with the SMA of the `fast` values ending there), a
/// signal EMA of the MACD line, and their difference. All three are na until
/// the signal line exists. A fast length above the slow one is swapped, as in TA-Lib.
public struct MACD: Sendable {
    public let fast: Int, slow: Int, signalLength: Int
    var window: Window          // the last `slow` inputs, for the two seeds
    var fastEMA: EMA, slowEMA: EMA
    var signal: EMA

    public init(fast: Int, slow: Int, signal: Int) {
        let (f, s) = fast <= slow ? (fast, slow) : (slow, fast)
        self.fast = f
        self.slow = s
        signalLength = signal
        window = Window(capacity: s)
        fastEMA = EMA(length: f)
        slowEMA = EMA(length: s)
        self.signal = EMA(length: signal)
    }

    public var lookback: Int { slow - 1 + signalLength - 1 }

    public mutating func update(_ x: Double) -> (macd: Double, signal: Double, hist: Double) {
        if x.isNaN { return (.nan, .nan, .nan) }
        window.push(x)
        guard window.isFull else { return (.nan, .nan, .nan) }
        let f: Double, s: Double
        if slowEMA.value.isNaN {
            var slowSum = 0.0, fastSum = 0.0
            for age in stride(from: slow - 1, through: 0, by: -1) {
                slowSum += window[age]
                if age < fast { fastSum += window[age] }
            }
            s = slowSum / Double(slow)
            f = fastSum / Double(fast)
            slowEMA.seed(s)
            fastEMA.seed(f)
        } else {
            s = slowEMA.update(x)
            f = fastEMA.update(x)
        }
        let line = f - s
        let sig = signal.update(line)
        if sig.isNaN { return (.nan, .nan, .nan) }
        return (line, sig, line - sig)
    }
}

/// Wilder-smoothed directional movement and true range (TA-Lib's PLUS_DI,
/// MINUS_DI and ADX share it): n − 1 raw changes are summed, then each bar
/// applies sum − sum/n + new.
struct DirectionalMovement: Sendable {
    let length: Int
    var previousHigh = Double.nan, previousLow = Double.nan, previousClose = Double.nan
    var plusDM = 0.0, minusDM = 0.0, tr = 0.0
    var changes = 0

    init(length: Int) { self.length = length }

    /// Returns true once the smoothed sums are defined (from bar n on).
    mutating func update(high: Double, low: Double, close: Double) -> Bool {
        if high.isNaN || low.isNaN || close.isNaN { return false }
        defer { previousHigh = high; previousLow = low; previousClose = close }
        if previousHigh.isNaN { return false }
        changes += 1
        let n = Double(length)
        let up = high - previousHigh
        let down = previousLow - low
        let range = TrueRange.of(high: high, low: low, previousClose: previousClose)
        if changes >= length {
            minusDM -= minusDM / n
            plusDM -= plusDM / n
        }
        if down > 0 && up < down { minusDM += down } else if up > 0 && up > down { plusDM += up }
        if changes >= length { tr = tr - tr / n + range } else { tr += range }
        return changes >= length
    }

    var plusDI: Double { taIsZero(tr) ? 0 : 100 * (plusDM / tr) }
    var minusDI: Double { taIsZero(tr) ? 0 : 100 * (minusDM / tr) }
}

/// +DI or −DI over n bars.
public struct DirectionalIndicator: Sendable {
    var dm: DirectionalMovement
    public let plus: Bool
    public init(length: Int, plus: Bool) { dm = DirectionalMovement(length: length); self.plus = plus }
    public var lookback: Int { dm.length }
    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        guard dm.update(high: high, low: low, close: close) else { return .nan }
        return plus ? dm.plusDI : dm.minusDI
    }
}

/// Average directional index (TA-Lib): the mean of the first n DX values, then
/// Wilder smoothing. A bar whose true range or DI sum is zero leaves it unchanged.
public struct ADX: Sendable {
    var dm: DirectionalMovement
    var dxCount = 0
    var dxSum = 0.0
    public private(set) var value = Double.nan
    public init(length: Int) { dm = DirectionalMovement(length: length) }
    public var lookback: Int { 2 * dm.length - 1 }

    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        guard dm.update(high: high, low: low, close: close) else { return .nan }
        let n = Double(dm.length)
        var dx = Double.nan
        if !taIsZero(dm.tr) {
            let plus = dm.plusDI, minus = dm.minusDI
            let sum = minus + plus
            if !taIsZero(sum) { dx = 100 * (abs(minus - plus) / sum) }
        }
        if dxCount < dm.length {
            dxCount += 1
            if !dx.isNaN { dxSum += dx }
            if dxCount == dm.length { value = dxSum / n }
            return value
        }
        if !dx.isNaN { value = (value * (n - 1) + dx) / n }
        return value
    }
}

/// Aroon down and up over n bars (a window of n + 1): 100·(n − bars since the
/// lowest low or highest high)/n; on ties the most recent bar counts.
public struct Aroon: Sendable {
    var highs: RollingExtreme, lows: RollingExtreme
    public let length: Int
    public init(length: Int) {
        self.length = length
        highs = RollingExtreme(length: length + 1, max: true)
        lows = RollingExtreme(length: length + 1, max: false)
    }
    public var lookback: Int { length }
    public mutating func update(high: Double, low: Double) -> (down: Double, up: Double) {
        if high.isNaN || low.isNaN { return (.nan, .nan) }
        highs.push(high)
        lows.push(low)
        guard highs.pushed > length else { return (.nan, .nan) }
        let factor = 100.0 / Double(length)
        return (factor * Double(length - lows.age), factor * Double(length - highs.age))
    }
}

/// Commodity channel index: (tp − SMA(tp))/(0.015 · mean absolute deviation),
/// tp = (high + low + close)/3. O(n) per bar: the mean deviation around the
/// current mean has no sliding update (TA-Lib also rescans the window).
public struct CCI: Sendable {
    var window: Window
    public let length: Int
    public init(length: Int) {
        self.length = length
        window = Window(capacity: length)
    }
    public var lookback: Int { length - 1 }
    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        if high.isNaN || low.isNaN || close.isNaN { return .nan }
        let tp = (high + low + close) / 3
        window.push(tp)
        guard window.isFull else { return .nan }
        let n = Double(length)
        var sum = 0.0
        for age in stride(from: length - 1, through: 0, by: -1) { sum += window[age] }
        let average = sum / n
        var deviation = 0.0
        for age in stride(from: length - 1, through: 0, by: -1) { deviation += abs(window[age] - average) }
        let distance = tp - average
        return (distance != 0 && deviation != 0) ? distance / (0.015 * (deviation / n)) : 0
    }
}

/// Williams %R over n bars, −100…0 (0 when the range is flat, as in TA-Lib).
public struct WilliamsR: Sendable {
    var highs: RollingExtreme, lows: RollingExtreme
    public let length: Int
    public init(length: Int) {
        self.length = length
        highs = RollingExtreme(length: length, max: true)
        lows = RollingExtreme(length: length, max: false)
    }
    public var lookback: Int { length - 1 }
    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        if high.isNaN || low.isNaN || close.isNaN { return .nan }
        highs.push(high)
        lows.push(low)
        guard highs.pushed >= length else { return .nan }
        let diff = (highs.value - lows.value) / -100.0
        return diff != 0 ? (highs.value - close) / diff : 0
    }
}

/// Slow stochastic (TA-Lib's STOCH with SMA smoothing): raw %K over k bars,
/// %K = SMA(raw, smoothK), %D = SMA(%K, d); both na until %D exists.
public struct Stochastic: Sendable {
    var highs: RollingExtreme, lows: RollingExtreme
    var smoothK: SMA, smoothD: SMA
    public let k: Int
    public init(k: Int, smoothK: Int, d: Int) {
        self.k = k
        highs = RollingExtreme(length: k, max: true)
        lows = RollingExtreme(length: k, max: false)
        self.smoothK = SMA(length: smoothK)
        smoothD = SMA(length: d)
    }
    public var lookback: Int { k - 1 + smoothK.length - 1 + smoothD.length - 1 }
    public mutating func update(high: Double, low: Double, close: Double) -> (k: Double, d: Double) {
        if high.isNaN || low.isNaN || close.isNaN { return (.nan, .nan) }
        highs.push(high)
        lows.push(low)
        guard highs.pushed >= k else { return (.nan, .nan) }
        let diff = (highs.value - lows.value) / 100.0
        let raw = diff != 0 ? (close - lows.value) / diff : 0
        let slowK = smoothK.update(raw)
        let slowD = smoothD.update(slowK)
        return slowD.isNaN ? (.nan, .nan) : (slowK, slowD)
    }
}

/// Parabolic SAR (TA-Lib's SAR). The first direction is short when the second
/// bar's −DM(1) is positive (its low fell further than its high rose), long
/// otherwise; the SAR then starts at the first bar's low (long) or high (short).
/// The acceleration factor starts at `acceleration`, grows by it on each new
/// extreme up to `maximum`; the SAR never enters the last two bars' range, and on
/// a reversal it restarts at the extreme point. The value on a bar is the stop
/// in force during that bar.
public struct ParabolicSAR: Sendable {
    let acceleration: Double, maximum: Double
    var started = false
    var isLong = true
    var sar = 0.0, ep = 0.0, af = 0.0
    var newHigh = Double.nan, newLow = Double.nan

    public init(acceleration: Double, maximum: Double) {
        // TA-Lib lowers an acceleration above the maximum to it.
        self.acceleration = min(acceleration, maximum)
        self.maximum = maximum
        af = self.acceleration
    }

    public var lookback: Int { 1 }

    public mutating func update(high: Double, low: Double) -> Double {
        if high.isNaN || low.isNaN { return .nan }
        if newHigh.isNaN { newHigh = high; newLow = low; return .nan }
        var prevHigh = newHigh, prevLow = newLow
        if !started {
            started = true
            let diffP = high - newHigh, diffM = newLow - low
            isLong = !(diffM > 0 && diffP < diffM)
            if isLong { ep = high; sar = newLow } else { ep = low; sar = newHigh }
            // TA-Lib's first step treats this bar as its own previous bar.
            prevHigh = high
            prevLow = low
        }
        newHigh = high
        newLow = low
        let out: Double
        if isLong {
            if newLow <= sar {
                isLong = false
                sar = max(ep, prevHigh, newHigh)
                out = sar
                af = acceleration
                ep = newLow
                sar = max(sar + af * (ep - sar), prevHigh, newHigh)
            } else {
                out = sar
                if newHigh > ep { ep = newHigh; af = min(af + acceleration, maximum) }
                sar = min(sar + af * (ep - sar), prevLow, newLow)
            }
        } else {
            if newHigh >= sar {
                isLong = true
                sar = min(ep, prevLow, newLow)
                out = sar
                af = acceleration
                ep = newHigh
                sar = min(sar + af * (ep - sar), prevLow, newLow)
            } else {
                out = sar
                if newLow < ep { ep = newLow; af = min(af + acceleration, maximum) }
                sar = max(sar + af * (ep - sar), prevHigh, newHigh)
            }
        }
        return out
    }
}

/// Supertrend, TA-Lib's `SUPERTREND(timeperiod, multiplier)`: bands hl2 ±
/// factor·ATR(atrPeriod) (TA-Lib's Wilder ATR); the lower band only rises (and
/// the upper only falls) unless the previous close crossed it. Direction is
/// TA-Lib's: +1 up (the line is the lower band), −1 down (the upper band). The
/// first bar takes the raw bands and starts up, as TA-Lib does; after it, a close
/// below the lower band turns the trend down and one above the upper band turns
/// it up. The trend is carried, not recovered from which band the line equalled,
/// since the two bands can coincide (TA-Lib's reason).
public struct Supertrend: Sendable {
    var range: ATR
    public let factor: Double
    var started = false
    var previousClose = Double.nan
    var upper = 0.0, lower = 0.0
    var up = true

    public init(atrLength: Int, factor: Double) {
        self.factor = factor
        range = ATR(length: atrLength)
    }
    public var lookback: Int { range.lookback }

    public mutating func update(high: Double, low: Double, close: Double) -> (line: Double, direction: Double) {
        if high.isNaN || low.isNaN || close.isNaN { return (.nan, .nan) }
        defer { previousClose = close }
        let atr = range.update(high: high, low: low, close: close)
        if atr.isNaN { return (.nan, .nan) }
        let mid = (high + low) / 2
        let band = factor * atr
        let basicUpper = mid + band, basicLower = mid - band
        if !started {
            started = true
            upper = basicUpper; lower = basicLower
        } else {
            if basicUpper < upper || previousClose > upper { upper = basicUpper }
            if basicLower > lower || previousClose < lower { lower = basicLower }
            if up { if close < lower { up = false } } else if close > upper { up = true }
        }
        return up ? (lower, 1) : (upper, -1)
    }
}

/// Ichimoku Kinko Hyo without the chikou span: tenkan and kijun are the
/// midpoints (highest high + lowest low)/2 of their windows; senkou A is
/// (tenkan + kijun)/2 and senkou B the midpoint of the senkou window, both
/// **displaced forward by kijun bars** as a chart draws them: the value on bar t
/// is the one computed on bar t − kijun, which is what the chart shows at t, so
/// nothing reads a later bar. The chikou span (this close drawn kijun bars back)
/// has no value that is known at its bar, so it is left out. All four are na
/// until the displaced senkou B exists, so they share one warm-up.
public struct Ichimoku: Sendable {
    var tenkanRange: DonchianChannel, kijunRange: DonchianChannel, senkouRange: DonchianChannel
    /// The undisplaced spans of the last kijun bars; a push returns the one kijun bars old.
    var spanA: Window, spanB: Window
    public let lookback: Int

    public init(tenkan: Int, kijun: Int, senkou: Int) {
        tenkanRange = DonchianChannel(length: tenkan)
        kijunRange = DonchianChannel(length: kijun)
        senkouRange = DonchianChannel(length: senkou)
        spanA = Window(capacity: kijun)
        spanB = Window(capacity: kijun)
        lookback = Swift.max(tenkan, kijun, senkou) - 1 + kijun
    }

    public mutating func update(high: Double, low: Double)
        -> (tenkan: Double, kijun: Double, senkouA: Double, senkouB: Double) {
        if high.isNaN || low.isNaN { return (.nan, .nan, .nan, .nan) }
        let tenkan = tenkanRange.update(high: high, low: low).middle
        let kijun = kijunRange.update(high: high, low: low).middle
        let a = spanA.push((tenkan + kijun) / 2)
        let b = spanB.push(senkouRange.update(high: high, low: low).middle)
        if a.isNaN || b.isNaN { return (.nan, .nan, .nan, .nan) }
        return (tenkan, kijun, a, b)
    }
}
