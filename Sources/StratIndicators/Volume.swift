/// On-balance volume (TA-Lib): starts at the first bar's volume, then adds the
/// volume on an up close and subtracts it on a down close.
public struct OBV: Sendable {
    var previousClose = Double.nan
    public private(set) var value = Double.nan
    public init() {}
    public var lookback: Int { 0 }
    public mutating func update(close: Double, volume: Double) -> Double {
        if close.isNaN || volume.isNaN { return .nan }
        defer { previousClose = close }
        if previousClose.isNaN {
            value = volume
        } else if close > previousClose {
            value += volume
        } else if close < previousClose {
            value -= volume
        }
        return value
    }
}

/// Money flow index over n bars (TA-Lib 0.8): typical price × volume counts as
/// positive or negative flow by the sign of the typical price's change, and as no
/// flow when the change is zero relative to the two prices; 100·positive/total,
/// 0 for a window without flow.
public struct MFI: Sendable {
    public let length: Int
    var positive: Window, negative: Window
    var positiveSum = 0.0, negativeSum = 0.0
    var previousTypical = Double.nan
    var nullRun = 0

    public init(length: Int) {
        self.length = length
        positive = Window(capacity: length)
        negative = Window(capacity: length)
    }

    public var lookback: Int { length }

    public mutating func update(high: Double, low: Double, close: Double, volume: Double) -> Double {
        if high.isNaN || low.isNaN || close.isNaN || volume.isNaN { return .nan }
        let typical = (high + low + close) / 3
        defer { previousTypical = typical }
        if previousTypical.isNaN { return .nan }
        let change = typical - previousTypical
        let flow = taIsZeroScaled(change, abs(typical) + abs(previousTypical)) ? 0 : typical * volume
        let up = change < 0 ? 0 : flow, down = change < 0 ? flow : 0
        let outUp = positive.push(up), outDown = negative.push(down)
        if !outUp.isNaN { positiveSum -= outUp; negativeSum -= outDown }
        positiveSum += up
        negativeSum += down
        // A window with no flow at all is recognised exactly, not from the sums'
        // rounding residue.
        nullRun = flow == 0 ? min(nullRun + 1, length) : 0
        if nullRun >= length { positiveSum = 0; negativeSum = 0 }
        guard positive.isFull else { return .nan }
        let total = positiveSum + negativeSum
        let clamped = positiveSum < 0 ? 0 : min(positiveSum, total)
        return total <= 0 ? 0 : 100 * (clamped / total)
    }
}

/// Volume-weighted average price of the typical price (high + low + close)/3,
/// anchored to periods of `anchor` ms aligned to UTC as the resampler's buckets
/// (days from midnight, weeks from Monday): it restarts on the first bar of a
/// new period. The default is the UTC day. na while the period's volume is still zero.
public struct VWAP: Sendable {
    public static let day: Int64 = 86_400_000
    static let week: Int64 = 604_800_000
    public let anchor: Int64
    /// 1970-01-01 was a Thursday; whole weeks start on Monday 1970-01-05.
    let offset: Int64
    var period = Int64.min
    var priceVolume = 0.0
    var volume = 0.0
    public init(anchor: Int64 = VWAP.day) {
        precondition(anchor > 0)
        self.anchor = anchor
        offset = anchor % Self.week == 0 ? 4 * Self.day : 0
    }
    public var lookback: Int { 0 }

    /// `time` is the bar's open time in milliseconds since the epoch (UTC).
    public mutating func update(time: Int64, high: Double, low: Double, close: Double, volume v: Double) -> Double {
        if high.isNaN || low.isNaN || close.isNaN || v.isNaN { return .nan }
        let t = time - offset
        let p = t >= 0 ? t / anchor : (t - anchor + 1) / anchor
        if p != period {
            period = p
            priceVolume = 0
            volume = 0
        }
        priceVolume += (high + low + close) / 3 * v
        volume += v
        return volume > 0 ? priceVolume / volume : .nan
    }
}

/// Chaikin accumulation/distribution line (TA-Lib's AD): the running sum of
/// ((close − low) − (high − close))/(high − low) × volume; a bar with no range adds nothing.
public struct AccumulationDistribution: Sendable {
    public private(set) var value = 0.0
    public init() {}
    public var lookback: Int { 0 }
    public mutating func update(high: Double, low: Double, close: Double, volume: Double) -> Double {
        if high.isNaN || low.isNaN || close.isNaN || volume.isNaN { return .nan }
        let range = high - low
        if range > 0 { value += (((close - low) - (high - close)) / range) * volume }
        return value
    }
}

/// Chaikin oscillator (TA-Lib's ADOSC): EMA(fast) − EMA(slow) of the A/D line.
/// Unlike TA-Lib's EMA, both averages are seeded with the first A/D value, not
/// an SMA, and both run from the first bar; na until the slower one's
/// lookback (max(fast, slow) − 1) has passed.
public struct ChaikinOscillator: Sendable {
    var line = AccumulationDistribution()
    let fastK: Double, slowK: Double
    public let lookback: Int
    var seen = 0
    var fastEMA = 0.0, slowEMA = 0.0

    public init(fast: Int, slow: Int) {
        fastK = 2.0 / Double(fast + 1)
        slowK = 2.0 / Double(slow + 1)
        lookback = max(fast, slow) - 1
    }

    public mutating func update(high: Double, low: Double, close: Double, volume: Double) -> Double {
        let ad = line.update(high: high, low: low, close: close, volume: volume)
        if ad.isNaN { return .nan }
        seen += 1
        if seen == 1 {
            fastEMA = ad
            slowEMA = ad
        } else {
            fastEMA = (fastK * ad) + ((1.0 - fastK) * fastEMA)
            slowEMA = (slowK * ad) + ((1.0 - slowK) * slowEMA)
        }
        return seen > lookback ? fastEMA - slowEMA : .nan
    }
}
