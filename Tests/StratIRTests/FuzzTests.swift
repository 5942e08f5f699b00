import Foundation
import StratFuzzChecks
import StratIR
import StratMarket
import StratSyntax
import Testing

let fragments = ["(", ")", "{", "}", "[", "]", ",", "@", "$", "...", "=", "==", "%", "x", "when", "enter", "exit", "let",
                 "input", "fn", "risk", "stop", "take", "trail", "size", "at", "limit", "if", "then", "else", "not",
                 "and", "-", "*", "/", "1.", "4h", "0", "-1", "close", "ema(", "max", "strategy", "/*", "//", "\n", "é", "\"", "&&"]

/// Numbers at and past every limit: the largest whole number, windows, offsets
/// and lifetimes around 1,000,000 bars, durations near the parser's bound.
let extremeLiterals = ["9223372036854775807", "9223372036854775808", "1000000", "1000001", "999999", "1000000000000",
                       "1e308", "1e309", "0.0000001", "-9223372036854775807", "15250284w", "15250285w", "5214w", "5215w",
                       "100000000", "2147483648", "4294967296", "0x10", "1_000_000_000_000", "99999999999999999999%"]

/// Deep nesting of every kind, some past `Limits.maxNesting`, some unclosed.
func deepFragment(_ rng: inout SplitMix64) -> String {
    let n = [100, 255, 256, 257, 300, 2_000][Int.random(in: 0..<6, using: &rng)]
    switch Int.random(in: 0..<7, using: &rng) {
    case 0: return String(repeating: "(", count: n) + "close" + String(repeating: ")", count: n)
    case 1: return String(repeating: "(", count: n)
    case 2: return String(repeating: "not ", count: n) + "close > open"
    case 3: return String(repeating: "-", count: n) + "close"
    case 4: return String(repeating: "if close > open then ", count: n) + "1" + String(repeating: " else 2", count: n)
    case 5: return String(repeating: "max(", count: n) + "close" + String(repeating: ", open)", count: n)
    default: return "close" + String(repeating: " + close", count: n * 2)
    }
}

/// Compiles and formats a mutated text: whatever the input, the compiler answers
/// with diagnostics or verified IR, and the formatter's output parses again, is
/// a fixed point and means the same (`FuzzChecks.frontEnd`, which the libFuzzer
/// target checks too).
func survives(_ text: String) {
    let problems = FuzzChecks.frontEnd(text)
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n")) from:\n\(text.prefix(2_000))")
}

func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
    var chars = Array(text.unicodeScalars)
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        guard !chars.isEmpty else { break }
        let i = Int.random(in: 0..<chars.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: chars.removeSubrange(i..<min(chars.count, i + Int.random(in: 1...12, using: &rng)))
        case 1:
            let roll = Int.random(in: 0..<10, using: &rng)
            let fragment = roll < 7 ? fragments.randomElement(using: &rng)!
                : roll < 9 ? extremeLiterals.randomElement(using: &rng)! : deepFragment(&rng)
            chars.insert(contentsOf: fragment.unicodeScalars, at: i)
        case 2: chars = Array(chars.prefix(i))
        case 3: let j = Int.random(in: 0..<chars.count, using: &rng); chars.swapAt(i, j)
        default: chars.insert(contentsOf: chars[i..<min(chars.count, i + 20)], at: Int.random(in: 0..<chars.count, using: &rng))
        }
    }
    var s = String.UnicodeScalarView()
    s.append(contentsOf: chars)
    return String(s)
}

/// Literals of every number position of the examples replaced by an extreme
/// one: windows, offsets, lifetimes, durations, sizes.
func withExtremeNumbers(_ text: String, _ rng: inout SplitMix64) -> String {
    var out = "", i = text.startIndex
    while i < text.endIndex {
        if text[i].isNumber, i == text.startIndex || !(text[text.index(before: i)].isLetter || text[text.index(before: i)] == "_"),
           Int.random(in: 0..<3, using: &rng) == 0 {
            var j = i
            while j < text.endIndex, text[j].isNumber || text[j] == "." || text[j] == "_" { j = text.index(after: j) }
            out += extremeLiterals.randomElement(using: &rng)!
            i = j
        } else {
            out.append(text[i])
            i = text.index(after: i)
        }
    }
    return out
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
            for _ in 0..<40 { survives(withExtremeNumbers(text, &rng)) }
        }
    }

    /// Every input the libFuzzer target ever failed on (Fuzz/Regressions/FrontEnd)
    /// passes its checks now.
    @Test func frontEndFuzzerFindsStayFixed() throws {
        for url in try regressionFiles("FrontEnd") {
            let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            let problems = FuzzChecks.frontEnd(text)
            #expect(problems.isEmpty, "\(url.lastPathComponent): \(problems.joined(separator: "\n"))")
        }
    }
}
