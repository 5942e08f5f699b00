import Foundation
import Testing
import StratTestSupport

/// Generated sources that crashed or ran away (issue 11): every command ends in
/// output or a located diagnostic, never a signal.
@Suite struct HostileSourceTests {
    static func strategy(_ body: String) -> String {
        "strategy S {\n  timeframe 1d\n\(body)\n  when c {\n    enter long\n  }\n}\n"
    }

    /// Runs `check`, `fmt`, `ast` and `ir` on `text`; returns their runs.
    func every(_ name: String, _ text: String) throws -> [String: Run] {
        let f = try temp(name, text)
        var runs: [String: Run] = [:]
        for command in ["check", "fmt", "ast", "ir"] {
            let r = try strat(command, f.path)
            #expect(r.status == 0 || r.status == 1, "\(command) \(name) ended with \(r.status): \(r.stderr.prefix(300))")
            runs[command] = r
        }
        return runs
    }

    @Test func aSumOfAHundredThousandTermsCompilesThroughEveryCommand() throws {
        let sum = Array(repeating: "close", count: 100_000).joined(separator: " + ")
        let text = Self.strategy("  let s = \(sum)\n  let c = s > open")
        let runs = try every("sum.strat", text)
        #expect(runs["check"]?.status == 0)
        #expect(runs["check"]?.stdout == "S: inputs none; symbols from data; timeframes 1d; warm-up 0 bars\n")
        #expect(runs["fmt"]?.stdout == text)
        #expect(runs["ir"]?.stdout.components(separatedBy: " = add ").count == 100_000)
        // One line per operand, indented once: linear in the source.
        #expect((runs["ast"]?.stdout.utf8.count ?? .max) < 8 * text.utf8.count)
    }

    @Test func aLongRunBacktests() throws {
        // Compiled, then set up by the runtime (one pass over the nodes) and run.
        let sum = Array(repeating: "close", count: 20_000).joined(separator: " + ")
        let f = try temp("sum.strat", Self.strategy("  let s = (\(sum)) / 20000\n  let c = s > open"))
        let r = try strat("backtest", f.path, "--data", "Data/GOOG.csv")
        #expect(r.status == 0, "\(r.stderr.prefix(300))")
        #expect(r.stdout.contains("Trades"))
    }

    @Test func deepNestingGetsALocatedDiagnostic() throws {
        let n = 7_900
        let cases: [(String, String)] = [
            ("parens", "  let c = " + String(repeating: "(", count: n) + "close > open" + String(repeating: ")", count: n)),
            ("ifs", "  let c = " + String(repeating: "if true then ", count: n) + "close > open" + String(repeating: " else false", count: n)),
            ("nots", "  let c = " + String(repeating: "not ", count: n) + "(close > open)"),
            ("negs", "  let c = " + String(repeating: "-", count: n) + "close > open"),
            ("calls", "  let c = " + String(repeating: "max(", count: n) + "close" + String(repeating: ", open)", count: n) + " > open"),
            ("history", "  let c = close" + String(repeating: "[1]", count: n) + " > open"),
            ("unclosed", "  let c = " + String(repeating: "(", count: n)),
        ]
        for (name, body) in cases {
            let runs = try every("\(name).strat", Self.strategy(body))
            for (command, r) in runs {
                #expect(r.status == 1, "\(name) \(command): \(r.status)")
                #expect(r.stderr.contains(":3:") && r.stderr.contains("error[E0114]: expressions nest more than 256 levels deep here"),
                        "\(name) \(command): \(r.stderr.prefix(300))")
            }
        }
    }

    @Test func chainedFunctionsGetALocatedDiagnostic() throws {
        let fns = (1..<2_700).map { "  fn f\($0)(x) = f\($0 - 1)(x) + 1\n" }.joined()
        let text = Self.strategy("  fn f0(x) = x\n" + fns + "  let c = f2699(close) > open")
        let runs = try every("fns.strat", text)
        #expect(runs["fmt"]?.status == 0 && runs["ast"]?.status == 0)
        for command in ["check", "ir"] {
            #expect(runs[command]?.status == 1)
            #expect(runs[command]?.stderr.contains(":2703:11: error[E0216]: this call of `f2699` expands to expressions nested more than 1024 levels deep") == true,
                    "\(runs[command]?.stderr.prefix(300) ?? "")")
        }
    }

    @Test func repeatedCallsAreExpandedOnce() throws {
        // 2^22 copies inlined took 16 s and 685 MB; 40 levels never finished.
        let fns = (1...40).map { "  fn f\($0)(x) = f\($0 - 1)(x) + f\($0 - 1)(x)\n" }.joined()
        let r = try strat("ir", try temp("exp.strat", Self.strategy("  fn f0(x) = x\n" + fns + "  let c = f40(close) > open")).path)
        #expect(r.status == 0, "\(r.stderr.prefix(300))")
        #expect(r.stdout.components(separatedBy: " = add ").count == 41)
    }

    @Test func extremeLiteralsAreRefusedAtTheirPlace() throws {
        let cases: [(String, String)] = [
            ("  let c = close[9223372036854775807] > open", "3:17: error[E0410]: a history offset is at most 1000000 bars; this is 9223372036854775807"),
            ("  let c = sma(close, 100000000) > open", "3:22: error[E0410]: the `length` of `sma` is at most 1000000 bars; this is 100000000"),
            ("  let c = sma(close, 9223372036854775807) > open", "3:22: error[E0410]: the `length` of `sma` is at most 1000000 bars"),
            ("  input n = 1000000000000\n  let c = close > open\n  when c { enter long at limit close expire after n bars }",
             "5:51: error[E0410]: input `n` is 1000000000000 by default, but an order's lifetime is at most 1000000 bars"),
            ("  let c = close > open\n  when c { enter long at limit close expire after 1000000000000 bars }",
             "4:51: error[E0410]: an order's lifetime is at most 1000000 bars; this is 1000000000000"),
        ]
        for (body, message) in cases {
            let f = try temp("extreme.strat", Self.strategy(body))
            let r = try strat("check", f.path)
            #expect(r.status == 1, "\(body): \(r.stderr.prefix(200))")
            #expect(r.stderr.hasPrefix(f.path + ":" + message), "\(r.stderr.prefix(300))")
        }
    }

    @Test func setValuesBeyondTheLimitsNameTheirInput() throws {
        let f = try temp("set.strat", "strategy S {\n  timeframe 1d\n  input n = 20\n  input life = 5\n"
                         + "  when close > sma(close, n) { enter long at limit close expire after life bars }\n}\n")
        let cases = [
            ("n=2000000", "strat: error: input `n` = 2000000 makes the length of `sma` 2000000; the length of `sma` must be a whole number of bars from 1 to 1000000\n"),
            ("life=-5", "strat: error: input `life` = -5 makes an order's lifetime -5; an order's lifetime must be a whole number of bars from 1 to 1000000 (the rule at line 5)\n"),
            ("life=1000000000000", "strat: error: input `life` = 1000000000000 makes an order's lifetime 1000000000000; an order's lifetime must be a whole number of bars from 1 to 1000000 (the rule at line 5)\n"),
        ]
        for (set, message) in cases {
            let r = try strat("backtest", f.path, "--data", "Data/GOOG.csv", "--set", set)
            #expect(r.status == 2, "\(set): \(r.status)")
            #expect(r.stderr == message)
        }
    }

    @Test func unexpectedCharactersAreLexedInLinearTime() throws {
        // 200,000 in a row took 13.7 s: each was dropped after its column was
        // found by scanning from the line's start.
        let f = try temp("lex.strat", "strategy S {\n" + String(repeating: "#", count: 200_000) + "\n}\n")
        let started = Date()
        let r = try strat("check", f.path)
        #expect(Date().timeIntervalSince(started) < 10, "issue 11: a source under 1 MB is refused within seconds")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("\(f.path):2:1: error[E0001]: unexpected character `#`"))
        #expect(r.stderr.utf8.count < 2_000, "the diagnostic shows a window of the line, not 200 KB")
    }
}
