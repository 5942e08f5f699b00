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

    /// `equity`: the value at each bar's close; `inMarket`: bars with a position.
    public static func compute(equity: [Double], times: [Int64], trades: [Trade], fees: Double, inMarket: Int,
                               ambiguousBars: Int, periodsPerYear: Double) -> Metrics {
        let first = equity.first ?? 0, last = equity.last ?? 0
        var returns: [Double] = []
        returns.reserveCapacity(equity.count)
        for i in equity.indices.dropFirst() { returns.append(equity[i - 1] != 0 ? equity[i] / equity[i - 1] - 1 : 0) }
        let n = Double(returns.count)
        let mean = returns.isEmpty ? 0 : returns.reduce(0, +) / n
        let sd = returns.count > 1 ? (returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot() : 0
        let downside = returns.isEmpty ? 0 : (returns.reduce(0) { $0 + min($1, 0) * min($1, 0) } / n).squareRoot()
        let years = n / periodsPerYear
        let ending = first != 0 ? last / first : 0
        let cagr: Double? = years > 0 && ending > 0 ? pow(ending, 1 / years) - 1 : nil

        // Drawdown: the deepest fall from a running peak, and the longest time under one.
        var peak = first, deepest = 0.0, underSince: Int? = nil, longest = 0, longestDays = 0.0
        for (i, e) in equity.enumerated() {
            if e >= peak {
                peak = e
                if let s = underSince {
                    longest = max(longest, i - s)
                    longestDays = max(longestDays, Double(times[i] - times[s]) / 86_400_000)
                }
                underSince = nil
            } else {
                if underSince == nil { underSince = i - 1 }
                deepest = min(deepest, e / peak - 1)
            }
        }
        if let s = underSince, let end = equity.indices.last {
            longest = max(longest, end - s)
            longestDays = max(longestDays, Double(times[end] - times[s]) / 86_400_000)
        }

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
            annualVolatility: returns.count > 1 ? sd * ann.squareRoot() : nil,
            sharpe: sd > 0 ? mean / sd * ann.squareRoot() : nil,
            sortino: downside > 0 ? mean * ann / (downside * ann.squareRoot()) : nil,
            calmar: deepest < 0 ? cagr.map { $0 / -deepest } : nil,
            maxDrawdown: deepest, maxDrawdownBars: longest, maxDrawdownDays: longestDays,
            winRate: closed.isEmpty ? nil : Double(wins.count) / Double(closed.count),
            profitFactor: grossLoss > 0 ? grossWin / grossLoss : nil,
            expectancy: tradeMean,
            averageWin: wins.isEmpty ? nil : grossWin / Double(wins.count),
            averageLoss: losses.isEmpty ? nil : -grossLoss / Double(losses.count),
            exposure: equity.isEmpty ? 0 : Double(inMarket) / Double(equity.count),
            nTrades: closed.count, nOpenTrades: trades.count - closed.count, fees: fees, sqn: sqn,
            periodsPerYear: ann, ambiguousBars: ambiguousBars)
    }
}
