/// One OHLCV bar. `time` is the bar's open time in milliseconds since the Unix
/// epoch (UTC).
public struct Bar: Sendable, Equatable {
    public var time: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double

    public init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.time = time
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }
}

/// Bars of one symbol in time order, with where each came from (for error messages).
public struct BarSeries: Sendable, Equatable {
    public var symbol: String
    public var bars: [Bar]
    /// Half the bid–ask spread as a fraction of the mid price, per bar, when the
    /// data has `bid` and `ask` columns.
    public var halfSpreads: [Double]?
    /// `BarLength.of(bars)`, when it has been found already; set it only to that
    /// (or with `measured()`, which also finds the bars' ends).
    public var knownLength: BarLength?
    /// `barEnds(knownLength)`, when found already (`measured()`).
    public var knownEnds: [Int64]?

    public init(symbol: String, bars: [Bar], halfSpreads: [Double]? = nil) {
        self.symbol = symbol
        self.bars = bars
        self.halfSpreads = halfSpreads
    }

    /// The bars that open in [from, to), with their spreads.
    public func window(from: Int64, to: Int64) -> BarSeries {
        let lo = bars.partitioningIndex { $0.time >= from }, hi = bars.partitioningIndex { $0.time >= to }
        let range = lo..<max(lo, hi)
        return BarSeries(symbol: symbol, bars: Array(bars[range]), halfSpreads: halfSpreads.map { Array($0[range]) })
    }

    /// The line of bar `index` in the CSV it was read from (every row is a bar;
    /// the header is line 1).
    public static func csvLine(ofBar index: Int) -> Int { index + 2 }

    /// The bar interval in milliseconds: the most common gap between consecutive
    /// bars (so weekend and holiday gaps do not count); nil with fewer than two bars.
    public var interval: Int64? {
        guard bars.count >= 2 else { return nil }
        var counts: [Int64: Int] = [:]
        for i in 1..<min(bars.count, 10_000) { counts[bars[i].time - bars[i - 1].time, default: 0] += 1 }
        return counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key
    }
}

extension RandomAccessCollection where Index == Int {
    /// The first index whose element satisfies `p` (else `endIndex`), for `p`
    /// false then true along the collection (a bisection). (Inlinable: backtests
    /// bisect bar buffers and index ranges with it.)
    @inlinable
    public func partitioningIndex(where p: (Element) -> Bool) -> Int {
        var lo = startIndex, hi = endIndex
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if p(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
