import Foundation

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
    /// (Inlinable, with the passes over the curve: the callers' closures are
    /// then inlined into loops that run over every bar of every run.)
    @inlinable
    public static func compute(_ count: Int, equity: (Int) -> Double, time: (Int) -> Int64, trades: [Trade], fees: Double,
                               inMarket: Int, ambiguousBars: Int, periodsPerYear: Double) -> Metrics {
        make(Curve(count, equity: equity, time: time, periodsPerYear: periodsPerYear), count: count, trades: trades, fees: fees,
             inMarket: inMarket, ambiguousBars: ambiguousBars, periodsPerYear: periodsPerYear)
    }

    /// What the equity curve gives: its ends, returns' moments, drawdowns.
    @usableFromInline
    struct Curve {
        @usableFromInline var first = 0.0, last = 0.0, mean = 0.0, sd = 0.0, downside = 0.0, cagr: Double?
        @usableFromInline var returnCount = 0, deepest = 0.0, longest = 0, longestDays = 0.0

        @inlinable
        init(_ count: Int, equity: (Int) -> Double, time: (Int) -> Int64, periodsPerYear: Double) {
            first = count > 0 ? equity(0) : 0
            last = count > 0 ? equity(count - 1) : 0
            returnCount = max(0, count - 1)
            let n = Double(returnCount)
            // Two passes over the curve (a million bars): the returns' sums with the
            // drawdowns, then the squared deviations. Returns are recomputed, not stored.
            var sum = 0.0, downsideSquares = 0.0
            // Drawdown: the deepest fall from a running peak, and the longest time under one.
            var peak = first, underSince: Int? = nil, previous = first
            for i in 0..<count {
                let e = equity(i)
                if i > 0 {
                    let x = previous != 0 ? e / previous - 1 : 0
                    sum += x
                    downsideSquares += min(x, 0) * min(x, 0)
                }
                previous = e
                if e >= peak {
                    peak = e
                    if let s = underSince {
                        longest = max(longest, i - s)
                        longestDays = max(longestDays, Double(time(i) - time(s)) / 86_400_000)
                    }
                    underSince = nil
                } else {
                    if underSince == nil { underSince = i - 1 }
                    deepest = min(deepest, e / peak - 1)
                }
            }
            mean = returnCount == 0 ? 0 : sum / n
            var squares = 0.0
            previous = first
            for i in stride(from: 1, to: count, by: 1) {
                let e = equity(i)
                let d = (previous != 0 ? e / previous - 1 : 0) - mean
                squares += d * d
                previous = e
            }
            sd = returnCount > 1 ? (squares / (n - 1)).squareRoot() : 0
            downside = returnCount == 0 ? 0 : (downsideSquares / n).squareRoot()
            let years = n / periodsPerYear
            let ending = first != 0 ? last / first : 0
            cagr = years > 0 && ending > 0 ? pow(ending, 1 / years) - 1 : nil
            if let s = underSince, count > 0 {
                let end = count - 1
                longest = max(longest, end - s)
                longestDays = max(longestDays, Double(time(end) - time(s)) / 86_400_000)
            }
        }
    }

    @usableFromInline
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
