import Foundation
import Testing
import StratTestSupport

/// What the commands that read a CSV say about one they cannot read as given,
/// and `--time-unit` on each of them (issue 11, C and D).
@Suite struct CSVInputTests {
    let seconds = "time,open,high,low,close,volume\n1704067200,1,2,0.5,1,1\n1704153600,1,2,0.5,1,1\n"

    @Test func epochSecondsAreRefusedOrReadWithTimeUnit() throws {
        let f = try temp("s.csv", seconds)
        let message = "strat: error: \(f.path):2: field `time`: `1704067200` looks like epoch seconds (2024-01-01T00:00:00Z), not milliseconds (1970-01-20T17:21:07.200Z); pass --time-unit s, or --time-unit ms to read milliseconds all the same\n"
        let db = scratchDirectory.appendingPathComponent("strat-tu-\(UUID().uuidString).db").path
        let commands: [[String]] = [["eval", "--data", f.path, "close"], ["backtest", "Strategies/sma_cross.strat", "--data", f.path],
                                    ["data", "import", f.path, "--symbol", "S", "--interval", "1d", "--db", db]]
        for c in commands {
            let r = try runProgram(stratBinary.path, c, in: repoRoot.path)
            #expect(r.status == 2 && r.stderr == message, "\(c)")
        }
        #expect(try strat("eval", "--data", f.path, "--time-unit", "s", "close").stdout == "time,value\n2024-01-01T00:00:00Z,1.0\n2024-01-02T00:00:00Z,1.0\n")
        #expect(try strat("data", "import", f.path, "--symbol", "S", "--interval", "1d", "--db", db, "--time-unit", "s").stdout
            .hasPrefix("imported 2 bars of S 1d (2 new)"))
        let bt = try strat("backtest", "Strategies/sma_cross.strat", "--data", f.path, "--time-unit", "s")
        #expect(bt.status == 0 && bt.stdout.contains("Period              2024-01-01T00:00:00Z … 2024-01-02T00:00:00Z (2 bars)\n"))
        let repl = try runProgram(stratBinary.path, ["repl", "--data", f.path, "--time-unit", "s"], in: repoRoot.path, input: "")
        #expect(repl.stdout == "s: 2 bars of 1d, 2024-01-01T00:00:00Z … 2024-01-02T00:00:00Z\n")
        let replRefused = try runProgram(stratBinary.path, ["repl", "--data", f.path], in: repoRoot.path, input: "")
        #expect(replRefused.status == 1 && replRefused.stderr.contains("looks like epoch seconds"))
        let bad = try strat("eval", "--data", f.path, "--time-unit", "minutes", "close")
        #expect(bad.status == 2 && bad.stderr.hasPrefix("strat: error: The value 'minutes' is invalid for '--time-unit <time-unit>'"))
    }

    @Test func headerOnlyCSVIsRefused() throws {
        let f = try temp("h.csv", "time,open,high,low,close,volume\n")
        let r = try strat("backtest", "Strategies/sma_cross.strat", "--data", f.path)
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: \(f.path):1: no bars: the file has a header but no rows\n")
        #expect(r.stdout.isEmpty)
    }

    @Test func missingDataFileSaysNoSuchFile() throws {
        let r = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/nope.csv")
        #expect(r.stderr == "strat: error: Data/nope.csv: no such file\n")
        let intrabar = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--intrabar", "GOOG=Data/nope.csv")
        #expect(intrabar.stderr == "strat: error: Data/nope.csv: no such file\n")
        let eval = try strat("eval", "--data", "Data/nope.csv", "close")
        #expect(eval.stderr == "strat: error: Data/nope.csv: no such file\n")
        let dir = try strat("eval", "--data", "Data", "close")
        #expect(dir.stderr == "strat: error: Data: is a directory; expected a CSV file of bars\n")
    }

    @Test func semicolonsTabsAndByteOrderMarksGetTheirOwnHint() throws {
        let semi = try temp("semi.csv", "time;open;high;low;close;volume\n2024-01-01;1;2;0,5;1;1\n")
        #expect(try strat("eval", "--data", semi.path, "close").stderr.hasSuffix("; the fields seem separated by `;`, but strat reads comma-separated values with `.` for decimals\n"))
        let tab = try temp("tab.csv", "time\topen\thigh\tlow\tclose\tvolume\n2024-01-01\t1\t2\t0.5\t1\t1\n")
        #expect(try strat("eval", "--data", tab.path, "close").stderr.hasSuffix("; the fields seem separated by tabs, but strat reads comma-separated values\n"))
        let bom = try temp("bom.csv", "\u{FEFF}time,open,high,low,close,volume\n2024-01-01,1,2,0.5,1,1\n")
        #expect(try strat("eval", "--data", bom.path, "close").stdout == "time,value\n2024-01-01T00:00:00Z,1.0\n")
    }
}
