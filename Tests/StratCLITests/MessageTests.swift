import Foundation
import Testing
import StratTestSupport

/// Every error a person can cause names the file or option and says what was
/// expected (issue 11, D).
@Suite struct MessageTests {
    @Test func aSymbolGivenTwiceIsNamed() throws {
        let r = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--data", "GOOG=Data/EURUSD.csv")
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: the symbol GOOG is given twice in --data (Data/GOOG.csv and GOOG=Data/EURUSD.csv); give each symbol once\n")
    }

    @Test func aPercentInputsRangePrintsAsPercent() throws {
        let r = try strat("backtest", "Strategies/expiring_limits.strat", "--data", "Data/GOOG.csv", "--set", "discount=10%")
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: --set discount: 10% is outside the declared range 0.5%...5% of input `discount`\n")
        let nan = try strat("backtest", "Strategies/expiring_limits.strat", "--data", "Data/GOOG.csv", "--set", "discount=nan%")
        #expect(nan.stderr == "strat: error: --set discount: must be a finite Ratio value, got nan\n")
        let repl = try runProgram(stratBinary.path, ["repl", "--load", "Strategies/expiring_limits.strat"], in: repoRoot.path,
                                  input: ":set discount=10%\n")
        #expect(repl.stderr == "error: discount = 10% is outside the declared range 0.5%...5%\n")
    }

    @Test func checkReportsEveryReadableFileWhenOneIsMissing() throws {
        let bad = try temp("bad.strat", "strategy T {\n  market spot\n  when close + volume > 0 { enter long }\n}\n")
        let r = try strat("check", "Strategies/sma_cross.strat", "nope.strat", bad.path, "Strategies")
        #expect(r.status == 2)
        #expect(r.stdout.hasPrefix("SmaCross: inputs fast=10"))
        #expect(r.stderr.hasPrefix("strat: error: nope.strat: no such file\n\(bad.path):3:14: error[E0301]"))
        #expect(r.stderr.hasSuffix("strat: error: Strategies: is a directory; expected a strategy file (.strat)\n"))
    }

    @Test func benchWorksFromAnyDirectory() throws {
        let elsewhere = scratchDirectory.appendingPathComponent("strat-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let runtime = try strat("bench", "runtime", "--bars", "1000", "--runs", "1", cwd: elsewhere)
        #expect(runtime.status == 0, "\(runtime.stderr)")
        #expect(runtime.stdout.contains("runtime: sma_cross signals: 1000 bars"))
        let backtest = try strat("bench", "backtest", "--bars", "1000", "--runs", "1", "--dir", elsewhere.appendingPathComponent("out").path, cwd: elsewhere)
        #expect(backtest.status == 0, "\(backtest.stderr)")
        // The strategy it writes is the repository's, on one-minute bars.
        let written = try String(contentsOfFile: elsewhere.appendingPathComponent("out/sma_cross_1m.strat").path, encoding: .utf8)
        let original = try String(contentsOfFile: repoRoot.appendingPathComponent("Strategies/sma_cross.strat").path, encoding: .utf8)
        #expect(written == original.replacingOccurrences(of: "timeframe 1d", with: "timeframe 1m"))
        let perp = try strat("bench", "backtest", "--bars", "1000", "--runs", "1", "--perp", "--dir", elsewhere.appendingPathComponent("out").path, cwd: elsewhere)
        #expect(perp.status == 0 && perp.stdout.contains("perp: 26 closed trades") && perp.stdout.contains("perp / spot: "), "\(perp.stdout)\(perp.stderr)")
        let batch = try strat("bench", "batch", "--bars", "200", "--jobs", "2", cwd: elsewhere)
        #expect(batch.status == 0 && batch.stdout.contains("20 bars × 1000 points: ") && batch.stdout.contains("200 bars × 1000 points: "), "\(batch.stdout)\(batch.stderr)")
        let save = try strat("bench", "compile", "--lines", "100", "--runs", "1", "--save", "/nonexistent/x.strat")
        #expect(save.status == 2 && save.stderr == "strat: error: --save /nonexistent/x.strat: no such directory /nonexistent\n")
    }

    @Test func missingInputFilesSayNoSuchFile() throws {
        let holidays = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--holidays", "/nonexistent/h.txt")
        #expect(holidays.stderr == "strat: error: /nonexistent/h.txt: no such file\n")
        let actions = try strat("data", "actions", "import", "/nonexistent/a.csv", "--db", scratchDirectory.path + "/strat-\(UUID().uuidString).db")
        #expect(actions.stderr == "strat: error: /nonexistent/a.csv: no such file\n")
        let dir = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--holidays", "Data")
        #expect(dir.stderr == "strat: error: Data: is a directory; expected a file\n")
    }
}
