import Foundation
import Testing
import StratTestSupport

/// `strat data` against a real SQLite file.
@Suite struct DataCLITests {
    func db() -> String { scratchDirectory.appendingPathComponent("strat-data-\(UUID().uuidString)/t.db").path }

    @Test func importListExportRoundTrip() throws {
        let path = db()
        let imported = try strat("data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays", "--db", path)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.hasPrefix("imported 2148 bars of GOOG 1d (2148 new) into \(path)\nGOOG 1d: 2148 bars, quality score 96.3/100\n"))
        // Again: nothing new, nothing duplicated.
        let again = try strat("data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays", "--db", path)
        #expect(again.stdout.hasPrefix("imported 2148 bars of GOOG 1d (0 new)"))
        let list = try strat("data", "list", "--db", path)
        #expect(list.stdout.contains("GOOG        1d        spot    csv      2148      2004-08-19T00:00:00Z  2013-03-01T00:00:00Z  96.3"))
        let out = scratchDirectory.appendingPathComponent("strat-export-\(UUID().uuidString).csv").path
        let exported = try strat("data", "export", "--symbol", "GOOG", "--interval", "1d", "--db", path, "--out", out)
        #expect(exported.stdout == "exported 2148 bars to \(out)\n")
        // The export reads back as the same bars.
        let a = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let b = try String(contentsOfFile: repoRoot.appendingPathComponent("Data/GOOG.csv").path, encoding: .utf8).split(separator: "\n")
        #expect(a.count == b.count && a[0] == b[0])
        for (x, y) in zip(a.dropFirst(), b.dropFirst()) {
            #expect(x.split(separator: ",").map { Double($0) ?? 0 }.dropFirst() == y.split(separator: ",").map { Double($0) ?? 0 }.dropFirst())
            #expect(x.prefix(20) == y.prefix(20))
        }
        let range = try strat("data", "export", "--symbol", "GOOG", "--interval", "1d", "--db", path, "--from", "2013-02-28", "--out", "-")
        #expect(range.stdout == "time,open,high,low,close,volume\n2013-02-28T00:00:00Z,801.1,806.99,801.03,801.2,2265800.0\n2013-03-01T00:00:00Z,797.8,807.14,796.15,806.19,2175400.0\n")
        let quality = try strat("data", "quality", "--symbol", "GOOG", "--interval", "1d", "--db", path)
        #expect(quality.stdout.hasPrefix("GOOG 1d (spot, csv): 2148 bars, quality score 54.9/100\n"))   // weekends count as gaps here
    }

    @Test func backtestAndReplReadTheStore() throws {
        let path = db()
        _ = try strat("data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays", "--db", path)
        let r = try strat("backtest", "Strategies/sma_cross.strat", "--data", "GOOG=db:1d", "--db", path, "--lot-size", "1")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Final equity        57752.99\n"))
        #expect(r.stderr == "strat: note: 1 × exits ignored: no long position: 2004-11-26T00:00:00Z (line 17)\n")
        let warned = try strat("backtest", "Strategies/sma_cross.strat", "--data", "GOOG=db:1d", "--db", path, "--min-quality", "99")
        #expect(warned.status == 0 && warned.stderr.contains("strat: warning: GOOG 1d scores 96.3/100 for quality, below 99.0"))
        let strict = try strat("backtest", "Strategies/sma_cross.strat", "--data", "GOOG=db:1d", "--db", path, "--min-quality", "99", "--strict")
        #expect(strict.status == 2 && strict.stderr.contains("(--strict)"))
        let missing = try strat("backtest", "Strategies/sma_cross.strat", "--data", "MSFT=db:1d", "--db", path)
        #expect(missing.status == 2 && missing.stderr.contains("no bars stored for MSFT 1d"))
        // The REPL's :data SYMBOL INTERVAL.
        let text = try runProgram(stratBinary.path, ["repl"], environment: ["STRAT_DB": path, "NO_COLOR": "1"],
                                  input: ":data GOOG 1d\nsma(close, 20)\n").stdout
        #expect(text == "GOOG: 2148 bars of 1d from the store, 2004-08-19T00:00:00Z … 2013-03-01T00:00:00Z\nseries Price = 786.9580\n")
    }

    @Test func adjustedExportsAndResampledBacktests() throws {
        let path = db()
        _ = try strat("data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays", "--db", path)
        let actions = try temp("a.csv", "time,symbol,kind,value\n2010-01-04,GOOG,split,2\n")
        let stored = try strat("data", "actions", "import", actions.path, "--db", path)
        #expect(stored.stdout == "stored 1 corporate actions (1 splits, 0 dividends)\n")
        let adjusted = try strat("data", "export", "--symbol", "GOOG", "--interval", "1d", "--db", path,
                                 "--from", "2009-12-31", "--to", "2010-01-05", "--adjust", "splits", "--out", "-")
        #expect(adjusted.stdout == "time,open,high,low,close,volume\n2009-12-31T00:00:00Z,312.375,312.7,309.99,309.99,2439600.0\n2010-01-04T00:00:00Z,626.95,629.51,624.24,626.75,1956200.0\n")
        // A 1w strategy on stored 1d bars: resampled on the fly.
        let weekly = try temp("w.strat", "strategy W {\n  market spot\n  timeframe 1w\n  when close > open {\n    enter long\n  }\n}\n")
        let r = try strat("backtest", weekly.path, "--data", "GOOG=db", "--db", path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("note: GOOG 1w resampled from stored 1d bars"))
        #expect(r.stdout.contains("2004-08-16T00:00:00Z … 2013-02-18T00:00:00Z (445 bars)"))   // weeks from Monday; the unfinished last week left out
    }

    @Test func everyStoredSymbolAsTheCandidatesOfADynamicUniverse() throws {
        let path = db()
        for (symbol, file) in [("GOOG", "Data/GOOG.csv"), ("GOOG2", "Data/GOOG.csv")] {
            _ = try strat("data", "import", file, "--symbol", symbol, "--interval", "1d", "--weekdays", "--db", path)
        }
        let s = try temp("top.strat", "strategy Top {\n  market spot\n  universe top 1 by roc(close, 20)\n  timeframe 1d\n\n  when close > 0 {\n    enter long size qty(1)\n  }\n}\n")
        let r = try strat("backtest", s.path, "--data", "*=db:1d", "--db", path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Strategy            Top on GOOG, GOOG2\n"))
        let none = try strat("backtest", s.path, "--data", "*=db:1h", "--db", path)
        #expect(none.status == 2 && none.stderr.contains("no symbols stored at 1h"))
    }

    @Test func policiesDecideWhatBadRowsDo() throws {
        let csv = try temp("bad.csv", """
            time,open,high,low,close,volume
            2024-01-01T00:00:00Z,100,101,99,100,10
            2024-01-01T01:00:00Z,100,99,98,100,10
            2024-01-01T01:00:00Z,100,101,99,100,10
            2024-01-01T04:00:00Z,100,101,99,100,10

            """)
        let path = db()
        let rejected = try strat("data", "import", csv.path, "--symbol", "X", "--interval", "1h", "--db", path)
        #expect(rejected.status == 2)
        #expect(rejected.stderr.contains("nothing imported:\n\(csv.path):3: integrity: high 99.0 below max(open, close) at 2024-01-01T01:00:00Z"))
        #expect(rejected.stderr.contains("\(csv.path):4: duplicate: a second bar at this time (first on line 3)"))
        #expect(try strat("data", "list", "--db", path).stderr.contains("no such store"))   // not even made
        let repaired = try strat("data", "import", csv.path, "--symbol", "X", "--interval", "1h", "--db", path,
                                 "--on-invalid", "flag", "--on-duplicate", "repair", "--on-gap", "repair")
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(repaired.stdout.contains("imported 5 bars of X 1h (5 new)"))
        #expect(repaired.stdout.contains("  gap           1 (2 missing bars)\n"))
        #expect(repaired.stdout.contains("  filled        2\n"))
        let badInterval = try strat("data", "import", csv.path, "--symbol", "X", "--interval", "hourly", "--db", path)
        #expect(badInterval.status == 2 && badInterval.stderr.contains("--interval must be a whole number of s, m, h, d, w or M (calendar months) such as 1m"))
        let malformed = try temp("m.csv", "time,open,high,low,close,volume\n2024-01-01,1,1,1,x,1\n")
        let m = try strat("data", "import", malformed.path, "--symbol", "X", "--interval", "1d", "--db", path)
        #expect(m.status == 2 && m.stderr.contains("m.csv:2: field `close`: `x` is not a finite number"))
        let none = try strat("data", "export", "--symbol", "NOPE", "--interval", "1h", "--db", path, "--out", "-")
        #expect(none.status == 2 && none.stderr.contains("no bars stored for NOPE 1h"))
    }
}
