import Foundation
import Testing
@testable import StratEngine

/// The curve's statistics gathered point by point: values worked out by hand,
/// and `repeatLast` the same as adding the points one by one.
@Suite struct CurveStatsTests {
    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000

    @Test func aSmallCurveByHand() {
        // 100 → 110 → 99 → 99 → 121 over two days (hours 0, 1 of day 0; 0, 1, 2 of day 1).
        var c = CurveStats()
        let points: [(Double, Int64)] = [(100, 0), (110, Self.hour), (99, Self.day), (99, Self.day + Self.hour), (121, Self.day + 2 * Self.hour)]
        for (e, t) in points { c.add(e, time: t) }
        // Returns: 0.1, -0.1, 0, 2/9 (99 → 121); one of them 0.
        #expect(c.count == 5)
        let days: [Double] = [110.0 / 100 - 1, 121.0 / 110 - 1]
        #expect(c.dailyReturns == days)
        let m = Metrics.compute(c, trades: [], fees: 0, inMarket: 0, ambiguousBars: 0, periodsPerYear: 4)
        let r: [Double] = [110.0 / 100 - 1, 99.0 / 110 - 1, 0, 121.0 / 99 - 1]
        let mean = r.reduce(0, +) / 4
        let d: [Double] = [r[0] - mean, r[1] - mean, r[3] - mean]
        let squares: Double = d[0] * d[0] + d[1] * d[1] + d[2] * d[2] + mean * mean
        let sharpe: Double = mean / (squares / 3).squareRoot() * 2
        #expect(m.sharpe == sharpe)
        #expect(m.maxDrawdown == 99.0 / 110 - 1)
        // Under the 110 peak from its point (hour 1) to the point that regains it (day 1, hour 2): 3 points, 25 hours.
        #expect(m.maxDrawdownBars == 3)
        #expect(m.maxDrawdownDays == 25.0 / 24)
        #expect(m.totalReturn == 121.0 / 100 - 1)
    }

    @Test func repeatingTheLastPointIsAddingItAgain() {
        // Flat stretches across day boundaries, under water and at a peak, after a loss and a gain.
        let values: [Double] = [100, 104, 104, 104, 97, 97, 97, 97, 103, 103, 110, 110, 110, 0, 0, 5]
        let times = values.indices.map { Int64($0) * 7 * Self.hour }
        var one = CurveStats(), runs = CurveStats()
        for (e, t) in zip(values, times) { one.add(e, time: t) }
        var i = 0
        while i < values.count {
            var j = i + 1
            while j < values.count, values[j] == values[i] { j += 1 }
            runs.add(values[i], time: times[i])
            runs.repeatLast(j - i - 1) { times[i + 1 + $0] }
            i = j
        }
        #expect(runs.count == one.count)
        #expect(runs.dailyReturns == one.dailyReturns)
        let a = Metrics.compute(one, trades: [], fees: 0, inMarket: 0, ambiguousBars: 0, periodsPerYear: 1250)
        let b = Metrics.compute(runs, trades: [], fees: 0, inMarket: 0, ambiguousBars: 0, periodsPerYear: 1250)
        #expect(a == b)
        #expect(a.maxDrawdown == -1)   // to 0 from 110
    }

    /// A stretch of points added at once is what adding them one by one gives.
    @Test func aStretchAtOnceIsPointByPoint() {
        let values: [Double] = [100, 104, 104, 99, 97, 120, 120, 0, 3, 5, 5, 4]
        let times = values.indices.map { Int64($0) * 9 * Self.hour }
        var one = CurveStats(), stretches = CurveStats()
        for (e, t) in zip(values, times) { one.add(e, time: t) }
        stretches.add(1, value: { values[$0] }, time: { times[$0] })
        stretches.add(6, value: { values[1 + $0] }, time: { times[1 + $0] })
        stretches.add(5, value: { values[7 + $0] }, time: { times[7 + $0] })
        #expect(stretches.count == one.count && stretches.dailyReturns == one.dailyReturns)
        #expect(Metrics.compute(one, trades: [], fees: 0, inMarket: 0, ambiguousBars: 0, periodsPerYear: 1250)
                == Metrics.compute(stretches, trades: [], fees: 0, inMarket: 0, ambiguousBars: 0, periodsPerYear: 1250))
    }

    @Test func aCurveThatIsNotFinite() {
        // ∞/∞ is no 0 return: repeating an infinite point adds returns that are na, as adding it does.
        var c = CurveStats(), d = CurveStats()
        c.add(100, time: 0)
        c.add(.infinity, time: Self.hour)
        c.repeatLast(2) { Self.hour * Int64(2 + $0) }
        for (k, e) in [100, Double.infinity, .infinity, .infinity].enumerated() { d.add(e, time: Self.hour * Int64(k)) }
        let m = Metrics.compute(c, trades: [], fees: 0, inMarket: 0, ambiguousBars: 0, periodsPerYear: 1)
        #expect("\(m)" == "\(Metrics.compute(d, trades: [], fees: 0, inMarket: 0, ambiguousBars: 0, periodsPerYear: 1))")
        #expect(m.sharpe == nil && m.finalEquity == .infinity)
    }
}
