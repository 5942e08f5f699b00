import Foundation
import StratIR
import StratMarket
import StratSyntax
import Testing

let fragments = ["(", ")", "{", "}", "[", "]", ",", "@", "$", "...", "=", "==", "%", "x", "when", "enter", "exit", "let",
                 "input", "fn", "risk", "stop", "take", "trail", "size", "at", "limit", "if", "then", "else", "not",
                 "and", "-", "*", "/", "1.", "4h", "0", "-1", "close", "ema(", "max", "strategy", "/*", "//", "\n", "é", "\"", "&&"]

/// Compiles and formats a mutated text: whatever the input, the compiler answers
/// with diagnostics or verified IR, and the formatter's output parses again.
func survives(_ text: String) {
    let file = SourceFile(name: "fuzz.strat", text: text)
    let result = Compiler.compile(file)
    if let ir = result.ir { #expect(Verifier.verify(ir).isEmpty, "unverified IR from:\n\(text)") }
    let (program, diags) = Parser.parse(file)
    _ = ASTDump.dump(program)
    for d in diags.items { _ = DiagnosticRenderer().render(d, in: file) }
    if !diags.hasErrors {
        let formatted = Formatter.format(program)
        let (again, d2) = Parser.parse(SourceFile(name: "fuzz.strat", text: formatted))
        #expect(!d2.hasErrors, "formatted output does not parse:\n\(formatted)")
        #expect(Formatter.format(again) == formatted, "fmt is not idempotent on:\n\(text)")
    }
}

func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
    var chars = Array(text.unicodeScalars)
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        guard !chars.isEmpty else { break }
        let i = Int.random(in: 0..<chars.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: chars.removeSubrange(i..<min(chars.count, i + Int.random(in: 1...12, using: &rng)))
        case 1: chars.insert(contentsOf: fragments.randomElement(using: &rng)!.unicodeScalars, at: i)
        case 2: chars = Array(chars.prefix(i))
        case 3: let j = Int.random(in: 0..<chars.count, using: &rng); chars.swapAt(i, j)
        default: chars.insert(contentsOf: chars[i..<min(chars.count, i + 20)], at: Int.random(in: 0..<chars.count, using: &rng))
        }
    }
    var s = String.UnicodeScalarView()
    s.append(contentsOf: chars)
    return String(s)
}

@Suite struct FuzzTests {
    /// Thousands of mutated and truncated versions of every example: the front end
    /// must never crash or hang: each gets diagnostics or verified IR.
    @Test func mutatedStrategiesNeverCrashTheParser() throws {
        var rng = SplitMix64(seed: 20_261_126)
        for url in try strategyFiles() {
            let text = try String(contentsOf: url, encoding: .utf8)
            for n in stride(from: 0, through: text.utf8.count, by: 7) {
                survives(String(decoding: Array(text.utf8).prefix(n), as: UTF8.self))
            }
            for _ in 0..<300 { survives(mutate(text, &rng)) }
        }
    }
}
