import Foundation
import StratMarket

/// Performance metrics, following empyrical's definitions (Docs/Metrics.md).
/// A metric that is undefined (no losing trade for a profit factor, a flat
/// equity curve for Sharpe) is nil, written as null in JSON.
public struct Metrics: Codable, Sendable, Equatable {
    public var initialEquity: Double
    public var finalEquity: Double
    public var totalReturn: Double
    public var cagr: Double?
    public var annualVolatility: Double?
    public var sharpe: Double?
    public var sortino: Double?
    public var calmar: Double?
    public var maxDrawdown: Double
    /// Longest stretch below a previous peak, in bars and in days.
    public var maxDrawdownBars: Int
    public var maxDrawdownDays: Double
    public var winRate: Double?
    public var profitFactor: Double?
    public var expectancy: Double?
    public var averageWin: Double?
    public var averageLoss: Double?
    public var exposure: Double
    public var nTrades: Int
    public var nOpenTrades: Int
    public var fees: Double
    public var sqn: Double?
    public var periodsPerYear: Double
    public var ambiguousBars: Int

    /// `equity`: the value at each bar's close, with its time; `inMarket`: bars with a position.
    public static func compute(_ count: Int, equity: (Int) -> Double, time: (Int) -> Int64, trades: [Trade], fees: Double,
                               inMarket: Int, ambiguousBars: Int, periodsPerYear: Double) -> Metrics {
        var curve = CurveStats(points: count)
        curve.add(count, value: equity, time: time)
        return compute(curve, trades: trades, fees: fees, inMarket: inMarket, ambiguousBars: ambiguousBars, periodsPerYear: periodsPerYear)
    }

    /// The metrics of a curve gathered point by point (`CurveStats`).
    public static func compute(_ c: CurveStats, trades: [Trade], fees: Double, inMarket: Int, ambiguousBars: Int,
                               periodsPerYear: Double) -> Metrics {
        make(c.moments(periodsPerYear: periodsPerYear), count: c.count, trades: trades, fees: fees, inMarket: inMarket,
             ambiguousBars: ambiguousBars, periodsPerYear: periodsPerYear)
    }

    /// What the equity curve gives: its ends, returns' moments, drawdowns.
    struct Curve {
        var first = 0.0, last = 0.0, mean = 0.0, sd = 0.0, downside = 0.0, cagr: Double?
        var returnCount = 0, deepest = 0.0, longest = 0, longestDays = 0.0
    }

    static func make(_ c: Curve, count: Int, trades: [Trade], fees: Double, inMarket: Int, ambiguousBars: Int,
                     periodsPerYear: Double) -> Metrics {
        let (first, last, mean, sd, downside, cagr) = (c.first, c.last, c.mean, c.sd, c.downside, c.cagr)
        let (returnCount, deepest, longest, longestDays) = (c.returnCount, c.deepest, c.longest, c.longestDays)
        let closed = trades.compactMap(\.pnl)
        let wins = closed.filter { $0 > 0 }, losses = closed.filter { $0 < 0 }
        let grossWin = wins.reduce(0, +), grossLoss = -losses.reduce(0, +)
        let tradeMean = closed.isEmpty ? nil : closed.reduce(0, +) / Double(closed.count)
        var sqn: Double?
        if closed.count > 1, let m = tradeMean {
            let v = closed.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(closed.count - 1)
            if v > 0 { sqn = Double(closed.count).squareRoot() * m / v.squareRoot() }
        }
        let ann = periodsPerYear
        return Metrics(
            initialEquity: first, finalEquity: last, totalReturn: first != 0 ? last / first - 1 : 0,
            cagr: cagr,
            annualVolatility: returnCount > 1 ? sd * ann.squareRoot() : nil,
            sharpe: sd > 0 ? mean / sd * ann.squareRoot() : nil,
            sortino: downside > 0 ? mean * ann / (downside * ann.squareRoot()) : nil,
            calmar: deepest < 0 ? cagr.map { $0 / -deepest } : nil,
            maxDrawdown: deepest, maxDrawdownBars: longest, maxDrawdownDays: longestDays,
            winRate: closed.isEmpty ? nil : Double(wins.count) / Double(closed.count),
            profitFactor: grossLoss > 0 ? grossWin / grossLoss : nil,
            expectancy: tradeMean,
            averageWin: wins.isEmpty ? nil : grossWin / Double(wins.count),
            averageLoss: losses.isEmpty ? nil : -grossLoss / Double(losses.count),
            exposure: count == 0 ? 0 : Double(inMarket) / Double(count),
            nTrades: closed.count, nOpenTrades: trades.count - closed.count, fees: fees, sqn: sqn,
            periodsPerYear: ann, ambiguousBars: ambiguousBars)
    }
}

/// An equity curve's statistics, gathered point by point while a run goes, so
/// that a run need not keep its curve (a batch's points do not): its ends, the
/// returns' sums, the drawdowns, and the returns per UTC day. A return of
/// exactly 0 (a bar without a position) is only counted: in a sweep most bars
/// are such, and the squared deviations take them in at once.
public struct CurveStats: Sendable {
    /// Points so far.
    public var count: Int { points }
    @usableFromInline var points = 0
    @usableFromInline var first = 0.0, last = 0.0, lastTime: Int64 = 0
    @usableFromInline var sum = 0.0, downsideSquares = 0.0
    /// The returns that are not 0, in order, and how many were 0.
    @usableFromInline var moves: [Double] = []
    @usableFromInline var zeros = 0
    // Drawdown: the deepest fall from a running peak, and the longest time under one.
    @usableFromInline var peak = 0.0, deepest = 0.0, longest = 0, longestDays = 0.0
    @usableFromInline var underSince: (index: Int, time: Int64)?
    /// The lowest equity since the curve fell below its (positive) peak.
    @usableFromInline var trough = Double.infinity
    /// Closed days' returns; the day in progress began at `dayStart` (the
    /// equity at the last day's close, the first point at first) and ends
    /// before `nextDay`.
    @usableFromInline var closedDays: [Double] = []
    @usableFromInline var dayStart = 0.0, nextDay = Int64.min

    /// `points`: about how many points will come (room for the returns is made once).
    public init(points: Int = 0) { moves.reserveCapacity(points) }

    /// The next point of the curve: the equity at a bar's close, labelled with the bar's time.
    @inlinable @inline(__always)
    public mutating func add(_ e: Double, time: Int64) {
        var held: [Double] = []
        swap(&held, &moves)
        add(e, time: time, moves: &held)
        swap(&held, &moves)
    }

    /// `k` points, `value(j)` at `time(j)`: what `add` does k times. (The
    /// returns go to a local array: appending to a stored one asks on every
    /// point whether its storage is shared.)
    @inlinable @inline(__always)
    public mutating func add(_ k: Int, value: (Int) -> Double, time: (Int) -> Int64) {
        var held: [Double] = []
        swap(&held, &moves)
        held.reserveCapacity(held.count + k)
        for j in 0..<k { add(value(j), time: time(j), moves: &held) }
        swap(&held, &moves)
    }

    @inlinable @inline(__always)
    mutating func add(_ e: Double, time: Int64, moves: inout [Double]) {
        if count == 0 {
            (first, peak, dayStart) = (e, e, e)
        } else {
            let x = last != 0 ? e / last - 1 : 0
            if x != 0 {
                sum += x
                downsideSquares += min(x, 0) * min(x, 0)
                moves.append(x)
            } else {
                zeros += 1
            }
        }
        if time >= nextDay { newDay(time) }
        if e >= peak {
            if let s = underSince {
                foldTrough()
                longest = max(longest, count - s.index)
                longestDays = max(longestDays, Double(time - s.time) / 86_400_000)
            }
            underSince = nil
            peak = e
        } else {
            if underSince == nil { (underSince, trough) = ((count - 1, lastTime), .infinity) }
            // Below a positive peak the deepest point is the lowest equity (dividing
            // by the peak keeps the order, rounding too): divided once, when the
            // curve is back or ends.
            if peak > 0 { if e < trough { trough = e } } else { deepest = min(deepest, e / peak - 1) }
        }
        (last, lastTime) = (e, time)
        points += 1
    }

    /// `k` more points of the last point's value, at `time(0)`, … `time(k - 1)`
    /// (ascending): what `add` does k times (nothing but counting, and the days
    /// that end among them).
    @inlinable
    public mutating func repeatLast(_ k: Int, time: (Int) -> Int64) {
        guard k > 0, count > 0 else { return }
        guard last.isFinite else {
            for j in 0..<k { add(last, time: time(j)) }   // (∞/∞ is no 0 return)
            return
        }
        var j = 0
        while j < k, time(k - 1) >= nextDay {
            // The next point of a new day, by bisection (no other point is read).
            let day = nextDay
            j = (j..<k).partitioningIndex { time($0) >= day }
            newDay(time(j))
            j += 1
        }
        zeros += k
        points += k
        lastTime = time(k - 1)
    }

    @usableFromInline
    mutating func foldTrough() {
        if trough < .infinity { deepest = min(deepest, trough / peak - 1) }
        trough = .infinity
    }

    /// A point at `time` opens a new UTC day: the last point closed the one before.
    @usableFromInline
    mutating func newDay(_ time: Int64) {
        if count > 0 {
            closedDays.append(dayStart != 0 ? last / dayStart - 1 : 0)
            dayStart = last
        }
        nextDay = (UTCTime.day(time) + 1) * 86_400_000
    }

    /// Simple returns per UTC day that has a point, the first against the first point.
    public var dailyReturns: [Double] { count == 0 ? [] : closedDays + [dayStart != 0 ? last / dayStart - 1 : 0] }

    func moments(periodsPerYear: Double) -> Metrics.Curve {
        var s = self
        s.foldTrough()
        return s.finished(periodsPerYear: periodsPerYear)
    }

    private func finished(periodsPerYear: Double) -> Metrics.Curve {
        var c = Metrics.Curve()
        (c.first, c.last) = count > 0 ? (first, last) : (0, 0)
        c.returnCount = max(0, count - 1)
        let n = Double(c.returnCount)
        c.mean = c.returnCount == 0 ? 0 : sum / n
        var squares = 0.0
        for x in moves { let d = x - c.mean; squares += d * d }
        squares += Double(zeros) * (c.mean * c.mean)
        c.sd = c.returnCount > 1 ? (squares / (n - 1)).squareRoot() : 0
        c.downside = c.returnCount == 0 ? 0 : (downsideSquares / n).squareRoot()
        let years = n / periodsPerYear
        let ending = first != 0 ? last / first : 0
        c.cagr = years > 0 && ending > 0 ? pow(ending, 1 / years) - 1 : nil
        (c.deepest, c.longest, c.longestDays) = (deepest, longest, longestDays)
        if let s = underSince, count > 0 {
            c.longest = max(c.longest, count - 1 - s.index)
            c.longestDays = max(c.longestDays, Double(lastTime - s.time) / 86_400_000)
        }
        return c
    }
}
