import Foundation
import Testing
import StratTestSupport

/// A real terminal: tmux runs a program (`strat repl`, Neovim), keys go in
/// with send-keys, the screen comes back with capture-pane.
final class Terminal {
    let name = "strat-test-\(UUID().uuidString.prefix(8))"

    /// A 120×40 terminal running `shell`, a /bin/sh command line.
    init(shell: String) throws {
        try tmux(["new-session", "-d", "-s", name, "-x", "120", "-y", "40", shell])
    }

    /// `strat COMMAND` in the repository, with its own history file.
    convenience init(_ command: String, history: String) throws {
        try self.init(shell: "cd '\(repoRoot.path)' && STRAT_HISTORY='\(history)' NO_COLOR=1 '\(stratBinary.path)' \(command)")
    }

    deinit { _ = try? tmux(["kill-server"]) }

    /// Runs tmux on this terminal's own server (`-L`), so that tests neither
    /// see nor touch any other tmux and the server goes with the terminal.
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        try runProgram("tmux", ["-L", name] + args, timeout: 30).stdout
    }

    /// Keys as tmux names them: text, "Enter", "Tab", "C-c", "C-d", "Up".
    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", name] + keys) }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", name]) }

    /// Waits (up to 15 s) until the screen holds `text` as often as `count`; returns the screen.
    @discardableResult
    func wait(for text: String, count: Int = 1) throws -> String {
        let deadline = Date().addingTimeInterval(15)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if last.components(separatedBy: text).count - 1 >= count { return last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        Issue.record("timed out waiting for \(text.debugDescription); the screen was:\n\(last)")
        return last
    }

}

func tempHistory() -> String {
    scratchDirectory.appendingPathComponent("strat-history-\(UUID().uuidString)").path
}

@Suite(.serialized) struct ReplTerminalTests {
    @Test func promptEvaluationAndCompletion() throws {
        let t = try Terminal("repl --data Data/GOOG.csv", history: tempHistory())
        try t.wait(for: "strat>")
        try t.send("ema(close, 20)", "Enter")
        var s = try t.wait(for: "last 60 bars")
        #expect(s.contains("series Price"))
        #expect(s.contains("2013-03-01T00:00:00Z  784.9617"))
        // Tab completes a built-in...
        try t.send("bban", "Tab")
        s = try t.wait(for: "strat> bbands")
        // ...and a name bound in the session.
        try t.send("C-u", "let momentum = close - close[10]", "Enter")
        try t.wait(for: "momentum: series Price = ")
        try t.send("mome", "Tab", "Enter")
        s = try t.wait(for: "last 60 bars", count: 2)
        #expect(s.contains("strat> momentum\n"))
        try t.send(":q", "Tab")
        try t.wait(for: "strat> :quit")
        try t.send("Enter")
    }

    @Test func multiLineInputAndCtrlC() throws {
        let t = try Terminal("repl --data Data/GOOG.csv", history: tempHistory())
        try t.wait(for: "strat>")
        try t.send("sma(close,", "Enter")
        try t.wait(for: "...>")
        try t.send("10)", "Enter")
        var s = try t.wait(for: "last 60 bars")
        #expect(s.contains("2013-03-01T00:00:00Z  797.5510"))
        // Ctrl-C abandons an open multi-line entry; the session goes on.
        try t.send("rsi(close,", "Enter")
        try t.wait(for: "...>")
        try t.send("C-c")
        try t.wait(for: "strat>", count: 3)
        try t.send("1 + 1", "Enter")
        s = try t.wait(for: "const Int")
        #expect(s.contains("  2\n"))
        #expect(!s.contains("error"))
    }

    @Test func historyCarriesOverToTheNextSession() throws {
        let history = tempHistory()
        do {
            let first = try Terminal("repl", history: history)
            try first.wait(for: "strat>")
            try first.send("2 * 21", "Enter")
            try first.wait(for: "const Int")
            try first.send("C-d")
            // The REPL writes its history as it leaves; wait for that (a loaded
            // machine can take a while) before the terminal goes.
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline, !((try? String(contentsOfFile: history, encoding: .utf8))?.contains("2 * 21") ?? false) {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        #expect(try String(contentsOfFile: history, encoding: .utf8).contains("2 * 21"))
        let second = try Terminal("repl", history: history)
        try second.wait(for: "strat>")
        try second.send("Up")
        try second.wait(for: "strat> 2 * 21")
        try second.send("Enter")
        let s = try second.wait(for: "42")
        #expect(s.contains("const Int"))
    }

    @Test func errorsShowTheCaretAndTheSessionGoesOn() throws {
        let t = try Terminal("repl --data Data/GOOG.csv", history: tempHistory())
        try t.wait(for: "strat>")
        try t.send("close + volume", "Enter")
        let s = try t.wait(for: "error[E0301]")
        #expect(s.contains("<input>:1:7: error[E0301]: can't add Price and Volume"))
        #expect(s.contains("~~~~~ ^ ~~~~~~"))
        try t.send(")))", "Enter")
        try t.wait(for: "error[", count: 2)
        try t.send("close > open", "Enter")
        try t.wait(for: "series Bool")
    }
}

/// The REPL as a script: stdin from a pipe.
@Suite struct ReplPipeTests {
    func repl(_ input: String, _ args: String...) throws -> Run {
        try runProgram(stratBinary.path, ["repl"] + args, in: repoRoot.path, input: input)
    }

    @Test func oneResultPerLineNoPrompts() throws {
        let r = try repl("""
            ema(close, 20)
            let fast = sma(close, 10)
            fast > close
            macd(close, 12, 26, 9)
            :type rsi(close, 14)
            :last 2 rsi(close, 14)
            :at 2010-01-04 close
            input k = 2
            :set k=3
            bbands(close, 20, k).upper
            sma(close,
              5)
            fn mid(a, b) = (a + b) / 2
            mid(high, low)
            1 + 2
            """, "--data", "Data/GOOG.csv")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        #expect(r.stdout == """
            GOOG: 2148 bars of 1d, 2004-08-19T00:00:00Z … 2013-03-01T00:00:00Z
            series Price = 784.9617
            fast: series Price = 797.5510
            series Bool = false
            series (macd, signal, hist) = macd 15.1542, signal 15.8179, hist -0.663759
            series Float
            2013-02-28T00:00:00Z  65.5529
            2013-03-01T00:00:00Z  67.4980
            2010-01-04T00:00:00Z  626.7500
            k = 2 (input Int)
            k = 3
            series Price = 825.7819
            series Price = 797.6140
            fn mid(a, b)
            series Price = 801.6450
            const Int = 3

            """)
    }

    @Test func errorsGoToStderrAndTheExitStatusIsOne() throws {
        let r = try repl("close + volume\nclose > 1\n:nope\nsma(close,\n", "--data", "Data/GOOG.csv")
        #expect(r.status == 1)
        #expect(r.stdout.contains("series Bool = true"))
        #expect(r.stderr.contains("<input>:1:7: error[E0301]: can't add Price and Volume"))
        #expect(r.stderr.contains("unknown command :nope"))
        #expect(r.stderr.contains("the input ended inside an open"))
    }

    /// `:backtest` takes `strat backtest`'s options and gives its numbers.
    @Test func backtestOptionsAsOnTheCommandLine() throws {
        let r = try repl("""
            :load Strategies/sma_cross.strat
            :backtest --lot-size 1
            :backtest --fees=10 --lot-size 1 --fill close
            :backtest --lot-size
            :backtest --fill tomorrow
            """, "--data", "Data/GOOG.csv")
        let finals = r.stdout.split(separator: "\n").filter { $0.hasPrefix("Final equity") }
        #expect(finals == ["Final equity        57752.99", "Final equity        59426.70"])
        let cli = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1", "--fees", "10", "--fill", "close")
        #expect(cli.stdout.contains("Final equity        59426.70\n"))
        #expect(r.status == 1)
        #expect(r.stderr.contains(":backtest: --lot-size needs a value"))
        #expect(r.stderr.contains(":backtest: --fill must be next-open or close, got `tomorrow`"))
    }

    @Test func loadSetBacktestPlotAndReset() throws {
        let svg = scratchDirectory.appendingPathComponent("strat-\(UUID().uuidString).svg").path
        let r = try repl("""
            :load Strategies/sma_cross.strat
            :set fast=5
            :set fast=1
            fastMa
            :backtest
            :plot fastMa \(svg)
            :reset
            fastMa
            """, "--data", "Data/GOOG.csv")
        #expect(r.status == 1)   // `:set fast=1` is out of range and fastMa is gone after :reset
        #expect(r.stdout.contains("loaded SmaCross from Strategies/sma_cross.strat: fast, slow, fastMa, slowMa\n"))
        #expect(r.stdout.contains("fast = 5\n"))
        #expect(r.stderr.contains("fast = 1 is outside the declared range 5...60"))
        #expect(r.stdout.contains("Strategy            SmaCross on GOOG\n"))
        #expect(r.stdout.contains("wrote \(svg) (2148 bars)"))
        #expect(r.stdout.contains("session reset (bars kept)"))
        #expect(r.stderr.contains("error[E0201]") || r.stderr.contains("fastMa"))
        let text = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(text.hasPrefix("<svg") && text.contains("<path d=\"M") && text.contains("fastMa"))
    }
}
