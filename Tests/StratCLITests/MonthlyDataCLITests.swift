import Foundation
import Testing
import StratTestSupport

/// Calendar months (`1M`) through `strat data`, `strat backtest --data SYM=db:1M`
/// and the REPL, against a real SQLite file (issue 10, A7).
@Suite struct MonthlyDataCLITests {
    func db() -> String { scratchDirectory.appendingPathComponent("strat-month-\(UUID().uuidString)/t.db").path }
    var btc: String { repoRoot.appendingPathComponent("Data/BTCUSD.csv").path }

    static let cross = """
        strategy MonthlyCross {
          market spot
          timeframe 1M
          when crossover(close, sma(close, 6)) {
            enter long
          }
          when crossunder(close, sma(close, 6)) {
            exit long
          }
        }
        """

    @Test func monthlyBitcoinImportsListsAndExportsByteForByte() throws {
        let path = db()
        let imported = try strat("data", "import", "Data/BTCUSD.csv", "--symbol", "BTCUSD", "--interval", "1M", "--db", path)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout == """
            imported 156 bars of BTCUSD 1M (156 new) into \(path)
            BTCUSD 1M: 156 bars, quality score 100.0/100
              integrity     0
              duplicate     0
              out of order  0
              gap           0
              spacing       0
              outlier       0
              filled        0

            """)
        let list = try strat("data", "list", "--db", path)
        #expect(list.stdout.contains("\nBTCUSD      1M        spot    csv      156       2012-01-31T00:00:00Z  2024-12-31T00:00:00Z  100.0\n"), "\(list.stdout)")
        let out = scratchDirectory.appendingPathComponent("btc-\(UUID().uuidString).csv").path
        let exported = try strat("data", "export", "--symbol", "BTCUSD", "--interval", "1M", "--db", path, "--out", out)
        #expect(exported.stdout == "exported 156 bars to \(out)\n", "\(exported.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: btc)))
        let quality = try strat("data", "quality", "--symbol", "BTCUSD", "--interval", "1M", "--db", path)
        #expect(quality.stdout.hasPrefix("BTCUSD 1M (spot, csv): 156 bars, quality score 100.0/100\n"), "\(quality.stderr)")
        // 1m is a minute: no such series.
        let minutes = try strat("data", "export", "--symbol", "BTCUSD", "--interval", "1m", "--db", path, "--out", "-")
        #expect(minutes.status == 2 && minutes.stderr.contains("no bars stored for BTCUSD 1m"))
    }

    @Test func aMonthlyBacktestOnTheStoreEqualsTheOneOnTheCSV() throws {
        let path = db()
        _ = try strat("data", "import", "Data/BTCUSD.csv", "--symbol", "BTCUSD", "--interval", "1M", "--db", path)
        let strategy = try temp("cross.strat", Self.cross)
        let dir = strategy.deletingLastPathComponent()
        func run(_ data: String, _ name: String) throws -> (Run, Data) {
            let trades = dir.appendingPathComponent("\(name).csv")
            let r = try strat("backtest", strategy.path, "--data", data, "--db", path, "--trades", trades.path)
            return (r, try Data(contentsOf: trades))
        }
        let (csv, csvTrades) = try run("BTCUSD=\(btc)", "csv")
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.contains("(156 bars)"))
        #expect(csv.stdout.contains("Final equity        "))
        // db:1M, db (the strategy's timeframe) and *=db:1M read the same bars.
        for spec in ["BTCUSD=db:1M", "BTCUSD=db", "BTCUSD=db:1M:spot:csv", "*=db:1M"] {
            let (stored, storedTrades) = try run(spec, "db")
            #expect(stored.status == 0, "\(spec): \(stored.stderr)")
            #expect(stored.stdout == csv.stdout, "\(spec)")
            #expect(stored.stderr == csv.stderr, "\(spec)")
            #expect(storedTrades == csvTrades, "\(spec)")
        }
        #expect(String(decoding: csvTrades, as: UTF8.self).split(separator: "\n").count > 5)
        let bad = try strat("backtest", strategy.path, "--data", "BTCUSD=db:13M", "--db", path)
        #expect(bad.status == 2 && bad.stderr.contains("the INTERVAL a whole number of s, m, h, d, w or M (calendar months)"), "\(bad.stderr)")
    }

    /// Stored daily bars (no monthly series) are resampled to calendar months.
    @Test func storedDailyBarsAreResampledToMonths() throws {
        // 2024-01-01 … 2024-04-15, day i at 100 + i: open 100 + i, high +1, low −1, close +0.5.
        var csv = "time,open,high,low,close,volume\n"
        var t = Calendar(identifier: .gregorian)
        t.timeZone = TimeZone(identifier: "UTC")!
        let start = t.date(from: DateComponents(year: 2024, month: 1, day: 1))!
        let format = ISO8601DateFormatter()
        for i in 0..<106 {
            let p = 100 + Double(i)
            csv += "\(format.string(from: start.addingTimeInterval(Double(i) * 86_400))),\(p),\(p + 1),\(p - 1),\(p + 0.5),1\n"
        }
        let daily = try temp("daily.csv", csv)
        let path = db()
        let imported = try strat("data", "import", daily.path, "--symbol", "X", "--interval", "1d", "--db", path)
        #expect(imported.status == 0, "\(imported.stderr)")
        let strategy = try temp("up.strat", "strategy Up {\n  market spot\n  timeframe 1M\n  when close > open {\n    enter long size qty(1)\n  }\n}\n")
        let json = strategy.deletingLastPathComponent().appendingPathComponent("r.json")
        let r = try strat("backtest", strategy.path, "--data", "X=db:1M", "--db", path, "--json", json.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("strat: note: X 1M resampled from stored 1d bars (the last, unfinished 1M bar left out)\n"), "\(r.stderr)")
        // January (days 0–30): O 100 H 131 L 99 C 130.5; February (31–59): O 131 … C 159.5;
        // March (60–90): O 160 H 191 L 159 C 190.5; April unfinished. January closes up:
        // buy 1 at February's open (131), held to March's close (190.5).
        #expect(r.stdout.contains("Period              2024-01-01T00:00:00Z … 2024-03-01T00:00:00Z (3 bars)\n"), "\(r.stdout)")
        #expect(r.stdout.contains("Final equity        10059.50\n"))
        let report = try String(contentsOf: json, encoding: .utf8)
        #expect(report.contains("\"time\":\"2024-02-01T00:00:00Z\""))
        #expect(report.contains("\"price\":131.0"))
    }

    @Test func aMissingMonthIsFoundAsAGapAndRepairFillsIt() throws {
        // BTCUSD without June 2013 (line 19).
        let lines = try String(contentsOfFile: btc, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[18].hasPrefix("2013-06-30"))
        let holed = try temp("holed.csv", (lines[..<18] + lines[19...]).joined(separator: "\n"))
        let path = db()
        let flagged = try strat("data", "import", holed.path, "--symbol", "BTCUSD", "--interval", "1M", "--db", path)
        #expect(flagged.status == 0, "\(flagged.stderr)")
        #expect(flagged.stdout.contains("BTCUSD 1M: 155 bars, quality score 99.4/100\n"))
        #expect(flagged.stdout.contains("  gap           1 (1 missing bars)\n"))
        #expect(flagged.stdout.contains("    2013-07-31T00:00:00Z  gap  1 bar missing since 2013-05-31T00:00:00Z (line 19)\n"), "\(flagged.stdout)")
        let rejected = try strat("data", "import", holed.path, "--symbol", "R", "--interval", "1M", "--db", path, "--on-gap", "reject")
        #expect(rejected.status == 2 && rejected.stderr.contains("\(holed.path):19: gap: 1 bar missing since 2013-05-31T00:00:00Z at 2013-07-31T00:00:00Z"))
        // Repaired: June 2013 comes back month-end, flat at May's close, with no volume.
        let repaired = try strat("data", "import", holed.path, "--symbol", "F", "--interval", "1M", "--db", path, "--on-gap", "repair")
        #expect(repaired.stdout.hasPrefix("imported 156 bars of F 1M (156 new)"), "\(repaired.stderr)")
        #expect(repaired.stdout.contains("  filled        1\n"))
        let export = try strat("data", "export", "--symbol", "F", "--interval", "1M", "--db", path, "--from", "2013-05-01", "--to", "2013-08-01", "--flags", "--out", "-")
        #expect(export.stdout == """
            time,open,high,low,close,volume,flags
            2013-05-31T00:00:00Z,136.83,141.28,81.5,127.24,300589.36039921,
            2013-06-30T00:00:00Z,127.24,127.24,127.24,127.24,0.0,filled
            2013-07-31T00:00:00Z,89.01,101.0,63.0,99.67,419753.86745611,after_gap

            """)
        // Daily bars are not months: refused, naming the row.
        let daily = try strat("data", "import", "Data/GOOG.csv", "--symbol", "G", "--interval", "1M", "--db", path)
        #expect(daily.status == 2 && daily.stderr.contains("Data/GOOG.csv:3: spacing: in the same calendar month as the previous bar (2004-08-19T00:00:00Z); expected one bar per 1M"), "\(daily.stderr)")
    }

    @Test func everyIntervalOptionTakesMonthsAndSaysSo() throws {
        let path = db()
        let expected = "must be a whole number of s, m, h, d, w or M (calendar months) such as 1m, 15m, 1h, 4h, 1d, 1w or 1M, at most 366d or 12M; got `13M`"
        for command in [["data", "import", "Data/BTCUSD.csv", "--symbol", "B"], ["data", "export", "--symbol", "B", "--out", "-"],
                        ["data", "quality", "--symbol", "B"]] {
            let r = try runStrat(command + ["--interval", "13M", "--db", path])
            #expect(r.status == 2 && r.stderr.contains("--interval " + expected), "\(command): \(r.stderr)")
        }
        let fetch = try strat("data", "fetch", "--symbol", "B", "--interval", "3M", "--from", "2024-01-01", "--to", "2025-01-01", "--db", path)
        #expect(fetch.status == 2 && fetch.stderr.contains("--interval must be one of Binance's: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M (M: calendar months), got `3M`"))
        // The REPL reads stored months.
        _ = try strat("data", "import", "Data/BTCUSD.csv", "--symbol", "BTCUSD", "--interval", "1M", "--db", path)
        let text = try runProgram(stratBinary.path, ["repl"], environment: ["STRAT_DB": path, "NO_COLOR": "1"],
                                  input: ":data BTCUSD 1M\nclose[1]\n:data BTCUSD 1m\n")
        #expect(text.stdout == "BTCUSD: 156 bars of 1M from the store, 2012-01-31T00:00:00Z … 2024-12-31T00:00:00Z\nseries Price = 97482.00\n", "\(text.stderr)")
        #expect(text.stderr.contains("no bars stored for BTCUSD 1m (spot, csv)"))
        // Monthly bars from a CSV are months too (not 31-day bars): the session's timeframe is 1M.
        let csv = try runProgram(stratBinary.path, ["repl"], in: repoRoot.path, environment: ["NO_COLOR": "1"], input: ":data Data/BTCUSD.csv\nclose@1w\n")
        #expect(csv.stdout == "BTCUSD: 156 bars of 1M, 2012-01-31T00:00:00Z … 2024-12-31T00:00:00Z\n")
        #expect(csv.stderr.contains("1w bars are finer than the strategy's 1M timeframe"), "\(csv.stderr)")
    }
}
