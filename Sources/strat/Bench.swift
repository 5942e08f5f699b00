import ArgumentParser
import Foundation
import StratBacktest
import StratBatch
import StratIR
import StratMarket
import StratRun
import StratRuntime
import StratSyntax

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure performance (run on a release build).",
        subcommands: [CompileBench.self, RuntimeBench.self, BacktestBench.self, BatchBench.self, LSPBench.self, ServeBench.self])

    /// Strategies/sma_cross.strat, built in so the benchmarks run from any
    /// directory (a test keeps the two the same).
    static let smaCross = """
        // The classic: long when the fast SMA crosses above the slow one, flat on the
        // cross back down. Matches backtesting.py's SmaCross example.
        strategy SmaCross {
          market spot
          timeframe 1d

          input fast = 10 in 5...60
          input slow = 30 in 20...250

          let fastMa = sma(close, fast)
          let slowMa = sma(close, slow)

          when crossover(fastMa, slowMa) {
            enter long
          }
          when crossunder(fastMa, slowMa) {
            exit long
          }
        }

        """

    /// The SMA cross on one-minute bars, as the backtest and batch benchmarks run it.
    static let smaCross1m = smaCross.replacingOccurrences(of: "timeframe 1d", with: "timeframe 1m")

    /// The seeded random walk of the backtest and batch benchmarks as minute
    /// bars from 2024-01-01, in cents and whole volumes, as real minute data has.
    static func minuteWalk(_ count: Int) -> BarSeries {
        var series = BarSeries.randomWalk(count: count, seed: 7)
        func cents(_ x: Double) -> Double { (x * 100).rounded() / 100 }
        for i in series.bars.indices {
            var b = series.bars[i]
            b.time = 1_704_067_200_000 + Int64(i) * 60_000
            b.open = cents(b.open); b.close = cents(b.close)
            b.high = max(cents(b.high), b.open, b.close); b.low = min(cents(b.low), b.open, b.close)
            b.volume = b.volume.rounded()
            series.bars[i] = b
        }
        return series
    }
}

/// Compiles a generated strategy of N lines (parse, check, lower) and reports the
/// best of several runs.
struct CompileBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile",
        abstract: "Time the compiler on a generated strategy.")

    @Option(parsing: .unconditional, help: "Lines in the generated strategy.")
    var lines = 20_000

    @Option(parsing: .unconditional, help: "Timed runs; the best is reported.")
    var runs = 5

    @Option(help: "Also write the generated strategy here.")
    var save: String?

    func validate() throws {
        try validating { () throws(RunError) in
            try checkOption("--lines", lines, from: 10, to: 10_000_000, unit: "a number of lines")
            try checkOption("--runs", runs, from: 1, to: 1000, unit: "a number of runs")
        }
    }

    func run() throws {
        let text = Self.generate(lines: lines)
        if let save { try withUsageErrors { try checkWritable(save, option: "--save"); try writeOutput(Data(text.utf8), to: save, option: "--save") } }
        let file = SourceFile(name: "generated.strat", text: text)
        var best = Double.infinity
        var nodes = 0
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = Compiler.compile(file)
            let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            guard let ir = result.ir else {
                renderDiagnostics(Array(result.diagnostics.prefix(5)), file)
                throw ExitCode(1)
            }
            nodes = ir.strategies[0].nodes.count
            best = min(best, secs)
        }
        let actual = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        print(String(format: "compile: %d lines, %d IR nodes, best of %d: %.3f s (%.0f lines/s)",
                     actual, nodes, runs, best, Double(actual) / best))
    }

    /// A deterministic strategy: inputs, lets over indicators and arithmetic, and rules.
    static func generate(lines: Int) -> String {
        var out = "strategy Generated {\n  market spot\n  timeframe 1h\n  input n = 14 in 2...100\n"
        var count = 4
        var k = 0
        let indicators = ["sma", "ema", "wma", "rma", "highest", "lowest", "stddev"]
        while count < lines - 6 {
            let src = k == 0 ? "close" : "v\(k - 1)"
            switch k % 5 {
            case 0: out += "  let v\(k) = \(indicators[k % indicators.count])(\(src), \(5 + k % 40))\n"
            case 1: out += "  let v\(k) = (\(src) + close) / 2 - atr(n) * 0.5\n"
            case 2: out += "  let v\(k) = max(\(src), open[\(k % 7)])   // a comment\n"
            case 3: out += "  let v\(k) = if close > \(src) then \(src) else close\n"
            default:
                out += "  let v\(k) = \(src)[1]\n"
                out += "  when crossover(close, v\(k)) and rsi(close, n) < \(30 + k % 40) {\n    enter long size 10%\n      stop close - 2 * atr(n)\n  }\n"
                count += 4
            }
            count += 1
            k += 1
        }
        out += "  when crossunder(close, v\(k - 1)) {\n    exit long\n  }\n}\n"
        return out
    }
}

/// Evaluates (a) `ema(close, 20)` and (b) the signal logic of
/// Strategies/sma_cross.strat (two SMAs, crossover and crossunder, both rule
/// conditions read on every bar) over seeded random-walk bars, one bar at a time.
struct RuntimeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runtime",
        abstract: "Time the per-bar evaluator on random-walk bars.")

    @Option(parsing: .unconditional, help: "Bars in the generated series.")
    var bars = 1_000_000

    @Option(parsing: .unconditional, help: "Timed runs of each case; the best is reported.")
    var runs = 5

    @Option(help: "The SMA cross strategy to run (default: Strategies/sma_cross.strat, built in).")
    var strategy: String?

    func validate() throws {
        try validating { () throws(RunError) in
            try checkOption("--bars", bars, from: 1, to: 50_000_000, unit: "a number of bars")
            try checkOption("--runs", runs, from: 1, to: 1000, unit: "a number of runs")
        }
    }

    func run() throws {
        try withUsageErrors {
            let series = BarSeries.randomWalk(count: bars, seed: 42)
            let ema = Compiler.compileExpression(SourceFile(name: "<bench>", text: "ema(close, 20)"), timeframe: 3600)
            let cross = Compiler.compile(try strategy.map(readSource) ?? SourceFile(name: "sma_cross.strat", text: Bench.smaCross))
            guard let a = ema.ir?.strategies.first, let b = cross.ir?.strategies.first else {
                throw UsageError(description: "the benchmark strategies do not compile")
            }
            for (name, s) in [("ema(close, 20)", a), ("sma_cross signals", b)] {
                var best = Double.infinity
                var checksum = 0.0
                for _ in 0..<max(1, runs) {
                    let rt = try Runtime(strategy: s, symbols: ["RW"], baseInterval: 3_600_000)
                    let watched = s.rules.isEmpty ? [s.lets[0].node] : s.rules.map(\.condition)
                    checksum = 0
                    let start = DispatchTime.now().uptimeNanoseconds
                    for bar in series.bars {
                        rt.step(bar)
                        for node in watched where rt.value(node: node) == 1 { checksum += 1 }
                        if watched.count == 1 { checksum += rt.value(node: watched[0]).isNaN ? 0 : 1 }
                    }
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                print(String(format: "runtime: %@: %d bars, best of %d: %.3f s, %.1f million bars/s (checksum %.0f)",
                             name, bars, runs, best, Double(bars) / best / 1e6, checksum))
            }
        }
    }
}

/// The SMA-crossover backtest end to end (compile, load the CSV, run, metrics,
/// JSON) over seeded random-walk one-minute bars. Writes the CSV and the strategy
/// (sma_cross.strat on a 1m timeframe) so other tools can run the same files.
struct BacktestBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest",
        abstract: "Time a whole backtest on generated one-minute bars.")

    @Option(parsing: .unconditional, help: "Bars in the generated CSV.")
    var bars = 1_000_000

    @Option(help: "Where to write the CSV, the strategy and the result.")
    var dir = "/tmp/strat-bench"

    @Option(parsing: .unconditional, help: "Timed runs; the best is reported.")
    var runs = 3

    @Flag(help: "Also run it as a 3x isolated perpetual (mark bars, funding every 8 hours, tiered brackets) and compare.")
    var perp = false

    @Option(help: "A Python with backtesting.py (and vectorbt): run Docs/bench/backtest_reference.py on the same CSV after Strat, from the repository root.")
    var reference: String?

    func validate() throws {
        try validating { () throws(RunError) in
            try checkOption("--bars", bars, from: 1, to: 50_000_000, unit: "a number of bars")
            try checkOption("--runs", runs, from: 1, to: 1000, unit: "a number of runs")
        }
    }

    func run() throws {
        try withUsageErrors {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw UsageError(description: "--dir \(dir): cannot make the directory: \(posixReason(error))")
            }
            let csv = dir + "/rw_1m.csv", strategyPath = dir + "/sma_cross_1m.strat", json = dir + "/result.json"
            let series = Bench.minuteWalk(bars)
            var out: [UInt8] = Array("time,open,high,low,close,volume\n".utf8)
            for b in series.bars {
                UTCTime.append(b.time, to: &out)
                for x in [b.open, b.high, b.low, b.close] { out.append(44); out.append(contentsOf: String(format: "%.2f", x).utf8) }
                out.append(44); out.append(contentsOf: String(Int(b.volume)).utf8); out.append(10)
            }
            try writeOutput(Data(out), to: csv, option: "--dir")
            try writeOutput(Data(Bench.smaCross1m.utf8), to: strategyPath, option: "--dir")
            print("wrote \(csv) (\(bars) bars, \(out.count / 1_000_000) MB) and \(strategyPath)")
            // The same strategy with a full risk block whose limits never bind: the
            // cost of the review, the state and the drawdown stop on every bar.
            let guarded = Bench.smaCross1m
                .replacingOccurrences(of: "\n}\n", with: """

                  risk {
                    max drawdown 99% then halt
                    max position 200% of equity
                    max exposure 200% of equity
                    max leverage 2x
                    max daily loss 99%
                    max trade risk 100%
                    max open risk 1000%
                  }
                }

                """)
            let guardedPath = dir + "/sma_cross_1m_risk.strat"
            try writeOutput(Data(guarded.utf8), to: guardedPath, option: "--dir")
            var totals: [String: Double] = [:]
            for (label, path) in [("backtest", strategyPath), ("with a risk block", guardedPath)] {
                totals[label] = try time(label, strategy: path, csv: csv, json: json)
            }
            if perp {
                let perpPath = dir + "/sma_cross_1m_perp.strat"
                let source = Bench.smaCross1m
                    .replacingOccurrences(of: "market spot", with: "market perp(leverage: 3x, margin: isolated)")
                try writeOutput(Data(source.utf8), to: perpPath, option: "--dir")
                let data = try writePerpInputs(series)
                let t = try time("perp", strategy: perpPath, csv: csv, json: json, perp: data)
                print(String(format: "perp / spot: %.2f× (total)", t / totals["backtest"]!))
            }
            if let python = reference { try runReference(python, csv: csv, strat: totals["backtest"]!) }
        }
    }

    /// backtesting.py on the same file, in this run, for the side-by-side figure.
    func runReference(_ python: String, csv: String, strat: Double) throws {
        let script = "Docs/bench/backtest_reference.py"
        guard FileManager.default.fileExists(atPath: script) else {
            throw UsageError(description: "--reference: \(script) is not here; run from the repository root")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, script, csv, "backtesting"]
        let out = Pipe()
        p.standardOutput = out
        do { try p.run() } catch { throw UsageError(description: "--reference \(python): cannot start: \(posixReason(error))") }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        print(text, terminator: "")
        guard p.terminationStatus == 0, let secs = text.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else {
            throw UsageError(description: "--reference \(python): the reference script failed (exit \(p.terminationStatus)); it needs backtesting and pandas")
        }
        print(String(format: "backtesting.py / Strat: %.1f× (end to end)", secs / strat))
    }

    /// The perpetual's inputs for the generated bars: mark bars 0.01% above the
    /// last price, funding every 8 hours (0.01%, then −0.005%, alternating) and a
    /// three-tier bracket table with a 1.25% clearance fee; the mark and funding
    /// are written beside the bars for `strat backtest --mark --funding`.
    func writePerpInputs(_ series: BarSeries) throws -> PerpData {
        let marks = series.bars.map { b in
            Bar(time: b.time, open: b.open * 1.0001, high: b.high * 1.0001, low: b.low * 1.0001, close: b.close * 1.0001, volume: 0)
        }
        let first = series.bars.first?.time ?? 0, last = series.bars.last?.time ?? 0
        let eight: Int64 = 8 * 3_600_000
        var funding: [FundingRate] = []
        var t = (first + eight - 1) / eight * eight
        while t <= last {
            funding.append(FundingRate(time: t, rate: funding.count % 2 == 0 ? 0.0001 : -0.00005))
            t += eight
        }
        var markText = "time,open,high,low,close,volume\n", fundingText = "time,rate\n"
        for m in marks { markText += "\(m.time),\(m.open),\(m.high),\(m.low),\(m.close),0\n" }
        for f in funding { fundingText += "\(f.time),\(f.rate)\n" }
        try writeOutput(Data(markText.utf8), to: dir + "/rw_1m_mark.csv", option: "--dir")
        try writeOutput(Data(fundingText.utf8), to: dir + "/rw_funding.csv", option: "--dir")
        let table = BracketTable(validFrom: .min, brackets: [
            LeverageBracket(notionalFloor: 0, notionalCap: 50_000, maxLeverage: 125, maintenanceRate: 0.004, maintenanceAmount: 0),
            LeverageBracket(notionalFloor: 50_000, notionalCap: 600_000, maxLeverage: 100, maintenanceRate: 0.005, maintenanceAmount: 50),
            LeverageBracket(notionalFloor: 600_000, notionalCap: .infinity, maxLeverage: 75, maintenanceRate: 0.0065, maintenanceAmount: 950),
        ])
        return PerpData(marks: ["RW": marks], funding: ["RW": funding], brackets: ["RW": [table]], liquidationFee: ["RW": 0.0125])
    }

    /// Times `runs` runs and prints the best of each phase; returns the best total.
    @discardableResult
    func time(_ label: String, strategy strategyPath: String, csv: String, json: String, perp: PerpData = PerpData()) throws -> Double {
            var best: [String: Double] = [:]
            var summary = ""
            for _ in 0..<max(1, runs) {
                var t = DispatchTime.now().uptimeNanoseconds
                func lap(_ name: String) {
                    let now = DispatchTime.now().uptimeNanoseconds
                    best[name] = min(best[name] ?? .infinity, Double(now - t) / 1e9)
                    t = now
                }
                let start = t
                let source = try readSource(strategyPath)
                guard let s = Compiler.compile(source).ir?.strategies.first else { throw UsageError(description: "the strategy does not compile") }
                lap("compile")
                let data = try BarCSV.read(path: csv, symbol: "RW")
                lap("load CSV")
                var config = BacktestConfig()
                config.execution.lotSize = 1
                let equityText = EquityText()
                let r = try Backtest.run(s, data: [data], config: config, perp: perp, equityText: equityText)
                lap("run + metrics")
                let p = Provenance(strategyFile: strategyPath, strategySHA256: "", irHash: s.hash, inputs: [], data: [], config: config)
                do { try Report.writeJSON(r, p, to: json, equity: equityText) } catch {
                    throw UsageError(description: "--dir \(json): cannot write: \(posixReason(error))")
                }
                lap("JSON")
                best["total"] = min(best["total"] ?? .infinity, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                summary = "\(r.metrics.nTrades) closed trades, final equity \(r.metrics.finalEquity)"
            }
            for k in ["compile", "load CSV", "run + metrics", "JSON", "total"] {
                print(String(format: "%@: %@: %.3f s", label, k, best[k]!))
            }
            print("\(label): \(summary); best of \(runs)")
            return best["total"]!
    }
}

/// A 1,000-point sweep of the SMA cross (fast 5…54 × slow 20…210 step 10) on a
/// 1m timeframe, whole units, next-open fills, over the first 100k bars of the
/// seeded random walk and over all 1M: time, points per second and peak
/// memory. The bars are generated in memory (`strat bench backtest` writes the
/// same walk as CSV, for the reference tools).
struct BatchBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "batch",
        abstract: "Time a 1,000-point parameter sweep on generated one-minute bars.")

    @Option(parsing: .unconditional, help: "Bars of the larger run (the smaller is a tenth).")
    var bars = 1_000_000

    @Option(parsing: .unconditional, help: "Threads (default: the core count).")
    var jobs: Int?

    func validate() throws {
        try validating { () throws(RunError) in
            try checkOption("--bars", bars, from: 10, to: 50_000_000, unit: "a number of bars")
            try checkOption("--jobs", jobs, from: 1, to: 1024, unit: "a number of threads")
        }
    }

    func run() throws {
        try withUsageErrors {
            guard let s = Compiler.compile(SourceFile(name: "sma_cross_1m.strat", text: Bench.smaCross1m))
                .ir?.strategies.first else { throw UsageError(description: "the strategy does not compile") }
            let walk = Bench.minuteWalk(bars)
            let points = (5...54).flatMap { fast in stride(from: 20, through: 210, by: 10).map { (fast, $0) } }
            let runner = BatchRunner(jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            for count in [bars / 10, bars] {
                let data = BarSeries(symbol: "RW", bars: Array(walk.bars.prefix(count))).measured()   // as `strat batch` does
                let columns = ColumnCache()
                let start = DispatchTime.now().uptimeNanoseconds
                let results = try runner.run(points.count) { i in
                    var config = BacktestConfig()
                    config.execution.lotSize = 1
                    config.inputs = ["fast": Double(points[i].0), "slow": Double(points[i].1)]
                    let r = try Backtest.run(s, data: [data], config: config, columns: columns, details: false, curve: false)
                    return PointResult(point: Point(inputs: [.init("fast", "\(points[i].0)"), .init("slow", "\(points[i].1)")]), result: r, keepEquity: false)
                }
                let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let best = Objective.sharpe.ranking(results.compactMap { $0 }).first.map { results[$0]!.point.label } ?? "none"
                var usage = rusage()
                getrusage(RUSAGE_SELF.rawValue, &usage)
                print(String(format: "%d bars × %d points: %.2f s (%.1f ms a point, %d jobs), peak memory %.0f MB; best by Sharpe %@",
                             count, points.count, secs, secs * 1000 / Double(points.count), runner.jobs, Double(usage.ru_maxrss) / 1024, best))
            }
        }
    }
}
