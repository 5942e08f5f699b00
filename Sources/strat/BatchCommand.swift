import ArgumentParser
import Foundation
import StratBacktest
import StratBatch
import StratEngine
import StratIR
import StratMarket
import StratRun
import StratRuntime

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run a strategy over many points (inputs and engine settings) and rank them.",
        discussion: """
            Every point is a whole backtest, the same as `strat backtest --set NAME=VALUE …` for it; \
            the data is read once and shared by every point, on --jobs threads. Docs/Batch.md. \
            Exit status: 0 success, 1 the strategy has errors, 2 usage, I/O or data error, 130 stopped by Ctrl-C \
            (the finished points are written).
            """)

    @OptionGroup var options: RunOptions

    @Option(help: "NAME=A...B[:STEP] or NAME=v1,v2,… over an input (repeatable; the points are the cartesian product).")
    var grid: [String] = []

    @Option(help: "NAME=v1,v2,… (or A...B[:STEP]) over an engine setting: \(SweepSpec.settings.joined(separator: ", ")) (repeatable; crossed with the inputs).")
    var vary: [String] = []

    @Option(parsing: .unconditional, help: "Draw N points instead of the whole grid: from each --grid's values, else from every input's declared range.")
    var random: Int?

    @Option(parsing: .unconditional, help: "The seed of --random (default: a new one each run, printed).")
    var seed: UInt64?

    @Option(name: .customLong("where"), help: "Keep the points where this holds, e.g. 'fast < slow' (inputs, numbers, arithmetic, comparisons, and/or/not).")
    var condition: String?

    @Option(help: "What ranks the points: \(Objective.allCases.map(\.rawValue).joined(separator: ", ")).")
    var objective = "sharpe"

    @Option(parsing: .unconditional, help: "How many of the best points to print.")
    var top = 10

    @Option(parsing: .unconditional, help: "Threads running points (default: the core count).")
    var jobs: Int?

    @Option(help: "Write every point's row here: FILE.csv or FILE.json.")
    var out: String?

    @Option(help: "Keep more per point: equity (each point's equity curve, in the JSON).")
    var keep: [String] = []

    @Option(name: .customLong("walk-forward"), help: "TRAIN/TEST (durations like 180d/30d, or bar counts like 500/100): choose the best point on each training window, run it on the test window after it.")
    var walkForward: String?

    @Flag(help: "Walk-forward training windows all start at the first bar (default: they roll forward by the test length).")
    var anchored = false

    @Option(help: "Write an SVG heatmap of the objective over two inputs here (the others at their best).")
    var heatmap: String?

    @Option(name: .customLong("heatmap-axes"), help: "X,Y: the two inputs of --heatmap (default: the first two of --grid).")
    var heatmapAxes: String?

    @Option(name: .customLong("pbo-blocks"), parsing: .unconditional, help: "Blocks S of the PBO's cross-validation: even, 2–20 (C(S, S/2) splits).")
    var pboBlocks = 16

    @Flag(name: .customLong("no-cache"), help: "Run every point, neither reading nor keeping results in the store's cache.")
    var noCache = false

    /// The sweep as the library takes it.
    var sweep: SweepSpec {
        SweepSpec(grid: grid, vary: vary, random: random, seed: seed, where_: condition, objective: objective, top: top, pboBlocks: pboBlocks)
    }

    func validate() throws {
        try validating { () throws(RunError) in
            try sweep.validate()
            try checkOption("--jobs", jobs, from: 1, to: 1024, unit: "a number of threads")
        }
        if let bad = keep.first(where: { $0 != "equity" }) { throw ValidationError("--keep takes equity, got `\(bad)`") }
        if let out, !out.hasSuffix(".csv"), !out.hasSuffix(".json") {
            throw ValidationError("--out \(out): the file must end in .csv or .json")
        }
        if let heatmap, !heatmap.hasSuffix(".svg") { throw ValidationError("--heatmap \(heatmap): the file must end in .svg") }
        if heatmapAxes != nil, heatmap == nil { throw ValidationError("--heatmap-axes belongs to --heatmap") }
        if heatmap != nil, walkForward != nil { throw ValidationError("--heatmap is for sweeps, not --walk-forward") }
        if anchored, walkForward == nil { throw ValidationError("--anchored belongs to --walk-forward") }
        if walkForward != nil, keep.contains("equity") { throw ValidationError("--keep equity is for sweeps; a walk-forward's JSON has its out-of-sample equity") }
    }

    func run() throws {
        var stoppedEarly = false
        try withUsageErrors {
            try checkOutputs([("--out", out), ("--heatmap", heatmap)].compactMap { o, p in p.map { (o, $0) } }, inputs: try options.inputFiles())
            let prepared = try options.prepare()
            let s = prepared.strategy
            let sweep = try prepared.sweep(self.sweep)
            let points = sweep.points, configs = sweep.configs
            if let seed = sweep.seed { writeStderr("strat: note: \(points.count) points drawn with --seed \(seed)\n") }

            let runner = BatchRunner(jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            let interrupt = Interrupt { runner.stop.set() }
            defer { interrupt.cancel() }
            let objective = sweep.objective
            if let walkForward {
                stoppedEarly = try walk(walkForward, points: points, configs: configs, prepared: prepared, runner: runner, objective: objective)
                return
            }
            let keepEquity = keep.contains("equity")
            // Points already computed come from the store's cache (not with
            // --keep equity: curves are not kept there).
            let cache = noCache ? nil : openCache(prepared)
            let keys = cache.map { c in configs.map(c.key) } ?? []
            var cached: [Int: PointResult] = [:]
            if let cache, !keepEquity {
                do { cached = try cache.lookup(keys) } catch { writeStderr("strat: warning: the result cache cannot be read (\(error)); every point runs\n") }
            }
            let todo = points.indices.filter { cached[$0] == nil }
            if !cached.isEmpty { writeStderr("strat: note: \(cached.count) of \(points.count) points from the cache (--no-cache runs them all)\n") }
            let progress = Progress(total: todo.count)
            let configured = configs
            let columns = ColumnCache()
            let ran = try runner.run(todo.count, progress: { progress.update($0) }) { j in
                PointResult(point: points[todo[j]], result: try prepared.run(configured[todo[j]], columns: columns, details: false, curve: keepEquity),
                            keepEquity: keepEquity)
            }
            progress.finish()
            var results: [PointResult?] = points.indices.map { i in cached[i].map { var r = $0; r.point = points[i]; return r } }
            for (j, i) in todo.enumerated() { results[i] = ran[j] }
            if let cache {
                do { try cache.save(todo.indices.compactMap { j in ran[j].map { (keys[todo[j]], $0) } }) } catch {
                    writeStderr("strat: warning: the results could not be cached (\(error))\n")
                }
            }
            warnOnce(results.compactMap { $0 })
            let report = sweep.report(results)
            let guards = OverfittingGuards(report.rows, blocks: pboBlocks)
            if let out {
                let text = out.hasSuffix(".json") ? report.json(extra: guards.json) : report.csv()
                try writeOutput(Data(text.utf8), to: out, option: "--out")
            }
            if let heatmap {
                let map = try heatmapOf(report, space: sweep.space, points: points)
                try writeOutput(Data(map.svg(title: s.name).utf8), to: heatmap, option: "--heatmap")
            }
            print("\(s.name): \(report.rows.count) point\(report.rows.count == 1 ? "" : "s")" + (report.missing > 0 ? " (\(report.missing) not run: stopped)" : "") + ", best by \(objective.rawValue) first")
            print(report.table(top: top), terminator: "")
            print(guards.line)
            stoppedEarly = report.missing > 0
        }
        if stoppedEarly { throw ExitCode(130) }
    }

    /// The heatmap's two inputs (--heatmap-axes, else the first two varied) and
    /// their values in grid order (drawn points: the values drawn, in order).
    func heatmapOf(_ report: BatchReport, space: SearchSpace, points: [Point]) throws -> Heatmap {
        let names = points.first?.inputs.map(\.name) ?? []
        let axes = heatmapAxes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? Array(names.prefix(2))
        guard axes.count == 2, axes[0] != axes[1], axes.allSatisfy(names.contains) else {
            throw UsageError(description: "--heatmap needs two inputs the batch varies" + (heatmapAxes.map { " (--heatmap-axes \($0))" } ?? "")
                             + "; it varies \(names.isEmpty ? "none" : names.joined(separator: ", "))")
        }
        func values(_ name: String) -> [String] {
            if let d = space.inputs.first(where: { $0.name == name }) { return d.values }
            let seen = Set(points.compactMap { $0.inputs.first { $0.name == name }?.value })
            return seen.sorted { (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) }
        }
        return Heatmap(report.rows, x: axes[0], y: axes[1], xValues: values(axes[0]), yValues: values(axes[1]), objective: report.objective)
    }

    /// The store's result cache for this strategy and data; nil (with a
    /// warning) when the store cannot be opened for writing.
    func openCache(_ prepared: PreparedRun) -> ResultCache? {
        do {
            return ResultCache(store: try options.store.open(), irHash: prepared.strategy.hash, dataHashes: prepared.hashes.value)
        } catch {
            writeStderr("strat: warning: no result cache (\(error)); every point runs (--no-cache says so quietly)\n")
            return nil
        }
    }

    /// Each warning of the points once, with how many had it when not all did.
    func warnOnce(_ finished: [PointResult]) {
        var warned: [String] = []
        for w in finished.flatMap(\.warnings) where !warned.contains(w) { warned.append(w) }
        for w in warned {
            let n = finished.filter { $0.warnings.contains(w) }.count
            writeStderr("strat: warning: \(w)" + (n < finished.count ? " (\(n) of \(finished.count) points)" : "") + "\n")
        }
    }

    /// The walk-forward: every point on each training window, the best on the
    /// test window after it (its history from the training window's start warms
    /// the indicators; it trades from the test window's first bar). True when
    /// Ctrl-C stopped it.
    func walk(_ spec: String, points: [Point], configs: [BacktestConfig], prepared: PreparedRun, runner: BatchRunner,
              objective: Objective) throws -> Bool {
        let plan: WalkForward
        do { plan = try WalkForward(parsing: spec, anchored: anchored) } catch let e as WalkForward.Error { throw UsageError(description: e.description) }
        let times = Array(Set(prepared.series.flatMap { $0.bars.map(\.time) })).sorted()
        let windows: [WalkForward.Window]
        do { windows = try plan.windows(times) } catch let e as WalkForward.Error { throw UsageError(description: e.description) }
        let progress = Progress(total: windows.count * (points.count + 1))
        let year = 365.25 * 86_400_000.0
        let step = prepared.series.compactMap(\.interval).min() ?? 0
        func years(_ from: Int64, _ to: Int64) -> Double {
            // Up to the end of the last bar inside, when the data ends first.
            let last = times.last { $0 < to } ?? from
            return Double(min(to, last + step) - from) / year
        }
        var rows: [WalkForwardReport.Row] = [], tests: [BacktestResult] = []
        var stopped = false
        for (k, w) in windows.enumerated() {
            let train = prepared.series.map { $0.window(from: w.trainFrom, to: w.trainTo).measured() }
            let done = k * (points.count + 1)
            let columns = ColumnCache()
            let results = try runner.run(points.count, progress: { progress.update(done + $0) }) { i in
                PointResult(point: points[i], result: try prepared.run(configs[i], on: train, columns: columns, details: false, curve: false),
                            keepEquity: false)
            }
            guard !runner.stop.isSet else { stopped = true; break }
            let finished = results.compactMap { $0 }
            if k == 0 { warnOnce(finished) }
            guard let best = objective.ranking(finished).first else { continue }
            let chosen = finished[best]
            var config = configs[points.firstIndex(of: chosen.point)!]
            config.tradeFrom = w.testFrom
            let test = try prepared.run(config, on: prepared.series.map { $0.window(from: w.trainFrom, to: w.testTo) }, details: false)
            progress.update(done + points.count + 1)
            tests.append(test)
            rows.append(.init(window: w, chosen: chosen, test: PointResult(point: chosen.point, result: test, keepEquity: false),
                              trainYears: years(w.trainFrom, w.trainTo), testYears: years(w.testFrom, w.testTo)))
        }
        progress.finish()
        let capital = configs.first?.capital ?? prepared.config.capital
        let ppy = prepared.config.periodsPerYear ?? tests.first?.metrics.periodsPerYear ?? 252
        let report = WalkForwardReport(objective: objective, rows: rows, tests: tests, capital: capital, periodsPerYear: ppy)
        if let out { try writeOutput(Data((out.hasSuffix(".json") ? report.json(strategy: prepared.strategy.name) : report.csv()).utf8), to: out, option: "--out") }
        print("\(prepared.strategy.name): walk-forward \(spec)\(anchored ? " anchored" : ""), \(points.count) point\(points.count == 1 ? "" : "s"), "
              + "\(rows.count) of \(windows.count) window\(windows.count == 1 ? "" : "s")" + (stopped ? " (stopped)" : ""))
        print(report.text(), terminator: "")
        return stopped
    }
}

/// Ctrl-C while a batch runs: the first stops it taking new points (the ones
/// running finish, and what is done is written); a second ends the process.
final class Interrupt: @unchecked Sendable {
    let source: DispatchSourceSignal
    init(_ handler: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        nonisolated(unsafe) var seen = false
        source.setEventHandler {
            if seen { exit(130) }
            seen = true
            writeStderr("\nstrat: stopping after the points running now (Ctrl-C again to quit at once)\n")
            handler()
        }
        source.resume()
    }
    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

/// A progress line on stderr when it is a terminal: points done of the total,
/// the rate, the time elapsed and an estimate of the rest, redrawn at most
/// four times a second.
final class Progress: @unchecked Sendable {
    let total: Int
    let start = DispatchTime.now().uptimeNanoseconds
    let lock = NSLock()
    var drawn: UInt64 = 0
    let live = isatty(2) == 1
    init(total: Int) { self.total = total }

    func update(_ done: Int) {
        guard live else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        defer { lock.unlock() }
        guard done == total || now - drawn >= 250_000_000 else { return }
        drawn = now
        let elapsed = Double(now - start) / 1e9, rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        writeStderr(String(format: "\r%d/%d points, %.1f/s, %.1f s elapsed, ETA %.1f s   ", done, total, rate, elapsed, eta))
    }

    func finish() {
        guard live else { return }
        writeStderr("\n")
    }
}
