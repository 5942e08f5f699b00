import Foundation
import StratIR
import StratMarket
@testable import StratRuntime
import StratSyntax
import Testing

/// The runtime refuses input values that put a window, an offset or an order's
/// lifetime beyond `Limits` (with the input's name), and values known before
/// the run are computed without recursion.
@Suite struct LimitTests {
    static func compile(_ body: String) throws -> IRStrategy {
        let text = "strategy S {\n  timeframe 1d\n\(body)\n}\n"
        let result = Compiler.compile(SourceFile(name: "s.strat", text: text))
        return try #require(result.ir?.strategies.first, "\(result.diagnostics.map(\.message))")
    }

    func refusal(_ s: IRStrategy, _ overrides: [String: Double]) -> String? {
        do {
            _ = try Runtime(strategy: s, overrides: overrides, symbols: ["X"], baseInterval: 86_400_000)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aWindowFromAnInputNamesIt() throws {
        let s = try Self.compile("  input n = 20 in 1...1000000\n  when close > sma(close, n) { enter long }")
        #expect(refusal(s, ["n": 1_000_000]) == nil)
        // Bound by `--set` beyond the declared range: InputBinding refuses it first.
        #expect(refusal(s, ["n": 2_000_000])?.hasPrefix("input `n` = 2000000.0 is above its declared range") == true)
        let open = try Self.compile("  input n = 20\n  when close > sma(close, n) { enter long }")
        #expect(refusal(open, ["n": 2_000_000])
                == "input `n` = 2000000 makes the length of `sma` 2000000; the length of `sma` must be a whole number of bars from 1 to 1000000")
        #expect(refusal(open, ["n": 0])?.hasPrefix("input `n` = 0 makes the length of `sma` 0;") == true)
    }

    /// sar's factors are numbers, not lengths: any value of at least 0 (inputs are finite already).
    @Test func aNegativeOrInfiniteSARFactorIsRefused() throws {
        let s = try Self.compile("  input a = 0.02\n  input m = 0.2\n  when close > sar(a, m) { enter long }")
        #expect(refusal(s, [:]) == nil)
        #expect(refusal(s, ["a": 0]) == nil)
        #expect(refusal(s, ["a": -0.01])
                == "input `a` = -0.01 makes the `acceleration` of `sar` -0.01; the `acceleration` of `sar` must be a number of at least 0")
        // Division by zero is na: a factor computed as na is refused too.
        let computed = try Self.compile("  input a = 0.02\n  input z = 1\n  when close > sar(a / z, 0.2) { enter long }")
        #expect(refusal(computed, [:]) == nil)
        let message = refusal(computed, ["z": 0]) ?? ""
        #expect(message.hasPrefix("the `acceleration` of `sar` is ") && message.hasSuffix("must be a number of at least 0"), "\(message)")
    }

    /// supertrend's factor is a number of at least 0; its ATR period a length.
    @Test func aNegativeSupertrendFactorIsRefused() throws {
        let s = try Self.compile("  input f = 3\n  input n = 10\n  when close > supertrend(n, f).line { enter long }")
        #expect(refusal(s, [:]) == nil)
        #expect(refusal(s, ["f": -1])
                == "input `f` = -1 makes the `factor` of `supertrend` -1; the `factor` of `supertrend` must be a number of at least 0")
        #expect(refusal(s, ["n": 1])?.hasPrefix("input `n` = 1 makes the length of `supertrend` 1;") == true)
    }

    /// vwap's anchor is a Duration of at least one second.
    @Test func aVwapAnchorBelowOneSecondIsRefused() throws {
        let s = try Self.compile("  input a: Duration = 1w\n  when close > vwap(a) { enter long }")
        #expect(refusal(s, [:]) == nil)
        #expect(refusal(s, ["a": 0])
                == "input `a` = 0 makes the `anchor` of `vwap` 0; the `anchor` of `vwap` must be a whole number of seconds from 1 to 3153600000")
    }

    @Test func aComputedWindowNamesItsInputs() throws {
        let s = try Self.compile("  input n = 20\n  input k = 3\n  when close > sma(close, n * k) { enter long }")
        #expect(refusal(s, ["n": 600_000])
                == "the length of `sma` is 1800000, computed from inputs `n`, `k`; the length of `sma` must be a whole number of bars from 1 to 1000000")
    }

    @Test func anOffsetAndALifetimeFromInputs() throws {
        let s = try Self.compile("""
              input back = 1
              input life = 5
              when close > close[back] { enter long at limit close expire after life bars }
            """)
        #expect(refusal(s, [:]) == nil)
        #expect(refusal(s, ["back": 1e12])
                == "input `back` = 1000000000000 makes a history offset 1000000000000; a history offset must be a whole number of bars from 0 to 1000000")
        #expect(refusal(s, ["life": -5])
                == "input `life` = -5 makes an order's lifetime -5; an order's lifetime must be a whole number of bars from 1 to 1000000 (the rule at line 5)")
        #expect(refusal(s, ["life": 1e12])?.hasPrefix("input `life` = 1000000000000 makes an order's lifetime") == true)
        let timed = try Self.compile("  input life: Duration = 12h\n  when close > open { enter long at limit close expire after life }")
        #expect(refusal(timed, ["life": 1e15])?.contains("must be longer than 0s and at most 3153600000s (100 years)") == true)
    }

    @Test func aLongChainOfInputArithmeticIsComputedInOnePass() throws {
        // 50,000 steps of input arithmetic feeding an offset: computed bottom-up
        // in node order (the lookup recursed once per step and overflowed).
        let chain = "back" + String(repeating: " * 1", count: 50_000)
        let s = try Self.compile("  input back = 2\n  when close > close[\(chain)] { enter long }")
        let rt = try Runtime(strategy: s, overrides: ["back": 3], symbols: ["X"], baseInterval: 86_400_000)
        for (i, c) in [10.0, 11, 12, 13, 9].enumerated() {
            rt.step(Bar(time: Int64(i) * 86_400_000, open: c, high: c, low: c, close: c, volume: 1))
        }
        let condition = s.rules[0].condition
        // close[3] on the last bar is 11: 9 > 11 is false (0), not na.
        #expect(rt.value(node: condition) == 0)
        #expect(s.warmup.atDefaults == 2)
    }
}

/// Values no checked source produces, from IR made elsewhere or inputs declared
/// with extreme defaults: refused or printed, never a trap.
@Suite struct ExtremeIRTests {
    @Test func aTimeframeBeyondTheLimitIsRefusedBeforeItBecomesMilliseconds() throws {
        var s = try LimitTests.compile("  when close@2d > open { enter long }")
        for i in s.nodes.indices where s.nodes[i].type.clock == 172_800 { s.nodes[i].type.clock = 9_000_000_000_000_000 }
        #expect(throws: RuntimeError("timeframe 9000000000000000s is outside 1s…3153600000s (100 years)")) {
            _ = try Runtime(strategy: s, symbols: ["X"], baseInterval: 86_400_000)
        }
    }

    @Test func aHugeDurationInputIsSummarised() throws {
        let s = try LimitTests.compile("  input d: Duration = 1e300\n  when close > open { enter long }")
        #expect(Compiler.summary(s).contains("inputs d=1e+300s;"))
    }
}
