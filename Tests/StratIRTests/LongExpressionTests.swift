import StratIR
import StratSyntax
import Testing

/// Generated strategies are long: a run of binary operators of any length
/// parses, checks, lowers, formats and dumps in a loop, never by recursion.
@Suite struct LongExpressionTests {
    /// In the canonical layout, so `strat fmt` leaves it as it is.
    static func strategy(_ lets: String) -> String {
        "strategy S {\n  timeframe 1d\n\(lets)\n  when c {\n    enter long\n  }\n}\n"
    }

    /// 20,000 terms, four times what overflowed the stack before (the CLI tests
    /// compile 100,000 in a child process, whose memory is its own).
    @Test func aSumOfTwentyThousandTermsCompiles() throws {
        let sum = Array(repeating: "close", count: 20_000).joined(separator: " + ")
        let file = SourceFile(name: "sum.strat", text: Self.strategy("  let s = \(sum)\n  let c = s > open"))
        let result = Compiler.compile(file)
        #expect(!result.hasErrors, "\(result.diagnostics.prefix(3).map(\.message))")
        let ir = try #require(result.ir?.strategies.first)
        #expect(Verifier.verify(ir).isEmpty)
        // ((close + close) + close) …: one node per `+`, in order.
        #expect(ir.nodes.count(where: { $0.op == .add }) == 19_999)
        let s = try #require(ir.lets.first { $0.name == "s" })
        var n = s.node, depth = 0
        while ir.nodes[n].op == .add { #expect(ir.nodes[ir.nodes[n].args[1]].op == .field); n = ir.nodes[n].args[0]; depth += 1 }
        #expect(depth == 19_999)
    }

    @Test func aLongAndChainAndAMixedRunCompile() {
        let and = Array(repeating: "close > open", count: 5_000).joined(separator: " and ")
        let mixed = (0..<5_000).map { $0 % 3 == 0 ? "close * 2" : $0 % 3 == 1 ? "open / 3" : "high" }.joined(separator: " - ")
        let file = SourceFile(name: "and.strat", text: Self.strategy("  let m = \(mixed)\n  let c = \(and) and m > 0"))
        let result = Compiler.compile(file)
        #expect(!result.hasErrors, "\(result.diagnostics.prefix(3).map(\.message))")
        #expect(result.ir.map { Verifier.verify($0).isEmpty } == true)
    }

    @Test func unitsAreCheckedAtEveryStepOfARun() {
        // The 4,001st operand is a Volume: reported at its operator, once.
        let terms = Array(repeating: "close", count: 4_000) + ["volume"] + Array(repeating: "close", count: 100)
        let text = Self.strategy("  let s = " + terms.joined(separator: " + ") + "\n  let c = s > open")
        let result = Compiler.compile(SourceFile(name: "t.strat", text: text))
        #expect(result.diagnostics.map(\.code) == [.incompatibleOperands])
        let plus = text.range(of: "close + volume")!
        let at = text.utf8.distance(from: text.startIndex, to: plus.lowerBound) + "close ".utf8.count
        #expect(result.diagnostics.first?.range == SourceRange(at, at + 1))
        // An untyped literal still takes its unit from the run so far.
        let typed = Compiler.compile(SourceFile(name: "u.strat", text: Self.strategy("  let c = close + close + 1 > open + 2 + 3")))
        #expect(!typed.hasErrors)
    }

    @Test func formattingAndDumpingALongRunStayLinear() {
        let sum = Array(repeating: "close", count: 20_000).joined(separator: " + ")
        let text = Self.strategy("  let s = \(sum)\n  let c = s > open")
        let (program, diags) = Parser.parse(SourceFile(name: "t.strat", text: text))
        #expect(!diags.hasErrors)
        #expect(Formatter.format(program) == text)
        // One node for the run and one line per operand: the dump grows with the
        // source, not with its square (a nested run indented each term once more).
        let dump = ASTDump.dump(program)
        #expect(dump.utf8.count < 40 * text.utf8.count, "\(dump.utf8.count) bytes for \(text.utf8.count)")
        #expect(dump.contains("    (binary + + + +"))
    }

    @Test func aShortRunDumpsAsBefore() {
        let (program, _) = Parser.parse(SourceFile(name: "t", text: Self.strategy("  let c = close > open")))
        #expect(ASTDump.dump(program).contains("""
              (let c) 3:3-3:23
                (binary >) 3:11-3:23
                  (name close) 3:11-3:16
                  (name open) 3:19-3:23
            """))
    }
}
