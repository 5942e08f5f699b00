import Foundation
import StratTestSupport
import Testing

/// `strat test`: the test blocks of strategies, run as `strat backtest` runs them.
@Suite struct TestCommandTests {
    static let strategy = """
        strategy Cross {
          market spot
          timeframe 1d
          let fastMa = sma(close, 10)
          let slowMa = sma(close, 30)
          when crossover(fastMa, slowMa) {
            enter long
          }
          when crossunder(fastMa, slowMa) {
            exit long
          }

        """

    /// A strategy file in a fresh directory beside a copy of GOOG.csv, so the
    /// test's relative path is resolved from the strategy file, not the cwd.
    func file(_ tests: String) throws -> URL {
        let f = try temp("cross.strat", Self.strategy + tests + "}\n")
        try FileManager.default.copyItem(at: repoRoot.appendingPathComponent("Data/GOOG.csv"),
                                         to: f.deletingLastPathComponent().appendingPathComponent("GOOG.csv"))
        return f
    }

    @Test func theExampleStrategiesPass() throws {
        let r = try strat("test", "Strategies/rsi_mean_reversion.strat", "Strategies/donchian_breakout.strat", "Strategies/sma_cross.strat",
                          "Strategies/session_intraday.strat")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
            PASS Strategies/rsi_mean_reversion.strat:21: "rsi stays in its range"
            PASS Strategies/donchian_breakout.strat:24: "the breakouts of 2005"
            PASS Strategies/session_intraday.strat:26: "flat outside the session"
            3 passed, 0 failed

            """)
        #expect(r.stderr.isEmpty)
    }

    @Test func aFailingTestSaysWhatWasExpectedAndExitsOne() throws {
        let f = try file("""
              test "holds" {
                bars "GOOG.csv" from 2005-01-01 to 2006-01-01
                expect trades == 4
                expect trade(2).entry_time == 2005-04-08
                expect no position while fastMa[1] < slowMa[1]
              }
              test "wrong" {
                bars "GOOG.csv" from 2005-01-01 to 2006-01-01
                expect trades >= 5
                expect trade(1).entry_price == 196
                expect trade(4).exit_time == 2006-01-01
                expect trade(9).pnl > 0
                expect rsi(close, 14) between 0 and 50 always
                expect close < 100 always
                expect no position while fastMa > slowMa
              }

            """)
        let r = try strat("test", f.path, cwd: URL(fileURLWithPath: "/"))
        #expect(r.status == 1)
        #expect(r.stdout == """
            PASS \(f.path):12: "holds"
            FAIL \(f.path):18: "wrong"
              expect trades >= 5: expected >= 5, got 4
              expect trade(1).entry_price == 196: expected == 196, got 196.96
              expect trade(4).exit_time == 2006-01-01: trade 4 is still open, so it has no exit_time
              expect trade(9).pnl > 0: there are 4 trades, no trade 9
              expect rsi(close, 14) between 0 and 50 always: 69.8721777947 on 2005-01-03, outside 0…50
              expect close < 100 always: false on 2005-01-03
              expect no position while fastMa > slowMa: a position is held on 2005-02-08 (trade 1, entered 2005-02-08)
            1 passed, 1 failed

            """)
        #expect(r.stderr.isEmpty, "\(r.stderr)")
    }

    /// Tests change nothing for `strat backtest`, and nothing in the IR: the hash
    /// with tests is the hash without them.
    @Test func testsAreInvisibleToTheBacktestAndTheHash() throws {
        let with = try file("  test \"t\" {\n    bars \"GOOG.csv\"\n    expect trades == 0\n  }\n")
        let without = try temp("cross.strat", Self.strategy + "}\n")
        let a = try strat("ir", with.path), b = try strat("ir", without.path)
        #expect(a.status == 0 && b.status == 0)
        let hash = { (s: String) in s.split(separator: "\n").first { $0.contains("hash") }.map(String.init) }
        #expect(hash(a.stdout) != nil && hash(a.stdout) == hash(b.stdout))
        let ra = try strat("backtest", with.path, "--data", "Data/GOOG.csv"), rb = try strat("backtest", without.path, "--data", "Data/GOOG.csv")
        #expect(ra.status == 0 && ra.stdout == rb.stdout)
    }

    @Test func missingDataIsAnIOErrorAndTheOtherTestsStillRun() throws {
        let f = try file("  test \"gone\" {\n    bars \"nope.csv\"\n  }\n  test \"here\" {\n    bars \"GOOG.csv\"\n  }\n")
        let r = try strat("test", f.path)
        #expect(r.status == 2)
        #expect(r.stdout == "PASS \(f.path):15: \"here\"\n1 passed, 0 failed\n")
        #expect(r.stderr.hasPrefix("strat: error: \(f.path):12: test \"gone\": "), "\(r.stderr)")
        #expect(r.stderr.contains("nope.csv"), "\(r.stderr)")
    }

    @Test func aStrategyWithErrorsIsReportedAndExitsOne() throws {
        let f = try file("  test \"t\" {\n    bars \"GOOG.csv\"\n    expect trade(1).price == 3\n  }\n")
        let r = try strat("test", f.path)
        #expect(r.status == 1)
        #expect(r.stdout == "0 passed, 0 failed\n")
        #expect(r.stderr.hasPrefix("\(f.path):14:21: error[E0704]: a trade has no field `price`; it has `entry_time`, "), "\(r.stderr)")
    }
}

/// `session` and `inSession`: the run's session, read bar by bar.
@Suite struct TestSessionTests {
    @Test func inSessionReadsTheTestsSession() throws {
        let f = try temp("hourly.strat", """
            strategy Hourly {
              market spot
              timeframe 1h
              let fastMa = ema(close, 5)
              let slowMa = ema(close, 20)
              when crossover(fastMa, slowMa) {
                enter long
              }
              when crossunder(fastMa, slowMa) {
                exit long
              }
              test "overnight" {
                bars "\(repoRoot.path)/Data/EURUSD.csv"
                session "Mon-Fri 08:00-16:00"
                expect inSession or close > 0 always
                expect no position while not inSession
                expect close between 0 and (if inSession then 2 else 1.08) always
              }
              test "all week" {
                bars "\(repoRoot.path)/Data/EURUSD.csv" to 2017-05-01
                expect inSession always
              }
            }

            """)
        let r = try strat("test", f.path)
        #expect(r.status == 1)
        #expect(r.stdout == """
            FAIL \(f.path):12: "overnight"
              expect no position while not inSession: a position is held on 2017-04-24T16:00:00Z (trade 1, entered 2017-04-24T08:00:00Z)
              expect close between 0 and (if inSession then 2 else 1.08) always: 1.0898 on 2017-04-23T21:00:00Z, outside 0…1.08
            PASS \(f.path):19: "all week"
            1 passed, 1 failed

            """)
    }

    @Test func aSessionThatDoesNotParseIsAUsageError() throws {
        let f = try temp("s.strat", "strategy S {\n  market spot\n  when close > open {\n    enter long\n  }\n  test \"t\" {\n    bars \"\(repoRoot.path)/Data/GOOG.csv\"\n    session \"weekdays\"\n  }\n}\n")
        let r = try strat("test", f.path)
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: \(f.path):6: test \"t\": session \"weekdays\": expected 24/7 or days and UTC hours like \"Mon-Fri 14:30-21:00\"\n")
    }
}
