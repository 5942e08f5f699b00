import Foundation
import Testing
import StratTestSupport

/// Numeric options are checked before anything runs, each with its valid range
/// in the message (issue 11: these trapped, crashed or were accepted).
@Suite struct OptionRangeTests {
    func backtest(_ options: String...) throws -> Run { try backtest(options) }
    func backtest(_ options: [String]) throws -> Run {
        try runProgram(stratBinary.path, ["backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv"] + options, in: repoRoot.path)
    }

    @Test func backtestOptionsOutsideTheirRangesAreRefused() throws {
        let cases: [([String], String)] = [
            (["--latency", "9223372036854775807"], "--latency must be milliseconds from 0 to 604800000, got 9223372036854775807"),
            (["--capital", "nan"], "--capital must be a number above 0 and at most 1000000000000000, got nan"),
            (["--capital", "0"], "--capital must be a number above 0 and at most 1000000000000000, got 0"),
            (["--capital", "-1000"], "--capital must be a number above 0 and at most 1000000000000000, got -1000"),
            (["--capital", "inf"], "--capital must be a number above 0 and at most 1000000000000000, got inf"),
            (["--periods-per-year", "0"], "--periods-per-year must be a number above 0 and at most 31622400, got 0"),
            (["--periods-per-year", "nan"], "--periods-per-year must be a number above 0 and at most 31622400, got nan"),
            (["--periods-per-year", "inf"], "--periods-per-year must be a number above 0 and at most 31622400, got inf"),
            (["--slippage", "sqrt:1e308"], "--slippage's K must be a number from 0 to 1, got 1e+308"),
            (["--slippage", "fixed:10000"], "--slippage fixed:BPS must be basis points from 0 to less than 10000, got 10000"),
            (["--fees", "20000"], "--fees must be basis points from 0 to less than 10000, got 20000"),
            (["--taker-fees", "-1"], "--taker-fees must be basis points from 0 to less than 10000, got -1"),
            (["--tick-size", "inf"], "--tick-size must be a number above 0 and at most 1000000000, got inf"),
            (["--min-quality", "101"], "--min-quality must be a score from 0 to 100, got 101"),
            (["--participation", "0"], "--participation must be a percentage above 0 and at most 100, got 0"),
            (["--liquidation-fee", "10000"], "--liquidation-fee must be basis points from 0 to less than 10000, got 10000"),
            (["--liquidation-fee", "nan"], "--liquidation-fee must be basis points from 0 to less than 10000, got nan"),
            (["--borrow-rate", "1001"], "--borrow-rate must be a yearly percentage from 0 to 1000, got 1001"),
            (["--maintenance-margin", "100"], "--maintenance-margin must be a percentage from 0 to less than 100, got 100"),
        ]
        for (options, message) in cases {
            let r = try backtest(options)
            #expect(r.status == 2, "\(options)")
            #expect(r.stderr == "strat: error: \(message)\nstrat: note: see `strat backtest --help`\n", "\(options)")
            #expect(r.stdout.isEmpty)
        }
        // The edges are inside.
        #expect(try backtest("--capital", "1e15", "--fees", "9999.99", "--slippage", "sqrt:1", "--latency", "604800000").status == 0)
    }

    @Test func dataOptionsOutsideTheirRangesAreRefused() throws {
        let db = scratchDirectory.appendingPathComponent("strat-opt-\(UUID().uuidString).db").path
        let huge = try strat("data", "import", "Data/GOOG.csv", "--symbol", "G", "--interval", "99999999999w", "--db", db)
        #expect(huge.status == 2)
        #expect(huge.stderr.hasPrefix("strat: error: --interval must be a whole number of s, m, h, d, w or M (calendar months) such as 1m, 15m, 1h, 4h, 1d, 1w or 1M, at most 366d or 12M; got `99999999999w`\n"))
        let empty = try strat("data", "import", "Data/GOOG.csv", "--symbol", "", "--interval", "1d", "--db", db)
        #expect(empty.status == 2 && empty.stderr.hasPrefix("strat: error: --symbol must not be empty\n"))
        let z = try strat("data", "import", "Data/GOOG.csv", "--symbol", "G", "--interval", "1d", "--outlier-threshold", "nan", "--db", db)
        #expect(z.status == 2 && z.stderr.hasPrefix("strat: error: --outlier-threshold must be a z-score above 0 and at most 1000000, got nan\n"))
        #expect(!FileManager.default.fileExists(atPath: db))
        let bars = try strat("bench", "backtest", "--bars", "9223372036854775807")
        #expect(bars.status == 2 && bars.stderr.hasPrefix("strat: error: --bars must be a number of bars from 1 to 50000000, got 9223372036854775807\n"))
        let last = try strat("eval", "--data", "Data/GOOG.csv", "--last", "-1", "close")
        #expect(last.status == 2 && last.stderr.hasPrefix("strat: error: --last must be a number of rows from 0 to"))
    }

    @Test func batchOptionsOutsideTheirRangesAreRefused() throws {
        let cases: [([String], String)] = [
            (["--grid", "fast=10", "--jobs", "0"], "--jobs must be a number of threads from 1 to 1024, got 0"),
            (["--grid", "fast=10", "--top", "-1"], "--top must be a number of points from 0 to 1000000, got -1"),
            (["--random", "0"], "--random must be a number of points from 1 to 1000000, got 0"),
            (["--random", "2000000"], "--random must be a number of points from 1 to 1000000, got 2000000"),
            (["--grid", "fast=10", "--pbo-blocks", "22"], "--pbo-blocks must be even, from 2 to 20, got 22"),
            (["--grid", "fast=10", "--out", "r.txt"], "--out r.txt: the file must end in .csv or .json"),
        ]
        for (options, message) in cases {
            let r = try runProgram(stratBinary.path, ["batch", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv"] + options, in: repoRoot.path)
            #expect(r.status == 2, "\(options)")
            #expect(r.stderr == "strat: error: \(message)\nstrat: note: see `strat batch --help`\n", "\(options): \(r.stderr)")
        }
        let grid = try runProgram(stratBinary.path, ["batch", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--grid", "fast=5...60:0.00001",
                                                     "--grid", "slow=20...250:0.0001"], in: repoRoot.path)
        #expect(grid.status == 2 && grid.stderr.contains("values; at most 1000000"), "\(grid.stderr)")
    }

    @Test func argumentParserErrorsAreStratErrors() throws {
        let r = try backtest("--latency", "nan")
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: The value 'nan' is invalid for '--latency <latency>'\nstrat: note: see `strat backtest --help`\n")
        let missing = try strat("check")
        #expect(missing.stderr == "strat: error: Missing expected argument '<files> ...'\nstrat: note: see `strat check --help`\n")
    }

    @Test func replBacktestOptionsHaveTheSameRanges() throws {
        let r = try runProgram(stratBinary.path, ["repl", "--data", "Data/GOOG.csv", "--load", "Strategies/sma_cross.strat"], in: repoRoot.path,
                               input: ":backtest --fees 20000\n:backtest --slippage sqrt:1e308\n:backtest --capital 1e16\n:backtest --lot-sise 1\n")
        #expect(r.stderr == """
            error: :backtest: --fees must be basis points from 0 to less than 10000, got 20000
            error: :backtest: --slippage's K must be a number from 0 to 1, got 1e+308
            error: :backtest: --capital must be a number above 0 and at most 1000000000000000, got 1e+16
            error: :backtest: unknown option `--lot-sise`; the options are --capital, --from, --fees, --maker-fees, --taker-fees, --slippage, --half-spread, --fill, --lot-size, --tick-size, --latency, --participation, --session, --holidays, --periods-per-year, --borrow-rate, --maintenance-margin

            """)
    }
}
