import Foundation
import StratIR
import StratSyntax
import Testing

/// Runs `body` on a new thread with a `kilobytes` stack and waits for it.
func onThread(stack kilobytes: Int, _ body: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    let thread = Thread { body(); done.signal() }
    thread.stackSize = kilobytes * 1024
    thread.start()
    done.wait()
}

/// The deepest nesting the limits accept compiles, formats and dumps from any
/// thread: the phases run on a `DeepStack` thread, and what they return is
/// shallow enough to be freed on a secondary thread's 512 KB stack.
@Suite struct DeepNestingTests {
    static func strategy(_ body: String) -> String {
        "strategy S {\n  timeframe 1d\n\(body)\n  when c {\n    enter long\n  }\n}\n"
    }

    /// Each as deep as `Limits.maxNesting` allows (one level less fails, as the
    /// diagnostic cases show).
    static let deepest: [(String, String)] = [
        ("parens", "  let c = " + String(repeating: "(", count: 255) + "close > open" + String(repeating: ")", count: 255)),
        ("calls", "  let c = " + String(repeating: "max(", count: 255) + "close" + String(repeating: ", open)", count: 255) + " > open"),
        ("ifs", "  let c = " + String(repeating: "if true then ", count: 255) + "close > open" + String(repeating: " else false", count: 255)),
        ("nots", "  let c = " + String(repeating: "not ", count: 254) + "(close > open)"),
        ("runs", "  let c = " + (0..<85).reduce("close") { e, _ in "(close + open * (1 + 2 * -\(e) / close))" } + " > open"),
        ("context", "  let c = (close" + String(repeating: "@1d", count: 254) + ") > open"),
    ]

    @Test func theDeepestAcceptedNestingCompilesOnA512KBThread() {
        for (name, body) in Self.deepest {
            let text = Self.strategy(body)
            onThread(stack: 512) {
                let file = SourceFile(name: "\(name).strat", text: text)
                let result = Compiler.compile(file)
                #expect(!result.hasErrors, "\(name): \(result.diagnostics.prefix(2).map(\.message))")
                #expect(result.ir.map { Verifier.verify($0).isEmpty } == true, "\(name)")
                let (program, _) = Parser.parse(file)
                #expect(Formatter.format(program) == text, "\(name)")
                #expect(!ASTDump.dump(program).isEmpty)
            }
        }
    }

    @Test func theDeepestAcceptedExpansionCompilesOnA512KBThread() {
        // 511 functions, each nesting the one before two levels deeper: 1,023 levels.
        let fns = (1..<511).map { "  fn f\($0)(x) = (f\($0 - 1)(x) * 2)\n" }.joined()
        let text = Self.strategy("  fn f0(x) = x\n" + fns + "  let c = f510(close) > open")
        onThread(stack: 512) {
            let result = Compiler.compile(SourceFile(name: "fns.strat", text: text))
            #expect(!result.hasErrors, "\(result.diagnostics.prefix(2).map(\.message))")
            // Shared: one multiplication per function.
            #expect(result.ir?.strategies.first?.nodes.count(where: { $0.op == .mul }) == 510)
        }
    }

    @Test func deeperThanTheLimitIsADiagnosticOnA512KBThread() {
        let text = Self.strategy("  let c = " + String(repeating: "(", count: 20_000) + "close > open" + String(repeating: ")", count: 20_000))
        onThread(stack: 512) {
            let result = Compiler.compile(SourceFile(name: "deep.strat", text: text))
            #expect(result.diagnostics.map(\.code) == [.nestingTooDeep])
        }
    }
}

/// Warm-up arithmetic on extreme values saturates instead of trapping, and a
/// chain of lets read in a new context is lowered without recursion.
@Suite struct ExtremeValueTests {
    @Test func warmUpOfHugeInputRangesDoesNotTrap() throws {
        let text = """
            strategy S {
              timeframe 1d
              input k = 2 in 1...1e300
              when close > sma(close, k * 2) and close[k * 3] > open { enter long }
            }
            """
        let result = Compiler.compile(SourceFile(name: "s.strat", text: text))
        let ir = try #require(result.ir?.strategies.first, "\(result.diagnostics.map(\.message))")
        #expect(ir.warmup.atDefaults == 6)
        // At the range's top each parameter counts as the limit: the runtime
        // would refuse such a run, but the report is a number.
        #expect(ir.warmup.atMaximum == Limits.maxOffset)
    }

    /// The longest window on the longest timeframe, in base bars: 3e15, exact.
    @Test func aLongWindowOnALongTimeframe() throws {
        let text = """
            strategy S {
              timeframe 1s
              when close > ema(close, 1000000)@5000w { enter long }
            }
            """
        let result = Compiler.compile(SourceFile(name: "s.strat", text: text))
        let ir = try #require(result.ir?.strategies.first, "\(result.diagnostics.map(\.message))")
        #expect(ir.warmup.atDefaults == 1_000_000 * 5000 * 604_800 - 1)
    }

    @Test func aChainOfLetsReadOnAnotherTimeframe() throws {
        let lets = (1..<10_000).map { "  let a\($0) = a\($0 - 1) + 1\n" }.joined()
        let text = "strategy S {\n  timeframe 1d\n  let a0 = close\n" + lets + "  when a9999@2d > open { enter long }\n}\n"
        let result = Compiler.compile(SourceFile(name: "lets.strat", text: text))
        let ir = try #require(result.ir?.strategies.first, "\(result.diagnostics.prefix(2).map(\.message))")
        // Every let on the base clock and again on 2d.
        #expect(ir.nodes.count(where: { $0.op == .add && $0.type.clock == 172_800 }) == 9_999)
        #expect(Verifier.verify(ir).isEmpty)
    }
}
