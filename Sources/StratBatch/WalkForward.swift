import Foundation
import StratBacktest
import StratEngine
import StratMarket

/// `--walk-forward TRAIN/TEST`: optimise on each training window, then run
/// the chosen point on the test window after it. Rolling windows move by the
/// test length; anchored ones all start at the first bar and grow.
public struct WalkForward: Sendable, Equatable {
    /// A window's length: a duration, or a number of bars.
    public enum Span: Sendable, Equatable {
        case time(Int64)
        case bars(Int)
    }

    public var train: Span
    public var test: Span
    public var anchored: Bool

    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// `180d/30d` (durations: s, m, h, d, w) or `500/100` (bars); both the same kind.
    public init(parsing text: String, anchored: Bool) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        func span(_ t: String) -> Span? {
            if let n = Int(t), n > 0 { return .bars(n) }
            if let s = DurationText.seconds(t), s >= 1, s <= 1e11 { return .time(Int64(s * 1000)) }
            return nil
        }
        guard parts.count == 2, let train = span(parts[0]), let test = span(parts[1]) else {
            throw Error(description: "--walk-forward takes TRAIN/TEST, as durations (180d/30d) or bar counts (500/100), got `\(text)`")
        }
        switch (train, test) {
        case (.time, .time), (.bars, .bars): break
        default: throw Error(description: "--walk-forward \(text): give both lengths as durations or both as bar counts")
        }
        self.train = train
        self.test = test
        self.anchored = anchored
    }

    /// The most windows a walk-forward may have (each runs every point).
    public static let maxWindows = 10_000

    /// One window: training bars open in [trainFrom, trainTo), test bars in [testFrom, testTo).
    public struct Window: Sendable, Equatable {
        public var trainFrom: Int64, trainTo: Int64, testFrom: Int64, testTo: Int64
        public init(trainFrom: Int64, trainTo: Int64, testFrom: Int64, testTo: Int64) {
            (self.trainFrom, self.trainTo, self.testFrom, self.testTo) = (trainFrom, trainTo, testFrom, testTo)
        }
    }

    /// The windows over bars opening at `times` (ascending): as many as have a
    /// whole training window and at least one test bar (the last test window
    /// may be cut short by the end of the data).
    public func windows(_ times: [Int64]) throws -> [Window] {
        guard let first = times.first, let last = times.last else { return [] }
        var out: [Window] = []
        switch (train, test) {
        case let (.bars(t), .bars(s)):
            var start = 0
            while start + t < times.count {
                let from = anchored ? 0 : start
                let testEnd = start + t + s
                out.append(Window(trainFrom: times[from], trainTo: times[start + t], testFrom: times[start + t],
                                  testTo: testEnd < times.count ? times[testEnd] : last + 1))
                start += s
                if out.count > Self.maxWindows { break }
            }
        case let (.time(t), .time(s)):
            // Windows over a gap in the data (no training or no test bar) are left out.
            func any(_ from: Int64, _ to: Int64) -> Bool {
                let i = times.partitioningIndex { $0 >= from }
                return i < times.count && times[i] < to
            }
            var k: Int64 = 0
            while true {
                let trainTo = first + t + k * s, trainFrom = anchored ? first : first + k * s
                guard trainTo <= last else { break }
                if any(trainFrom, trainTo), any(trainTo, trainTo + s) {
                    out.append(Window(trainFrom: trainFrom, trainTo: trainTo, testFrom: trainTo, testTo: trainTo + s))
                }
                k += 1
                guard out.count <= Self.maxWindows, k <= 100 * Self.maxWindows else { break }
            }
        default: break
        }
        guard out.count <= Self.maxWindows else {
            throw Error(description: "--walk-forward: more than \(Self.maxWindows) windows; give a longer test length")
        }
        guard !out.isEmpty else {
            throw Error(description: "--walk-forward: the data (\(times.count) bars, \(UTCTime.format(first)) … \(UTCTime.format(last))) is shorter than one training window and a test bar")
        }
        return out
    }
}

/// A walk-forward's result: each window's choice and out-of-sample run, and
/// the out-of-sample runs chained into one equity curve.
public struct WalkForwardReport: Sendable {
    public struct Row: Sendable {
        public var window: WalkForward.Window
        /// The training run of the chosen point, and the test run.
        public var chosen: PointResult
        public var test: PointResult
        /// Years each window spans, for annualising.
        public var trainYears: Double
        public var testYears: Double
        public init(window: WalkForward.Window, chosen: PointResult, test: PointResult, trainYears: Double, testYears: Double) {
            self.window = window
            self.chosen = chosen
            self.test = test
            self.trainYears = trainYears
            self.testYears = testYears
        }
    }

    public var objective: Objective
    public var rows: [Row]
    /// The test runs' equity chained: each window starts where the last ended.
    public var equity: [EquityPoint]
    public var metrics: Metrics
    /// Annualised returns in and out of sample (chained over the windows) and
    /// their ratio, the walk-forward efficiency (nil unless in-sample is positive).
    public var inSampleAnnualReturn: Double
    public var outOfSampleAnnualReturn: Double
    public var efficiency: Double?

    /// `tests`: the test runs' results (with their equity curves and trades).
    public init(objective: Objective, rows: [Row], tests: [BacktestResult], capital: Double, periodsPerYear: Double) {
        self.objective = objective
        self.rows = rows
        var chained: [EquityPoint] = []
        var scale = 1.0
        for t in tests {
            for e in t.equity { chained.append(EquityPoint(time: e.time, equity: e.equity * scale, cash: e.cash * scale)) }
            if let end = t.equity.last { scale *= end.equity / capital }
        }
        equity = chained
        let trades = tests.flatMap(\.trades)
        metrics = Metrics.compute(chained.count, equity: { chained[$0].equity }, time: { chained[$0].time }, trades: trades,
                                  fees: tests.reduce(0) { $0 + $1.metrics.fees },
                                  inMarket: Int(tests.reduce(0.0) { $0 + $1.metrics.exposure * Double($1.equity.count) }.rounded()),
                                  ambiguousBars: tests.reduce(0) { $0 + $1.metrics.ambiguousBars }, periodsPerYear: periodsPerYear)
        func annual(_ pairs: [(Double, Double)]) -> Double {
            let growth = pairs.reduce(1.0) { $0 * (1 + $1.0) }, years = pairs.reduce(0.0) { $0 + $1.1 }
            return years > 0 && growth > 0 ? pow(growth, 1 / years) - 1 : growth > 0 ? 0 : -1
        }
        inSampleAnnualReturn = annual(rows.map { ($0.chosen.totalReturn, $0.trainYears) })
        outOfSampleAnnualReturn = annual(rows.map { ($0.test.totalReturn, $0.testYears) })
        efficiency = inSampleAnnualReturn > 0 ? outOfSampleAnnualReturn / inSampleAnnualReturn : nil
    }

    public static let columns = ["window", "train_from", "train_to", "test_from", "test_to", "chosen", "in_sample_objective",
                                 "in_sample_return", "test_return", "test_sharpe", "test_max_drawdown", "test_trades", "test_final_equity"]

    func cells(_ i: Int, _ r: Row) -> [String] {
        [String(i + 1), UTCTime.format(r.window.trainFrom), UTCTime.format(r.window.trainTo), UTCTime.format(r.window.testFrom),
         UTCTime.format(r.window.testTo), r.chosen.point.label, BatchReport.number(objective.value(r.chosen)),
         BatchReport.number(r.chosen.totalReturn), BatchReport.number(r.test.totalReturn), BatchReport.number(r.test.sharpe),
         BatchReport.number(r.test.maxDrawdown), String(r.test.trades), BatchReport.number(r.test.finalEquity)]
    }

    /// One row per window.
    public func csv() -> String {
        Self.columns.joined(separator: ",") + "\n" + rows.enumerated().map { i, r in cells(i, r).map(BatchReport.csvField).joined(separator: ",") }
            .joined(separator: "\n") + "\n"
    }

    /// `strategy`: its name, appended with the `kind` for `strat report`.
    public func json(strategy: String? = nil) -> String {
        let str = BatchReport.jsonString, num = BatchReport.jsonNumber
        var s = "{\n  \"objective\": \(str(objective.rawValue)),\n  \"windows\": ["
        for (i, r) in rows.enumerated() {
            s += (i == 0 ? "\n" : ",\n") + "    {"
            s += zip(Self.columns, cells(i, r)).map { k, v in
                let numeric = !["train_from", "train_to", "test_from", "test_to", "chosen"].contains(k)
                return "\(str(k)): \(numeric ? (v.isEmpty ? "null" : v) : str(v))"
            }.joined(separator: ", ")
            s += ", \"inputs\": {" + r.chosen.point.inputs.map { "\(str($0.name)): \(str($0.value))" }.joined(separator: ", ") + "}}"
        }
        s += "\n  ],\n  \"out_of_sample\": {\"final_equity\": \(num(metrics.finalEquity)), \"total_return\": \(num(metrics.totalReturn)), "
        s += "\"cagr\": \(num(metrics.cagr)), \"sharpe\": \(num(metrics.sharpe)), \"max_drawdown\": \(num(metrics.maxDrawdown)), "
        s += "\"trades\": \(metrics.nTrades)},\n"
        s += "  \"in_sample_annual_return\": \(num(inSampleAnnualReturn)),\n  \"out_of_sample_annual_return\": \(num(outOfSampleAnnualReturn)),\n"
        s += "  \"walk_forward_efficiency\": \(num(efficiency)),\n"
        s += "  \"equity\": [" + equity.map { "[\($0.time), \(num($0.equity))]" }.joined(separator: ", ") + "],\n"
        s += "  \"kind\": \"walk_forward\"" + (strategy.map { ",\n  \"strategy\": \(str($0))" } ?? "") + "\n}\n"
        return s
    }

    /// The windows and the out-of-sample totals, for people.
    public func text() -> String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.2f%%", $0 * 100) } ?? "—" }
        var lines = [["#", "train", "test", "chosen", objective.rawValue, "test return", "test trades"]]
        for (i, r) in rows.enumerated() {
            lines.append(["\(i + 1)", "\(UTCTime.format(r.window.trainFrom).prefix(10)) … \(UTCTime.format(r.window.trainTo).prefix(10))",
                          "\(UTCTime.format(r.window.testFrom).prefix(10)) … \(UTCTime.format(r.window.testTo).prefix(10))",
                          r.chosen.point.label, objective.value(r.chosen).map { String(format: "%.3f", $0) } ?? "—",
                          pct(r.test.totalReturn), "\(r.test.trades)"])
        }
        let widths = lines[0].indices.map { c in lines.map { $0[c].count }.max() ?? 0 }
        var s = lines.map { $0.enumerated().map { c, v in v + String(repeating: " ", count: widths[c] - v.count) }.joined(separator: "  ") }
            .joined(separator: "\n") + "\n"
        s += "Out of sample       \(String(format: "%.2f", metrics.finalEquity)) (\(pct(metrics.totalReturn))), Sharpe "
            + (metrics.sharpe.map { String(format: "%.3f", $0) } ?? "—") + ", max drawdown \(pct(metrics.maxDrawdown)), \(metrics.nTrades) trades\n"
        s += "Annual return       in sample \(pct(inSampleAnnualReturn)), out of sample \(pct(outOfSampleAnnualReturn))\n"
        s += "Walk-forward efficiency " + (efficiency.map { String(format: "%.2f", $0) } ?? "— (the in-sample return is not positive)") + "\n"
        return s
    }
}
