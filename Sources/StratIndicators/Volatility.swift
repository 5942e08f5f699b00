/// True range: max(high, previous close) − min(low, previous close); na on the first bar.
public struct TrueRange: Sendable {
    var previousClose = Double.nan
    public init() {}
    public var lookback: Int { 1 }
    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        if high.isNaN || low.isNaN || close.isNaN { return .nan }
        defer { previousClose = close }
        if previousClose.isNaN { return .nan }
        return Self.of(high: high, low: low, previousClose: previousClose)
    }

    static func of(high: Double, low: Double, previousClose: Double) -> Double {
        max(high, previousClose) - min(low, previousClose)
    }
}

/// Average true range (TA-Lib): the first value is the mean of the first n true
/// ranges, then Wilder smoothing (atr·(n−1) + tr)/n.
public struct ATR: Sendable {
    var range = TrueRange()
    var smoothing: RMA
    public let length: Int
    public init(length: Int) {
        self.length = length
        smoothing = RMA(length: length)
    }
    public var lookback: Int { length }
    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        let tr = range.update(high: high, low: low, close: close)
        if tr.isNaN { return .nan }
        return length == 1 ? tr : smoothing.update(tr)
    }
}

/// ATR as a percentage of the close (0 when the close is 0, as in TA-Lib).
public struct NATR: Sendable {
    var atr: ATR
    public init(length: Int) { atr = ATR(length: length) }
    public var lookback: Int { atr.lookback }
    public mutating func update(high: Double, low: Double, close: Double) -> Double {
        let a = atr.update(high: high, low: low, close: close)
        if a.isNaN { return .nan }
        return taIsZero(close) ? 0 : (a / close) * 100
    }
}

/// Bollinger bands: SMA(n) ± k population standard deviations (TA-Lib's BBANDS
/// with matype SMA).
public struct BollingerBands: Sendable {
    var average: SMA
    var deviation: StdDev
    public let k: Double

    public init(length: Int, k: Double) {
        self.k = k
        average = SMA(length: length)
        deviation = StdDev(length: length)
    }

    public var lookback: Int { average.lookback }

    public mutating func update(_ x: Double) -> (upper: Double, middle: Double, lower: Double) {
        let middle = average.update(x)
        let sd = deviation.update(x)
        if middle.isNaN { return (.nan, .nan, .nan) }
        let width = sd * k
        return (middle + width, middle, middle - width)
    }
}

/// Donchian channel over n bars: the highest high, the lowest low, and their
/// mean. TA-Lib has no DONCHIAN; this is TA-Lib's MAX(high)/MIN(low) pair.
public struct DonchianChannel: Sendable {
    var highs: RollingExtreme
    var lows: RollingExtreme
    public init(length: Int) {
        highs = RollingExtreme(length: length, max: true)
        lows = RollingExtreme(length: length, max: false)
    }
    public var lookback: Int { highs.length - 1 }
    public mutating func update(high: Double, low: Double) -> (upper: Double, middle: Double, lower: Double) {
        if high.isNaN || low.isNaN { return (.nan, .nan, .nan) }
        highs.push(high)
        lows.push(low)
        if highs.pushed < highs.length { return (.nan, .nan, .nan) }
        let upper = highs.value, lower = lows.value
        return (upper, (upper + lower) / 2, lower)
    }
}

/// Keltner channel, TA-Lib's `KC(timeperiod, atrperiod, nbdev)`: middle = EMA of
/// the typical price (high + low + close)/3 over `length` bars, upper/lower =
/// middle ± mult·ATR(atrPeriod). TA-Lib enters both legs at the channel's
/// lookback max(length − 1, atrPeriod): the shorter leg is seeded late, with the
/// SMA of its own window ending on that bar (not the value a full-series EMA or
/// ATR would have there), so both are started here by counting bars.
public struct KeltnerChannel: Sendable {
    var average: EMA
    var range = TrueRange()
    var smoothing: RMA
    let atrLength: Int
    public let multiplier: Double
    public let lookback: Int
    var bar = 0

    public init(length: Int, atrLength: Int, multiplier: Double) {
        average = EMA(length: length)
        smoothing = RMA(length: atrLength)
        self.atrLength = atrLength
        self.multiplier = multiplier
        lookback = max(length - 1, atrLength)
    }

    public mutating func update(high: Double, low: Double, close: Double) -> (upper: Double, middle: Double, lower: Double) {
        if high.isNaN || low.isNaN || close.isNaN { return (.nan, .nan, .nan) }
        defer { bar += 1 }
        // TA-Lib's TYPPRICE, in its order of operations.
        let typical = (high + low + close) / 3
        let middle = bar >= lookback - (average.length - 1) ? average.update(typical) : .nan
        let tr = range.update(high: high, low: low, close: close)
        let atr = atrLength == 1 ? tr : bar > lookback - atrLength ? smoothing.update(tr) : .nan
        if bar < lookback || atr.isNaN || middle.isNaN { return (.nan, .nan, .nan) }
        let width = atr * multiplier
        return (middle + width, middle, middle - width)
    }
}
