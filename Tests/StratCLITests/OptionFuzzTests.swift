import Foundation
import Testing
import StratTestSupport

/// Every numeric option of every command, set to each extreme value, run
/// through the real binary (issue 11, E): no signal death, no Foundation or
/// Swift runtime text, and a failure is exactly one `strat: error:` line.
@Suite struct OptionFuzzTests {
    static let values = ["0", "-1", "nan", "inf", "-inf", "1e308", "9223372036854775807"]

    /// A tiny strategy and 40 daily bars, so the runs that succeed are quick.
    static func fixture() throws -> (strategy: String, csv: String, db: String, dir: String) {
        let dir = scratchDirectory.appendingPathComponent("strat-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let strategy = dir.appendingPathComponent("t.strat").path
        try """
            strategy T {
              market spot
              timeframe 1d
              input n = 5 in 2...20
              input risk = 1% in 0.1%...5%
              when close > sma(close, n) {
                enter long size risk * 10
              }
              when close < open {
                exit long
              }
            }

            """.write(toFile: strategy, atomically: true, encoding: .utf8)
        var text = "time,open,high,low,close,volume\n"
        for i in 0..<40 {
            let c = 100 + Double(i % 7) - Double(i % 3)
            text += "\(1_704_067_200_000 + Int64(i) * 86_400_000),\(c - 0.5),\(c + 1),\(c - 1),\(c),\(1000 + i)\n"
        }
        let csv = dir.appendingPathComponent("t.csv").path
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("t.db").path
        let imported = try runProgram(stratBinary.path, ["data", "import", csv, "--symbol", "T", "--interval", "1d", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")
        return (strategy, csv, db, dir.path)
    }

    @Test func everyNumericOptionAtEveryExtreme() throws {
        let f = try Self.fixture()
        let backtest = ["backtest", f.strategy, "--data", f.csv]
        let stored = ["backtest", f.strategy, "--data", "T=db:1d", "--db", f.db]
        let series = ["--symbol", "T", "--interval", "1d", "--db", f.db]
        // (command, option, how the value is written)
        var cases: [([String], String, (String) -> String)] = []
        for o in ["--capital", "--fees", "--maker-fees", "--taker-fees", "--half-spread", "--latency", "--participation",
                  "--lot-size", "--tick-size", "--periods-per-year"] {
            cases.append((backtest, o, { $0 }))
        }
        cases += [(stored, "--min-quality", { $0 }),
                  (backtest, "--slippage", { "fixed:\($0)" }), (backtest, "--slippage", { "linear:\($0)" }), (backtest, "--slippage", { "sqrt:\($0)" }),
                  (backtest, "--set", { "n=\($0)" }), (backtest, "--set", { "risk=\($0)%" }), (backtest, "--set", { "risk=\($0)" }),
                  (["eval", "--data", f.csv, "close"], "--last", { $0 }),
                  (["data", "import", f.csv] + series, "--outlier-threshold", { $0 }),
                  (["data", "import", f.csv, "--symbol", "T", "--db", f.db], "--interval", { "\($0)h" }),
                  (["data", "quality"] + series, "--outlier-threshold", { $0 }),
                  (["data", "export", "--out", "-"] + series, "--from", { $0 }),
                  (["data", "export", "--out", "-"] + series, "--to", { $0 }),
                  // --from after --to: refused before any request is sent.
                  (["data", "fetch", "--symbol", "T", "--interval", "1h", "--from", "2024-01-02", "--to", "2024-01-01", "--base-url", "http://127.0.0.1:9", "--db", f.db], "--weight-limit", { $0 }),
                  (["data", "fetch", "--symbol", "T", "--interval", "1h", "--from", "2024-01-02", "--to", "2024-01-01", "--base-url", "http://127.0.0.1:9", "--db", f.db], "--max-ban", { $0 }),
                  (["bench", "compile"], "--lines", { $0 }), (["bench", "compile"], "--runs", { $0 }),
                  (["bench", "runtime"], "--bars", { $0 }), (["bench", "runtime"], "--runs", { $0 }),
                  (["bench", "backtest", "--dir", f.dir + "/bench"], "--bars", { $0 }), (["bench", "backtest", "--dir", f.dir + "/bench"], "--runs", { $0 })]
        let runs = cases.flatMap { c in Self.values.map { v in (c.0 + [c.1, c.2(v)]) } }
        nonisolated(unsafe) var results = [Run?](repeating: nil, count: runs.count)
        nonisolated(unsafe) var failures = [String?](repeating: nil, count: runs.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in stride(from: worker, to: runs.count, by: 4) {
                do {
                    let r = try runProgram(stratBinary.path, runs[i], in: repoRoot.path, timeout: 60)
                    lock.lock(); results[i] = r; lock.unlock()
                } catch {
                    lock.lock(); failures[i] = "\(error)"; lock.unlock()
                }
            }
        }
        var ok = 0, refused = 0
        for (i, args) in runs.enumerated() {
            let shown = args.joined(separator: " ")
            guard let r = results[i] else { Issue.record("\(shown): \(failures[i] ?? "did not run")"); continue }
            #expect([0, 1, 2].contains(r.status), "\(shown): exit \(r.status)\n\(r.stderr)")
            for text in ["Fatal error", "NSCocoaErrorDomain", "Error Domain", "Backtrace"] {
                #expect(!r.stderr.contains(text), "\(shown): \(r.stderr)")
            }
            if r.status == 0 { ok += 1; continue }
            refused += 1
            let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("strat: error: ") }
            #expect(errors.count == 1, "\(shown): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("strat: ") || $0.hasPrefix("  ") }, "\(shown): \(r.stderr)")
        }
        // Both outcomes occur: 0 is a valid fee, nan never is.
        #expect(ok > 10 && refused > 100, "\(ok) ran, \(refused) refused")
    }

    /// The REPL's `:backtest` options and `:last`, the same values, in one session.
    @Test func replOptionsAtEveryExtreme() throws {
        let f = try Self.fixture()
        var input = ""
        for v in Self.values {
            for o in ["--capital", "--fees", "--half-spread", "--lot-size", "--tick-size"] { input += ":backtest \(o) \(v)\n" }
            input += ":backtest --slippage sqrt:\(v)\n:last \(v) close\n:set n=\(v)\n:set risk=\(v)%\n"
        }
        let r = try runProgram(stratBinary.path, ["repl", "--data", f.csv, "--load", f.strategy], in: repoRoot.path, input: input, timeout: 120)
        #expect(r.status == 1)     // some inputs were refused
        for text in ["Fatal error", "NSCocoaErrorDomain", "Error Domain", "Backtrace"] { #expect(!r.stderr.contains(text), "\(r.stderr)") }
        #expect(r.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("error: ") || $0.hasPrefix("warning: ") || $0.hasPrefix("note: ") }, "\(r.stderr)")
    }
}
