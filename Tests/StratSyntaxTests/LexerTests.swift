import StratSyntax
import Testing

func kinds(_ text: String) -> [TokenKind] {
    var diags = DiagnosticBag(file: SourceFile(name: "t", text: text))
    return Lexer.tokenize(SourceFile(name: "t", text: text), diagnostics: &diags).tokens.map(\.kind)
}

@Suite struct LexerTests {
    @Test func literalsWithUnits() {
        #expect(kinds("10 1.5 2% 3x 5bps 4h 90m 1_000") ==
                [.integer, .float, .percent, .multiplier, .bps, .duration, .duration, .integer, .eof])
    }

    /// A date is ten characters without spaces; spaced out it stays a subtraction.
    @Test func datesStringsAndSemicolons() {
        #expect(kinds("2005-01-01 2005 - 01 - 01 \"Data/GOOG.csv\"; 2005-01-011") ==
                [.date, .integer, .minus, .integer, .minus, .integer, .string, .semicolon,
                 .integer, .minus, .integer, .minus, .integer, .eof])
    }

    @Test func rangeKeepsItsEllipsis() {
        #expect(kinds("5...50") == [.integer, .ellipsis, .integer, .eof])
    }

    @Test func keywordsOperatorsAndSymbols() {
        #expect(kinds("when a >= b and not c != $BTC-USD @ 4h") ==
                [.keyword(.when), .identifier, .greaterEqual, .identifier, .keyword(.and), .keyword(.not),
                 .identifier, .notEqual, .symbol, .at, .duration, .eof])
    }

    @Test func commentsAreKeptAside() {
        let file = SourceFile(name: "t", text: "a // one\n/* two */ b")
        var diags = DiagnosticBag(file: file)
        let out = Lexer.tokenize(file, diagnostics: &diags)
        #expect(out.tokens.map(\.kind) == [.identifier, .identifier, .eof])
        #expect(out.comments.map { file.text(of: $0.range) } == ["// one", "/* two */"])
        #expect(out.comments.map(\.ownLine) == [false, true])
        #expect(out.tokens[1].startsLine)
    }

    @Test func literalValues() {
        let (e, _) = Parser.parseExpression(SourceFile(name: "t", text: "2.5%"))
        guard case .literal(.percent(let v), _) = e.kind else { Issue.record("not a percent"); return }
        #expect(abs(v - 0.025) < 1e-15)
        let (d, _) = Parser.parseExpression(SourceFile(name: "t", text: "2w"))
        guard case .literal(.duration(let s), _) = d.kind else { Issue.record("not a duration"); return }
        #expect(s == 1_209_600)
    }

    @Test func positionsCountCharactersNotBytes() {
        let file = SourceFile(name: "t", text: "// é\nlet x = é")
        #expect(file.lineColumn(of: 14).line == 2)
        #expect(file.lineColumn(of: 14).column == 9)
    }
}
