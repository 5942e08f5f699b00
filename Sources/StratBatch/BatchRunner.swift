import Foundation
import StratBacktest
import StratEngine
import StratMarket

/// What a batch keeps of one point's run: its metrics and its returns per
/// period (for the overfitting guards); the equity curve only when asked.
public struct PointResult: Sendable, Codable {
    public var point: Point
    public var finalEquity: Double
    public var totalReturn: Double
    public var cagr: Double?
    public var sharpe: Double?
    public var sortino: Double?
    public var calmar: Double?
    public var maxDrawdown: Double
    public var trades: Int
    public var winRate: Double?
    public var profitFactor: Double?
    public var exposure: Double
    /// Simple returns per UTC day that has a bar (per bar when bars are a day or
    /// longer), the first against the initial equity.
    public var returns: [Double]
    public var equity: [EquityPoint]?
    /// The run's warnings (data and configuration; the same for most points).
    public var warnings: [String]

    // The equity curve (kept only when asked) is not cached.
    enum CodingKeys: String, CodingKey {
        case point, finalEquity, totalReturn, cagr, sharpe, sortino, calmar, maxDrawdown, trades, winRate, profitFactor, exposure, returns, warnings
    }

    public init(point: Point, result r: BacktestResult, keepEquity: Bool) {
        self.point = point
        let m = r.metrics
        finalEquity = m.finalEquity
        totalReturn = m.totalReturn
        cagr = m.cagr
        sharpe = m.sharpe
        sortino = m.sortino
        calmar = m.calmar
        maxDrawdown = m.maxDrawdown
        trades = m.nTrades
        winRate = m.winRate
        profitFactor = m.profitFactor
        exposure = m.exposure
        returns = r.dailyReturns
        equity = keepEquity ? r.equity : nil
        warnings = r.warnings
    }
}

/// What a sweep ranks its points by; higher is better (drawdowns are
/// negative, so the shallowest ranks first). Points without a value rank last.
public enum Objective: String, CaseIterable, Sendable {
    case sharpe, sortino, calmar, cagr
    case totalReturn = "total_return", finalEquity = "final_equity", profitFactor = "profit_factor"
    case winRate = "win_rate", maxDrawdown = "max_drawdown", trades, exposure

    public func value(_ r: PointResult) -> Double? {
        switch self {
        case .sharpe: r.sharpe
        case .sortino: r.sortino
        case .calmar: r.calmar
        case .cagr: r.cagr
        case .totalReturn: r.totalReturn
        case .finalEquity: r.finalEquity
        case .profitFactor: r.profitFactor
        case .winRate: r.winRate
        case .maxDrawdown: r.maxDrawdown
        case .trades: Double(r.trades)
        case .exposure: r.exposure
        }
    }

    /// Indices of `results` best first; ties (and points without a value) keep
    /// the points' order, so the ranking never depends on how the work was split.
    public func ranking(_ results: [PointResult]) -> [Int] {
        results.indices.sorted { a, b in
            switch (value(results[a]).flatMap { $0.isNaN ? nil : $0 }, value(results[b]).flatMap { $0.isNaN ? nil : $0 }) {
            case let (x?, y?): x != y ? x > y : a < b
            case (_?, nil): true
            case (nil, _?): false
            case (nil, nil): a < b
            }
        }
    }
}

/// Runs the points of a batch on `jobs` threads. Each point is an independent
/// run over the shared, read-only bars; results land at their point's index,
/// so they do not depend on the number of jobs or the order of completion.
public final class BatchRunner: @unchecked Sendable {
    public let jobs: Int
    let lock = NSLock()
    var next = 0
    var done = 0
    var failure: (any Error)?
    /// Set (from a signal handler's queue) to stop taking new points.
    public let stop = StopFlag()

    public init(jobs: Int) { self.jobs = max(1, jobs) }

    /// `body(i)` for i in 0..<count; nil where the batch stopped before point i.
    /// `progress(done)` is called after each point, under no lock.
    public func run(_ count: Int, progress: @escaping @Sendable (Int) -> Void = { _ in },
                    _ body: @escaping @Sendable (Int) throws -> PointResult) throws -> [PointResult?] {
        nonisolated(unsafe) var results = [PointResult?](repeating: nil, count: count)
        lock.lock()
        (next, done, failure) = (0, 0, nil)
        lock.unlock()
        let group = DispatchGroup()
        for _ in 0..<min(jobs, max(1, count)) {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while true {
                    lock.lock()
                    guard failure == nil, !stop.isSet, next < count else { lock.unlock(); return }
                    let i = next
                    next += 1
                    lock.unlock()
                    do {
                        let r = try body(i)
                        lock.lock()
                        results[i] = r
                        done += 1
                        let n = done
                        lock.unlock()
                        progress(n)
                    } catch {
                        lock.lock()
                        if failure == nil { failure = error }
                        lock.unlock()
                        return
                    }
                }
            }
            thread.stackSize = 8 << 20     // the runtime and indicators recurse little, but deep strategies do
            thread.start()
        }
        group.wait()
        if let failure { throw failure }
        return results
    }
}

/// A flag one thread sets and others read.
public final class StopFlag: @unchecked Sendable {
    let lock = NSLock()
    var value = false
    public init() {}
    public func set() { lock.lock(); value = true; lock.unlock() }
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
