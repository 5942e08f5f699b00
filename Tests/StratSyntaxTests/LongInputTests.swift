import StratSyntax
import Testing

/// Long lines and long runs of bad input: positions, diagnostics and their
/// rendering stay linear in the input, and a rendered diagnostic stays short.
/// The time limit is far above what a linear pass needs (under a second in a
/// debug build); the quadratic passes these tests caught took minutes.
@Suite(.timeLimit(.minutes(1))) struct LongInputTests {
    @Test func columnsOnAVeryLongLineCountCharacters() {
        // 100,000 two-byte characters, then `x`: the column is found without a scan
        // from the line start, and still counts characters, not bytes.
        let text = "// " + String(repeating: "é", count: 100_000) + "x\nlet y = 1"
        let file = SourceFile(name: "t", text: text)
        let x = 3 + 200_000
        #expect(file.text(of: SourceRange(x, x + 1)) == "x")
        #expect(file.lineColumn(of: x) == (1, 100_004))
        #expect(file.lineColumn(of: x + 2) == (2, 1))
        #expect(file.line(of: x + 6) == 2)
        #expect(file.lineColumn(of: text.utf8.count) == (2, 10))
    }

    @Test func aRunOfUnexpectedCharactersIsOneDiagnostic() {
        let file = SourceFile(name: "t", text: "strategy S {\n" + String(repeating: "#", count: 200_000) + "\n}\n")
        let (_, diags) = Parser.parse(file)
        #expect(diags.items.map(\.code) == [.unexpectedCharacter])
        #expect(diags.errorCount == 1)
    }

    @Test func aDiagnosticOnALongLineShowsAWindowAroundTheCaret() {
        let text = "strategy S { let a = " + String(repeating: "close + ", count: 20_000) + "# }"
        let file = SourceFile(name: "t", text: text)
        let (_, diags) = Parser.parse(file)
        let d = try! #require(diags.items.first { $0.code == .unexpectedCharacter })
        let out = DiagnosticRenderer().render(d, in: file)
        #expect(out.utf8.count < 1_000, "\(out.utf8.count) bytes")
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The caret sits under the `#`, and the window is marked as cut on the left.
        let source = lines[2], marks = lines[3]
        let caret = marks.firstIndex(of: "^").map { marks.distance(from: marks.startIndex, to: $0) }
        let hash = source.firstIndex(of: "#").map { source.distance(from: source.startIndex, to: $0) }
        #expect(caret != nil && caret == hash)
        #expect(source.contains("…"))
    }

    @Test func shortLinesAreShownWhole() {
        let file = SourceFile(name: "t", text: "let a = close ‸# 2".replacingOccurrences(of: "‸", with: ""))
        var diags = DiagnosticBag(file: file)
        _ = Lexer.tokenize(file, diagnostics: &diags)
        #expect(DiagnosticRenderer().render(diags.items[0], in: file) ==
                "t:1:15: error[E0001]: unexpected character `#`\n   |\n 1 | let a = close # 2\n   |               ^\n")
    }

    @Test func manyWarningsKeepACountOfErrors() {
        // 20,000 unused lets: each warning is kept, the error count stays exact.
        var bag = DiagnosticBag(file: SourceFile(name: "t", text: "x"))
        for i in 0..<20_000 { bag.error(.unusedLet, "w", at: SourceRange(i, i)) }
        bag.error(.undefinedName, "e", at: SourceRange(0, 1))
        #expect(bag.items.count == 20_001)
        #expect(bag.errorCount == 1)
        #expect(bag.acceptsErrors)
    }
}
