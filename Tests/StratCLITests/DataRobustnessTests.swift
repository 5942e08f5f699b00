import Foundation
import Testing
import StratTestSupport

/// `strat data` under hostile input (issue 11, sections A–C): nothing crashes,
/// nothing stored is lost, nothing is misread.
@Suite struct DataRobustnessTests {
    func db() -> String { scratchDirectory.appendingPathComponent("strat-robust-\(UUID().uuidString)/t.db").path }

    @Test func gapRepairOfTwentyYearsAtOneSecondIsRefusedWithTheCount() throws {
        let csv = try temp("gap.csv", "time,open,high,low,close,volume\n2004-01-01T00:00:00Z,1,1,1,1,1\n2024-01-01T00:00:00Z,1,1,1,1,1\n")
        let path = db()
        let r = try strat("data", "import", csv.path, "--symbol", "X", "--interval", "1s", "--on-gap", "repair", "--db", path)
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: nothing imported: \(csv.path): repairing the gaps would add 631,151,999 bars (the largest gap: 631,151,999 bars after 2004-01-01T00:00:00Z), more than the limit of 1,000,000 filled bars per import; import with --on-gap flag to store the bars and report the gaps, or check --interval\n")
        let flagged = try strat("data", "import", csv.path, "--symbol", "X", "--interval", "1s", "--db", path)
        #expect(flagged.status == 0 && flagged.stdout.contains("  gap           1 (631151999 missing bars)\n"))
    }

    @Test func hourlyBarsImportedAsDailyAreRefusedOrFlagged() throws {
        let path = db()
        let r = try strat("data", "import", "Data/EURUSD.csv", "--symbol", "EURUSD", "--interval", "1d", "--db", path)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("strat: error: nothing imported:\nData/EURUSD.csv:3: spacing: 1h after the previous bar; expected a whole number of 1d intervals at 2017-04-19T10:00:00Z\n"))
        let flagged = try strat("data", "import", "Data/EURUSD.csv", "--symbol", "EURUSD", "--interval", "1d", "--on-spacing", "flag", "--db", path)
        #expect(flagged.status == 0)
        #expect(flagged.stdout.contains("quality score 0.0/100\n"))
        #expect(flagged.stdout.contains("  spacing       "))
        let quality = try strat("data", "quality", "--symbol", "EURUSD", "--interval", "1d", "--db", path)
        #expect(quality.stdout.contains("quality score 0.0/100\n") && quality.stdout.contains("  spacing       "))
        let hourly = try strat("data", "import", "Data/EURUSD.csv", "--symbol", "EURUSD", "--interval", "1h", "--db", path)
        #expect(hourly.status == 0 && hourly.stdout.contains("  spacing       0\n"))
        let repair = try strat("data", "import", "Data/EURUSD.csv", "--symbol", "EURUSD", "--interval", "1h", "--on-spacing", "repair", "--db", path)
        #expect(repair.status == 2 && repair.stderr.hasPrefix("strat: error: --on-spacing must be reject or flag"))
    }

    @Test func reimportingChangedBarsFollowsOnConflict() throws {
        let path = db()
        let a = try temp("a.csv", "time,open,high,low,close,volume\n2024-01-01,10,11,9,10,5\n2024-01-02,10,11,9,10,5\n2024-01-03,10,11,9,10,5\n")
        let b = try temp("b.csv", "time,open,high,low,close,volume\n2024-01-02,10,12,9,11,5\n2024-01-03,10,11,9,10,5\n2024-01-04,10,11,9,10,5\n")
        #expect(try strat("data", "import", a.path, "--symbol", "X", "--interval", "1d", "--db", path).status == 0)
        let refused = try strat("data", "import", b.path, "--symbol", "X", "--interval", "1d", "--db", path)
        #expect(refused.status == 2)
        #expect(refused.stderr == """
            strat: error: 1 bar of X differs from the one stored in \(path); nothing imported
              2024-01-02T00:00:00Z: stored 10.0 11.0 9.0 10.0 5.0, imported 10.0 12.0 9.0 11.0 5.0 (open high low close volume)
            (choose --on-conflict keep to store only the new bars, or --on-conflict replace to overwrite the stored ones)

            """)
        let export = ["data", "export", "--symbol", "X", "--interval", "1d", "--db", path, "--out", "-"]
        #expect(try runProgram(stratBinary.path, export).stdout.split(separator: "\n").count == 4)     // unchanged
        let kept = try strat("data", "import", b.path, "--symbol", "X", "--interval", "1d", "--db", path, "--on-conflict", "keep")
        #expect(kept.stdout.hasPrefix("imported 3 bars of X 1d (1 new, 1 changed: the stored bars kept) into \(path)\n"))
        #expect(try runProgram(stratBinary.path, export).stdout.contains("2024-01-02T00:00:00Z,10.0,11.0,9.0,10.0,5.0\n"))
        let replaced = try strat("data", "import", b.path, "--symbol", "X", "--interval", "1d", "--db", path, "--on-conflict", "replace")
        #expect(replaced.stdout.hasPrefix("imported 3 bars of X 1d (0 new, 1 changed: replaced) into \(path)\n"))
        #expect(try runProgram(stratBinary.path, export).stdout.contains("2024-01-02T00:00:00Z,10.0,12.0,9.0,11.0,5.0\n"))
    }

    @Test func twoConcurrentImportsIntoOneStoreBothSucceed() throws {
        // Big enough that the two writes overlap (before: "SQLite error 5: database is locked").
        var text = "time,open,high,low,close,volume\n"
        for i in 0..<200_000 { text += "\(1_704_067_200_000 + Int64(i) * 60_000),100,101,99,100,\(i % 100 + 1)\n" }
        let csv = try temp("big.csv", text)
        let path = db()
        let children = try ["A", "B"].map { symbol in
            try Child(stratBinary.path, ["data", "import", csv.path, "--symbol", symbol, "--interval", "1m", "--db", path])
        }
        for (child, symbol) in zip(children, ["A", "B"]) {
            let r = try child.wait()
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.hasPrefix("imported 200000 bars of \(symbol) 1m (200000 new) into \(path)\n"))
        }
        #expect(try strat("data", "list", "--db", path).stdout.split(separator: "\n").count == 3)
    }

    @Test func readsOpenTheStoreReadOnlyAndCreateNothing() throws {
        let dir = scratchDirectory.appendingPathComponent("strat-none-\(UUID().uuidString)")
        let missing = dir.appendingPathComponent("x.db").path
        for args in [["data", "list"], ["data", "export", "--symbol", "X", "--interval", "1d", "--out", "-"],
                     ["data", "quality", "--symbol", "X", "--interval", "1d"]] {
            let r = try runProgram(stratBinary.path, args + ["--db", missing])
            #expect(r.status == 2)
            #expect(r.stderr == "strat: error: \(missing): no such store; `strat data import` or `strat data fetch` makes one\n", "\(args)")
        }
        let bt = try strat("backtest", "Strategies/sma_cross.strat", "--data", "GOOG=db:1d", "--db", missing)
        #expect(bt.status == 2 && bt.stderr.contains("no such store"))
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    /// A store in a directory the user may not write, in a file they may not
    /// write: list, export, quality and backtest read it. (Run as `nobody` when
    /// the tests run as root, whom permissions do not stop.)
    @Test func aReadOnlyStoreCanBeRead() throws {
        let dir = scratchDirectory.appendingPathComponent("strat-ro-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("x.db").path
        #expect(try strat("data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--weekdays", "--db", path).status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: dir.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path) }
        func run(_ args: String...) throws -> Run {
            let command = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", stratBinary.path] : [stratBinary.path]
            return try runProgram(command[0], Array(command.dropFirst()) + args, in: repoRoot.path)
        }
        let list = try run("data", "list", "--db", path)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("GOOG        1d        spot    csv      2148"))
        let export = try run("data", "export", "--symbol", "GOOG", "--interval", "1d", "--from", "2013-03-01", "--db", path, "--out", "-")
        #expect(export.stdout == "time,open,high,low,close,volume\n2013-03-01T00:00:00Z,797.8,807.14,796.15,806.19,2175400.0\n")
        let quality = try run("data", "quality", "--symbol", "GOOG", "--interval", "1d", "--weekdays", "--db", path)
        #expect(quality.status == 0 && quality.stderr == "strat: note: \(path) is read-only; the report is not saved\n")
        let bt = try run("backtest", "Strategies/sma_cross.strat", "--data", "GOOG=db:1d", "--db", path, "--lot-size", "1")
        #expect(bt.status == 0 && bt.stdout.contains("Final equity        57752.99\n"), "\(bt.stderr)")
        let write = try run("data", "import", "Data/GOOG.csv", "--symbol", "G2", "--interval", "1d", "--db", path)
        #expect(write.status == 2 && write.stderr.hasPrefix("strat: error: \(path): "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["x.db"])
    }
}

extension DataRobustnessTests {
    @Test func barsFlaggedForIntegrityWarnAreRefusedUnderStrictAndExportWithFlags() throws {
        let path = db()
        let csv = try temp("f.csv", "time,open,high,low,close,volume\n2024-01-01,10,11,9,10,5\n2024-01-02,10,9,11,10,5\n2024-01-03,10,11,9,10,5\n2024-01-04,10,11,9,10,5\n")
        #expect(try strat("data", "import", csv.path, "--symbol", "F", "--interval", "1d", "--on-invalid", "flag", "--db", path).status == 0)
        let s = try temp("up.strat", "strategy Up {\n  market spot\n\n  when close > open {\n    enter long\n  }\n}\n")
        let warned = try strat("backtest", s.path, "--data", "F=db:1d", "--db", path, "--min-quality", "0")
        #expect(warned.status == 0)
        #expect(warned.stderr == "strat: warning: F 1d: 1 stored bar is flagged for OHLC integrity (e.g. high below low), first at 2024-01-02T00:00:00Z; see `strat data export --flags`\n")
        let strict = try strat("backtest", s.path, "--data", "F=db:1d", "--db", path, "--min-quality", "0", "--strict")
        #expect(strict.status == 2)
        #expect(strict.stderr == "strat: error: F 1d: 1 stored bar is flagged for OHLC integrity (e.g. high below low), first at 2024-01-02T00:00:00Z; see `strat data export --flags` (--strict)\n")
        let export = try strat("data", "export", "--symbol", "F", "--interval", "1d", "--db", path, "--flags", "--out", "-")
        #expect(export.stdout == """
            time,open,high,low,close,volume,flags
            2024-01-01T00:00:00Z,10.0,11.0,9.0,10.0,5.0,
            2024-01-02T00:00:00Z,10.0,9.0,11.0,10.0,5.0,integrity
            2024-01-03T00:00:00Z,10.0,11.0,9.0,10.0,5.0,
            2024-01-04T00:00:00Z,10.0,11.0,9.0,10.0,5.0,

            """)
        let adjusted = try strat("data", "export", "--symbol", "F", "--interval", "1d", "--db", path, "--flags", "--adjust", "splits", "--out", "-")
        #expect(adjusted.stdout == export.stdout)
    }
}

extension DataRobustnessTests {
    /// A store whose directory is missing and cannot be made says which
    /// directory is missing (run as `nobody` when the tests run as root).
    @Test func aMissingStoreDirectoryIsNamed() throws {
        let command = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", stratBinary.path] : [stratBinary.path]
        let r = try runProgram(command[0], Array(command.dropFirst()) + ["data", "import", "Data/GOOG.csv", "--symbol", "G", "--interval", "1d",
                                                                         "--weekdays", "--db", "/nonexistent/a/x.db"], in: repoRoot.path)
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: /nonexistent/a/x.db: no such directory /nonexistent, and it cannot be made (Permission denied)\n")
        let file = try temp("plain.txt", "x")
        let notDir = try strat("data", "import", "Data/GOOG.csv", "--symbol", "G", "--interval", "1d", "--weekdays", "--db", file.path + "/x.db")
        #expect(notDir.stderr == "strat: error: \(file.path)/x.db: \(file.path) is not a directory\n")
    }
}
