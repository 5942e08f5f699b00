import Foundation
import StratTestSupport
import Testing

/// Issue 16, item 3: `strat explain N`, from a result's JSON or re-running.
@Suite struct ExplainCLITests {
    /// The README's example, re-run: the first trade, its crossover's values on the signal bar.
    @Test func googTradeFromARun() throws {
        let r = try strat("explain", "1", "Strategies/sma_cross.strat", "--data", "GOOG=Data/GOOG.csv", "--lot-size", "1")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
            Trade 1 of 33: long 53 GOOG
              opened 2004-12-21T00:00:00Z at 186.31, closed 2005-01-31T00:00:00Z at 193.69 (signal)
              PnL 391.14 (3.96%), fees 0.00, 27 bars held; MAE -5.38%, MFE 10.19%

            Opened by Strategies/sma_cross.strat:13: when crossover(fastMa, slowMa) {
              signal bar 2004-12-20T00:00:00Z, the rule acted at its close 2004-12-21T00:00:00Z:
                fastMa (sma(close, 10)) = 175.698 crossed above slowMa (sma(close, 30)) = 175.4603
              action Strategies/sma_cross.strat:14: enter long
              size: 53 (from the action's sizing)
              risk: no risk block

            Orders
              #0 enter long: market buy 53; filled 53 at 186.31
                2004-12-21T00:00:00Z pending
                2004-12-21T00:00:00Z working
                2004-12-21T00:00:00Z filled
                fill 2004-12-21T00:00:00Z buy 53 at 186.31, fee 0 (taker)

            Closed by signal: Strategies/sma_cross.strat:16: when crossunder(fastMa, slowMa) {
              signal bar 2005-01-28T00:00:00Z, the rule acted at its close 2005-01-29T00:00:00Z:
                fastMa (sma(close, 10)) = 190.887 crossed below slowMa (sma(close, 30)) = 190.9593
              action Strategies/sma_cross.strat:17: exit long
              #1 exit long: market sell 53; filled 53 at 193.69
                2005-01-29T00:00:00Z pending
                2005-01-31T00:00:00Z working
                2005-01-31T00:00:00Z filled
                fill 2005-01-31T00:00:00Z sell 53 at 193.69, fee 0 (taker)

            """)
    }

    /// A stop-out on hand-built bars, read from the JSON: an `and`'s operands one per
    /// line, the bracket's lifecycle, and the stop (not a signal) closing it.
    @Test func stopOutOnHandBuiltBars() throws {
        // Bar 0 closes up on volume 1000: buy 10 at bar 1's open (100), stop 1% below the fill (99).
        // Bar 1 runs 100 → 100.5 → 98 (the high nearer the open): the stop fills at 99.
        let csv = try temp("bars.csv", """
            time,open,high,low,close,volume
            2024-01-01T00:00:00Z,100,101,99,101,1000
            2024-01-01T01:00:00Z,100,100.5,98,99,1000
            2024-01-01T02:00:00Z,99,99,99,99,1000

            """)
        let dir = csv.deletingLastPathComponent()
        let strategy = dir.appendingPathComponent("t.strat"), json = dir.appendingPathComponent("r.json")
        try """
            strategy T {
              market spot
              timeframe 1h
              when close > open and volume > 500 {
                enter long size qty(10)
                  stop 1%
              }
            }

            """.write(to: strategy, atomically: true, encoding: .utf8)
        let run = try runProgram(stratBinary.path, ["backtest", "t.strat", "--data", "X=bars.csv", "--json", "r.json"], in: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        let r = try runProgram(stratBinary.path, ["explain", "1", json.path], in: dir.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
            Trade 1 of 1: long 10 X
              opened 2024-01-01T01:00:00Z at 100, closed 2024-01-01T01:00:00Z at 99 (stop)
              PnL -10.00 (-1.00%), fees 0.00, 0 bars held; MAE -1.00%, MFE 0.00%

            Opened by t.strat:4: when close > open and volume > 500 {
              signal bar 2024-01-01T00:00:00Z, the rule acted at its close 2024-01-01T01:00:00Z:
                close = 101 > open = 100
                volume = 1000 > 500
              action t.strat:5: enter long size qty(10)
              size: 10 (from the action's sizing)
              risk: no risk block

            Orders
              #0 enter long: market buy 10; filled 10 at 100
                2024-01-01T01:00:00Z pending
                2024-01-01T01:00:00Z working
                2024-01-01T01:00:00Z filled
                fill 2024-01-01T01:00:00Z buy 10 at 100, fee 0 (taker)
              #1 stop of order 0: stop sell 10 stop 99, bracket of #0; filled 10 at 99
                2024-01-01T01:00:00Z held
                2024-01-01T01:00:00Z working: parent 0 filled
                2024-01-01T01:00:00Z triggered: stop reached at 99
                2024-01-01T01:00:00Z filled
                fill 2024-01-01T01:00:00Z sell 10 at 99, fee 0 (taker)

            Closed by stop: order #1, sent with #0 by t.strat:5: enter long size qty(10)
              order #1 above

            """)
        // A trade that is not there, and no result: one line each, exit status 2.
        let missing = try runProgram(stratBinary.path, ["explain", "2", json.path], in: dir.path)
        #expect(missing.status == 2)
        #expect(missing.stderr == "strat: error: there is no trade 2: the result has trades 1 to 1\n")
        let none = try runProgram(stratBinary.path, ["explain", "1"], in: dir.path)
        #expect(none.stderr == "strat: error: give a result (RESULT.json) or a strategy and its --data after the trade number\n")
    }

    /// An operand of 20,000 additions is written cut short, not walked to the
    /// bottom (which overflowed the stack while the run recorded its signals).
    @Test func aHugeOperandIsCutShort() throws {
        let sum = Array(repeating: "close", count: 20_000).joined(separator: " + ")
        let f = try temp("deep.strat", "strategy S {\n  timeframe 1d\n  let s = (\(sum)) / 20000\n  let c = s > open\n  when c {\n    enter long\n  }\n}\n")
        let json = f.deletingLastPathComponent().appendingPathComponent("deep.json").path
        let run = try strat("backtest", f.path, "--data", "Data/GOOG.csv", "--json", json)
        #expect(run.status == 0, "\(run.stderr.prefix(300))")
        let r = try strat("explain", "1", json)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").dropFirst(3).prefix(3).joined(separator: "\n") == """
            Opened by \(f.path):5: when c {
              signal bar 2004-08-19T00:00:00Z, the rule acted at its close 2004-08-20T00:00:00Z:
                s (…) = 100.34 > open = 100
            """)
    }

    /// The REPL's `:explain N` after `:backtest` prints what `strat explain` does.
    @Test func replExplainsTheLastBacktest() throws {
        let r = try runProgram(stratBinary.path, ["repl", "--data", "Data/GOOG.csv"], in: repoRoot.path, input: """
            :explain 1
            :load Strategies/sma_cross.strat
            :backtest --lot-size 1
            :explain 1

            """)
        #expect(r.stderr.contains("no backtest yet: run :backtest first"))
        #expect(r.stdout.contains("""
            Opened by Strategies/sma_cross.strat:13: when crossover(fastMa, slowMa) {
              signal bar 2004-12-20T00:00:00Z, the rule acted at its close 2004-12-21T00:00:00Z:
                fastMa (sma(close, 10)) = 175.698 crossed above slowMa (sma(close, 30)) = 175.4603

            """))
    }
}
