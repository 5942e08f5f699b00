import ArgumentParser
import Foundation
import StratBacktest
import StratEngine
import StratIR
import StratMarket
import StratRun
import StratRuntime
import StratSema
import StratSyntax

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the `test` blocks of strategies.",
        discussion: """
            Each test runs its strategy as `strat backtest` would, on the test's bars (a path relative \
            to the strategy file; trading from `from`, the bars before it warming up), and prints one \
            PASS or FAIL line, with each failed expectation's expected and actual values under it. \
            Exit status: 0 all passed, 1 a test failed or a strategy has errors, 2 usage, I/O or data error.
            """)

    @Argument(help: "Strategy files (.strat).")
    var files: [String]

    func run() throws {
        try withUsageErrors {
            var failed = 0, passed = 0, broken = false, unreadable = false
            for path in files {
                let source: SourceFile
                do { source = try readSource(path) } catch let e as UsageError {
                    writeStderr("strat: error: \(e.description)\n")
                    unreadable = true
                    continue
                }
                let result = Compiler.compile(source)
                renderDiagnostics(result.diagnostics, source)
                if result.hasErrors { broken = true; continue }
                for strategy in result.strategies {
                    for test in strategy.tests {
                        let where_ = "\(path):\(source.lineColumn(of: test.range.start).0)"
                        do {
                            let failures = try TestRunner.run(test, of: strategy, in: source, path: path,
                                                              several: result.strategies.count > 1)
                            if failures.isEmpty {
                                passed += 1
                                print("PASS \(where_): \"\(test.name)\"")
                            } else {
                                failed += 1
                                print("FAIL \(where_): \"\(test.name)\"")
                                for f in failures { print("  expect \(f.expectation): \(f.message)") }
                            }
                        } catch where error is UsageError || error is RunError {
                            writeStderr("strat: error: \(where_): test \"\(test.name)\": \(error)\n")
                            unreadable = true
                        }
                    }
                }
            }
            print("\(passed) passed, \(failed) failed")
            if unreadable { throw ExitCode(2) }
            if broken || failed > 0 { throw ExitCode(1) }
        }
    }
}

/// Runs one `test` block: the backtest the CLI runs (`RunOptions`, `PreparedRun`)
/// on the test's bars, then its expectations against the trades and, bar by bar,
/// against the series the expectations name.
enum TestRunner {
    struct Failure {
        var expectation: String
        var message: String
    }

    static func run(_ test: CheckedTest, of strategy: CheckedStrategy, in source: SourceFile, path: String,
                    several: Bool) throws -> [Failure] {
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        let data = test.path.hasPrefix("/") ? test.path : base.appendingPathComponent(test.path).path
        var arguments = [path, "--data", data]
        if several { arguments += ["--strategy-name", strategy.name] }
        if let from = test.from { arguments += ["--from", day(from * 1000)] }
        var session = TradingSession.alwaysOpen
        if let text = test.session {
            guard let s = TradingSession(parsing: text) else {
                throw UsageError(description: "session \"\(text)\": expected 24/7 or days and UTC hours like \"Mon-Fri 14:30-21:00\"")
            }
            session = s
            arguments += ["--session", text]
        }
        let options: RunOptions
        do { options = try RunOptions.parse(arguments) } catch {
            throw UsageError(description: RunOptions.message(for: error))
        }
        let prepared = try options.prepare()
        let end = test.to.map { $0 * 1000 } ?? .max
        let window = prepared.series.map { s in
            var s = s
            s.bars = s.bars.filter { $0.time < end }
            return s
        }
        guard let series = window.first, !series.bars.isEmpty else {
            throw UsageError(description: "\(data) has no bars before \(day(end))")
        }
        let result = try prepared.run(prepared.config, on: window)
        let start = (test.from ?? Int64.min / 1000) * 1000

        // The expectations' series, evaluated on the strategy's own bars.
        let (withSeries, names) = strategy.addingSeries(of: test)
        guard let ir = Lowering.lower([withSeries], file: source).strategies.first else { return [] }
        let bars = strategyBars(series, timeframe: ir.timeframe.map { $0 * 1000 })
        let interval = ir.timeframe.map { $0 * 1000 } ?? series.interval ?? 86_400_000
        var values: [String: [Double]] = [:]
        let nodes = Dictionary(ir.lets.map { ($0.name, $0.node) }, uniquingKeysWith: { a, _ in a })
        let all = names.joined().flatMap { [$0.inside] + ($0.outside.map { [$0] } ?? []) }
        if !all.isEmpty {
            let runtime: Runtime
            do { runtime = try Runtime(strategy: ir, symbols: [series.symbol], baseInterval: interval) } catch let e as RuntimeError {
                throw UsageError(description: e.message)
            }
            for bar in bars {
                runtime.step(bar)
                for name in all { values[name, default: []].append(nodes[name].map { runtime.value(node: $0) } ?? .nan) }
            }
        }
        let checked = bars.indices.filter { bars[$0].time >= start }

        var failures: [Failure] = []
        // `inSession` on each bar: the session is open at the bar's open.
        let open = bars.map { session.isOpen($0.time) }
        for (i, e) in test.expectations.enumerated() {
            let series = names[i].map { name in
                let inside = values[name.inside] ?? []
                guard let out = name.outside.flatMap({ values[$0] }) else { return inside }
                return inside.indices.map { open[$0] ? inside[$0] : out[$0] }
            }
            if let message = failure(e, series, bars: bars, checked: checked, interval: interval, trades: result.trades) {
                failures.append(Failure(expectation: e.text, message: message))
            }
        }
        return failures
    }

    /// What is wrong with expectation `e`, or nil when it holds.
    static func failure(_ e: CheckedExpectation, _ series: [[Double]], bars: [Bar], checked: [Int], interval: Int64,
                        trades: [Trade]) -> String? {
        switch e.kind {
        case .tradeCount(let op, let v):
            return compare(Double(trades.count), op, v) ? nil : "expected \(op.rawValue) \(number(v)), got \(trades.count)"
        case .tradeField(let k, let field, let op, let v):
            guard k <= trades.count else { return "there \(trades.count == 1 ? "is 1 trade" : "are \(trades.count) trades"), no trade \(k)" }
            let t = trades[k - 1]
            let got: Double? = switch field {
            case .entry_time: Double(t.entryTime / 1000)
            case .exit_time: t.exitTime.map { Double($0 / 1000) }
            case .entry_price: t.entryPrice
            case .exit_price: t.exitPrice
            case .qty: t.qty
            case .pnl: t.pnl
            case .bars_held: Double(t.barsHeld)
            }
            guard let got else { return "trade \(k) is still open, so it has no \(field.rawValue)" }
            if compare(got, op, v) { return nil }
            let show = field.dimensionIsTime ? { day(Int64($0) * 1000) } : number
            return "expected \(op.rawValue) \(show(v)), got \(show(got))"
        case .always:
            for i in checked where series[0][i] == 0 {
                return "false on \(day(bars[i].time))"
            }
            return nil
        case .between:
            for i in checked {
                let (x, lo, hi) = (series[0][i], series[1][i], series[2][i])
                if x.isNaN { continue }
                if !(x >= lo && x <= hi) {
                    return "\(number(x)) on \(day(bars[i].time)), outside \(number(lo))…\(number(hi))"
                }
            }
            return nil
        case .noPositionWhile:
            for i in checked where series[0][i] == 1 {
                let open = bars[i].time, close = open + interval
                if let k = trades.firstIndex(where: { $0.entryTime < close && ($0.exitTime ?? .max) > open }) {
                    return "a position is held on \(day(open)) (trade \(k + 1), entered \(day(trades[k].entryTime)))"
                }
            }
            return nil
        }
    }

    static func compare(_ a: Double, _ op: BinaryOp, _ b: Double) -> Bool {
        switch op {
        case .eq: a == b
        case .ne: a != b
        case .lt: a < b
        case .le: a <= b
        case .gt: a > b
        case .ge: a >= b
        default: false
        }
    }

    /// The data's bars at the strategy's timeframe (closed buckets only), as the backtest resamples.
    static func strategyBars(_ series: BarSeries, timeframe: Int64?) -> [Bar] {
        guard let timeframe, let base = series.interval, base != timeframe else { return series.bars }
        var resampler = Resampler(interval: timeframe, base: base)
        var out: [Bar] = []
        for bar in series.bars {
            if let b = resampler.closeBefore(bar.time) { out.append(b) }
            if let b = resampler.add(bar) { out.append(b) }
        }
        return out
    }

    /// A time as a date when it is midnight UTC, else in full.
    static func day(_ ms: Int64) -> String {
        let s = UTCTime.format(ms)
        return ms % 86_400_000 == 0 ? String(s.prefix(10)) : s
    }

    static func number(_ v: Double) -> String { NumberText.readable(v) }
}

extension TradeField {
    var dimensionIsTime: Bool { self == .entry_time || self == .exit_time }
}
