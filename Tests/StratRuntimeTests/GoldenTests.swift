import Foundation
import StratIR
import StratMarket
import StratRuntime
import Testing

/// Every indicator against reference values: TA-Lib where it has the indicator,
/// definitions computed independently in Python otherwise (Data/golden/make_golden.py).
@Suite struct GoldenTests {
    static let datasets = [("GOOG.csv", "goog_indicators.csv"), ("EURUSD.csv", "eurusd_indicators.csv")]

    @Test(arguments: datasets)
    func indicatorsMatchReference(_ data: String, _ golden: String) throws {
        let series = try loadBars(data)
        let table = try GoldenTable(golden)
        #expect(table.columns.allSatisfy { $0.count == series.bars.count })
        var report: [String] = []
        for (expression, expected) in zip(table.expressions, table.columns) {
            let got = try evaluate(expression, series)
            // Values near zero (a MACD histogram crossing, a z-score of 0.0005) are
            // compared against the column's typical size: a relative error of a
            // number that is zero up to rounding means nothing.
            let defined = expected.filter { !$0.isNaN }
            let typical = defined.reduce(0) { $0 + abs($1) } / Double(max(defined.count, 1))
            var worst = 0.0, worstRow = 0
            for row in expected.indices {
                let (g, e) = (got[row], expected[row])
                if g.isNaN != e.isNaN {
                    Issue.record("\(data) `\(expression)` row \(row): got \(g), expected \(e) (na must line up with the reference)")
                    break
                }
                if e.isNaN { continue }
                let err = relativeError(g, e, floor: typical)
                if err > worst { worst = err; worstRow = row }
            }
            report.append("\(expression): \(worst) at row \(worstRow)")
            #expect(worst <= 1e-9, "\(data) `\(expression)`: relative error \(worst) at row \(worstRow): got \(got[worstRow]), expected \(expected[worstRow])")
        }
        if ProcessInfo.processInfo.environment["STRAT_GOLDEN_REPORT"] != nil { print(report.joined(separator: "\n")) }
    }

    /// The warm-up `strat check` adds up is where each reference column's first
    /// value is: TA-Lib's lookback, not one bar more or less. (barssince and
    /// valuewhen start when their condition first holds, which no lookback knows;
    /// a higher timeframe's first bar closes when the data's first bucket ends,
    /// which a count of whole buckets can only bound.)
    @Test(arguments: datasets)
    func warmupIsTheFirstReferenceValue(_ data: String, _ golden: String) throws {
        let table = try GoldenTable(golden)
        for (expression, expected) in zip(table.expressions, table.columns) {
            let first = try #require(expected.firstIndex { !$0.isNaN }, "`\(expression)` has no value")
            let source = "strategy W {\n  market spot\n  timeframe 1h\n  when (\(expression)) == (\(expression)) { enter long }\n}\n"
            let result = Compiler.compile(.init(name: "w.strat", text: source))
            let strategy = try #require(result.ir?.strategies.first, "\(result.diagnostics.map(\.message))")
            if expression.hasPrefix("barssince") || expression.hasPrefix("valuewhen") {
                #expect(strategy.warmup.atDefaults <= first, "\(data) `\(expression)`")
            } else if expression.contains("@") {
                #expect(first <= strategy.warmup.atDefaults, "\(data) `\(expression)`: first value at row \(first)")
            } else {
                #expect(strategy.warmup.atDefaults == first, "\(data) `\(expression)`: warm-up \(strategy.warmup.atDefaults), first value at row \(first)")
            }
        }
    }

    /// The file shipped with the shared reference data, read as it is.
    @Test func sharedTALibReference() throws {
        let series = try loadBars("GOOG.csv")
        let text = try String(contentsOfFile: dataPath("goog_talib.csv"), encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let expressions = ["sma(close, 20)", "ema(close, 20)", "rsi(close, 14)", "atr(14)",
                           "macd(close, 12, 26, 9).macd", "macd(close, 12, 26, 9).signal", "macd(close, 12, 26, 9).hist",
                           "bbands(close, 20, 2).upper", "bbands(close, 20, 2).middle", "bbands(close, 20, 2).lower", "stddev(close, 20)"]
        for (c, expression) in expressions.enumerated() {
            let got = try evaluate(expression, series)
            for (r, row) in rows.enumerated() {
                let cell = row[c + 1]
                if cell.isEmpty {
                    #expect(got[r].isNaN, "`\(expression)` row \(r) should be na during the warm-up")
                } else {
                    let e = Double(cell)!
                    #expect(relativeError(got[r], e, floor: 1e-300) <= 1e-9 || abs(got[r] - e) <= 1e-12 * series.bars[r].close,
                            "`\(expression)` row \(r): got \(got[r]), expected \(e)")
                }
            }
        }
    }
}
