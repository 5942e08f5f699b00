import StratIR
import StratMarket

/// What the HTML report draws of the bars and the `let` series, made during
/// the run at a fixed resolution so a million bars cost a few thousand points:
/// a symbol with at most `columns` bars keeps every bar; a longer one is cut
/// into `columns` equal spans of time, each kept as one bar (open, high, low,
/// close of the span: the min/max per pixel column that draws the range without
/// losing a spike) and each series as its low, high and last value there.
///
///     let chart = result.chart
///     chart.prices[0].points.count   // ≤ ChartData.columns
public struct ChartData: Sendable, Equatable {
    public static let columns = 1000
    public var prices: [Prices]
    public var series: [Series]

    public struct Prices: Sendable, Equatable {
        public var symbol: String
        /// Whether a point stands for several bars (else each is one bar).
        public var aggregated: Bool
        public var points: [Bar]
        public init(symbol: String, aggregated: Bool, points: [Bar]) {
            self.symbol = symbol
            self.aggregated = aggregated
            self.points = points
        }
    }

    /// A numeric `let` of one symbol, in the same spans as its prices.
    public struct Series: Sendable, Equatable {
        public var name: String
        public var symbol: String
        /// The let's dimension (`Price` ones are drawn over the price).
        public var dimension: String
        public var points: [Point]
        public init(name: String, symbol: String, dimension: String, points: [Point]) {
            self.name = name
            self.symbol = symbol
            self.dimension = dimension
            self.points = points
        }
    }

    public struct Point: Sendable, Equatable {
        /// The span's first bar time.
        public var time: Int64
        public var low: Double
        public var high: Double
        public var last: Double
        public init(time: Int64, low: Double, high: Double, last: Double) {
            self.time = time
            self.low = low
            self.high = high
            self.last = last
        }
    }

    public init(prices: [Prices], series: [Series]) {
        self.prices = prices
        self.series = series
    }
}

/// Fills a `ChartData` bar by bar (one call per symbol per bar, in time order).
struct ChartRecorder {
    var data: ChartData
    let start: Int64, span: Int64
    /// Per symbol (data index): the bucket of its last point; per series likewise.
    var priceBucket: [Int64]
    var seriesBucket: [Int64]
    /// The series of each symbol: (index in data.series, node).
    var lets: [[(index: Int, node: Int)]]

    init(series bars: [BarSeries], strategy: IRStrategy, instanceOf: [Int?]) {
        let first = bars.compactMap { $0.bars.first?.time }.min() ?? 0
        let last = bars.compactMap { $0.bars.last?.time }.max() ?? 0
        start = first
        span = max(1, last - first + 1)
        var prices: [ChartData.Prices] = [], all: [ChartData.Series] = []
        lets = []
        for (d, s) in bars.enumerated() {
            prices.append(.init(symbol: s.symbol, aggregated: s.bars.count > ChartData.columns, points: []))
            var mine: [(Int, Int)] = []
            if instanceOf[d] != nil {
                for l in strategy.lets {
                    let t = strategy.nodes[l.node].type
                    guard t.qualifier == "series", t.dim != "Bool", t.dim != "Tuple" else { continue }
                    mine.append((all.count, l.node))
                    all.append(.init(name: l.name, symbol: s.symbol, dimension: t.dim, points: []))
                }
            }
            lets.append(mine)
        }
        data = ChartData(prices: prices, series: all)
        priceBucket = bars.map { _ in .min }
        seriesBucket = all.map { _ in .min }
    }

    /// Bar `row` of symbol `d`; `value` reads a node of its instance.
    mutating func record(_ d: Int, _ bar: Bar, row: Int, value: (Int) -> Double) {
        let bucket = data.prices[d].aggregated
            ? Int64((Double(bar.time - start) / Double(span) * Double(ChartData.columns)).rounded(.down)) : Int64(row)
        if bucket != priceBucket[d] {
            priceBucket[d] = bucket
            data.prices[d].points.append(bar)
        } else {
            let k = data.prices[d].points.count - 1
            data.prices[d].points[k].high = max(data.prices[d].points[k].high, bar.high)
            data.prices[d].points[k].low = min(data.prices[d].points[k].low, bar.low)
            data.prices[d].points[k].close = bar.close
            data.prices[d].points[k].volume += bar.volume
        }
        for (i, node) in lets[d] {
            let v = value(node)
            guard v.isFinite else { continue }
            if bucket != seriesBucket[i] {
                seriesBucket[i] = bucket
                data.series[i].points.append(.init(time: bar.time, low: v, high: v, last: v))
            } else {
                let k = data.series[i].points.count - 1
                data.series[i].points[k].low = min(data.series[i].points[k].low, v)
                data.series[i].points[k].high = max(data.series[i].points[k].high, v)
                data.series[i].points[k].last = v
            }
        }
    }
}
