/// Turns source bytes into tokens. Comments are kept aside (for `strat fmt`);
/// every malformed piece of input becomes one diagnostic and an `.invalid` token,
/// so the parser always sees a complete token stream ending in `.eof`.
public struct Lexer {
    public struct Output: Sendable {
        public var tokens: [Token]
        public var comments: [Comment]
    }

    private let file: SourceFile
    private let b: [UInt8]
    private var i = 0
    private var sawNewline = true
    private var lineHasToken = false

    public init(file: SourceFile) {
        self.file = file
        self.b = file.bytes
    }

    public static func tokenize(_ file: SourceFile, diagnostics: inout DiagnosticBag) -> Output {
        guard file.bytes.count <= Limits.maxSourceBytes else {
            diagnostics.error(.sourceTooLarge,
                              "this file is \(file.bytes.count) bytes; Strat reads strategies of up to \(Limits.maxSourceBytes) bytes (16 MB)",
                              at: SourceRange(0, 0))
            return Output(tokens: [Token(kind: .eof, range: SourceRange(0, 0), startsLine: true)], comments: [])
        }
        var lexer = Lexer(file: file)
        return lexer.run(&diagnostics)
    }

    private func peek(_ k: Int = 0) -> UInt8 { i + k < b.count ? b[i + k] : 0 }

    private static func isLetter(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95
    }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private static func isSymbolChar(_ c: UInt8) -> Bool {
        isLetter(c) || isDigit(c) || c == UInt8(ascii: ".")
    }

    private mutating func run(_ diags: inout DiagnosticBag) -> Output {
        var tokens: [Token] = []
        var comments: [Comment] = []
        tokens.reserveCapacity(b.count / 3)
        while true {
            skipWhitespace()
            if i >= b.count {
                tokens.append(Token(kind: .eof, range: SourceRange(b.count, b.count), startsLine: true))
                break
            }
            let start = i
            let c = b[i]
            // Comments
            if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                while i < b.count, b[i] != UInt8(ascii: "\n") { i += 1 }
                var end = i
                if end > start, b[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                comments.append(Comment(range: SourceRange(start, end), isBlock: false, ownLine: !lineHasToken))
                continue
            }
            if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                let ownLine = !lineHasToken
                i += 2
                var closed = false
                while i < b.count {
                    if b[i] == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") { i += 2; closed = true; break }
                    if b[i] == UInt8(ascii: "\n") { sawNewline = true; lineHasToken = false }
                    i += 1
                }
                if !closed {
                    diags.error(.unterminatedComment, "this comment is never closed; add `*/`",
                                at: SourceRange(start, start + 2))
                }
                comments.append(Comment(range: SourceRange(start, i), isBlock: true, ownLine: ownLine))
                continue
            }
            let kind = scanToken(c, start: start, &diags)
            tokens.append(Token(kind: kind, range: SourceRange(start, i), startsLine: sawNewline))
            sawNewline = false
            lineHasToken = true
        }
        return Output(tokens: tokens, comments: comments)
    }

    private mutating func skipWhitespace() {
        while i < b.count {
            switch b[i] {
            case UInt8(ascii: "\n"): sawNewline = true; lineHasToken = false; i += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): i += 1
            default: return
            }
        }
    }

    private mutating func scanToken(_ c: UInt8, start: Int, _ diags: inout DiagnosticBag) -> TokenKind {
        if Self.isLetter(c) {
            while i < b.count, Self.isLetter(b[i]) || Self.isDigit(b[i]) { i += 1 }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            if let k = Keyword(rawValue: text) { return .keyword(k) }
            return .identifier
        }
        if Self.isDigit(c) { return scanNumber(start: start, &diags) }
        i += 1
        switch c {
        case UInt8(ascii: "("): return .lParen
        case UInt8(ascii: ")"): return .rParen
        case UInt8(ascii: "["): return .lBracket
        case UInt8(ascii: "]"): return .rBracket
        case UInt8(ascii: "{"): return .lBrace
        case UInt8(ascii: "}"): return .rBrace
        case UInt8(ascii: ","): return .comma
        case UInt8(ascii: ":"): return .colon
        case UInt8(ascii: ";"): return .semicolon
        case UInt8(ascii: "\""):
            // A string of one line, without escapes: test names and file paths.
            while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\n") { i += 1 }
            guard i < b.count, b[i] == UInt8(ascii: "\"") else {
                diags.error(.unterminatedString, "this string is never closed; add `\"` before the end of the line",
                            at: SourceRange(start, i))
                return .invalid
            }
            i += 1
            return .string
        case UInt8(ascii: "@"): return .at
        case UInt8(ascii: "+"): return .plus
        case UInt8(ascii: "-"): return .minus
        case UInt8(ascii: "*"): return .star
        case UInt8(ascii: "/"): return .slash
        case UInt8(ascii: "."):
            if peek() == UInt8(ascii: "."), peek(1) == UInt8(ascii: ".") { i += 2; return .ellipsis }
            if peek() == UInt8(ascii: ".") {
                i += 1
                diags.error(.expectedToken, "ranges are written with three dots, as in `5...50`",
                            at: SourceRange(start, i), fixIts: [FixIt(range: SourceRange(start, i), replacement: "...")])
                return .ellipsis
            }
            if Self.isDigit(peek()) {
                diags.error(.malformedNumber, "a number needs a digit before its decimal point",
                            at: SourceRange(start, i),
                            fixIts: [FixIt(range: SourceRange(start, start), replacement: "0")])
                while i < b.count, Self.isDigit(b[i]) { i += 1 }
                return .invalid
            }
            return .dot
        case UInt8(ascii: "="):
            if peek() == UInt8(ascii: "=") { i += 1; return .equal }
            return .assign
        case UInt8(ascii: "<"):
            if peek() == UInt8(ascii: "=") { i += 1; return .lessEqual }
            return .less
        case UInt8(ascii: ">"):
            if peek() == UInt8(ascii: "=") { i += 1; return .greaterEqual }
            return .greater
        case UInt8(ascii: "!"):
            if peek() == UInt8(ascii: "=") { i += 1; return .notEqual }
            diags.error(.foreignOperator, "Strat writes negation as `not`", at: SourceRange(start, i),
                        fixIts: [FixIt(range: SourceRange(start, i), replacement: "not ")])
            return .keyword(.not)
        case UInt8(ascii: "&"), UInt8(ascii: "|"):
            let word = c == UInt8(ascii: "&") ? "and" : "or"
            if peek() == c { i += 1 }
            diags.error(.foreignOperator, "Strat writes this operator as `\(word)`", at: SourceRange(start, i),
                        fixIts: [FixIt(range: SourceRange(start, i), replacement: word)])
            return .keyword(c == UInt8(ascii: "&") ? .and : .or)
        case UInt8(ascii: "$"):
            while i < b.count, Self.isSymbolChar(b[i])
                || ((b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "/")) && Self.isLetter(peek(1))) { i += 1 }
            if i == start + 1 {
                diags.error(.emptySymbol, "`$` must be followed by a symbol name, as in `$BTCUSDT`",
                            at: SourceRange(start, i))
                return .invalid
            }
            return .symbol
        default:
            // Skip the rest of a multi-byte UTF-8 character so it is reported once.
            while i < b.count, b[i] & 0xC0 == 0x80 { i += 1 }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            let shown = text.unicodeScalars.first.map { $0.isASCII && $0.value >= 32 ? text : "U+\(String($0.value, radix: 16, uppercase: true))" } ?? text
            diags.error(.unexpectedCharacter, "unexpected character `\(shown)`", at: SourceRange(start, i))
            return .invalid
        }
    }

    /// `2005-01-01`: four digits, `-`, two, `-`, two, written without spaces (so
    /// `2005 - 01 - 01` stays a subtraction). The calendar is checked by the parser.
    private var atDate: Bool {
        (0..<4).allSatisfy { Self.isDigit(peek($0)) } && peek(4) == UInt8(ascii: "-")
            && Self.isDigit(peek(5)) && Self.isDigit(peek(6)) && peek(7) == UInt8(ascii: "-")
            && Self.isDigit(peek(8)) && Self.isDigit(peek(9)) && !Self.isDigit(peek(10)) && !Self.isLetter(peek(10))
    }

    private mutating func scanNumber(start: Int, _ diags: inout DiagnosticBag) -> TokenKind {
        if atDate {
            i += 10
            return .date
        }
        var isFloat = false
        var malformed = false
        func digits(_ lexer: inout Lexer) {
            while lexer.i < lexer.b.count {
                let c = lexer.b[lexer.i]
                if Self.isDigit(c) { lexer.i += 1; continue }
                if c == UInt8(ascii: "_"), lexer.i + 1 < lexer.b.count, Self.isDigit(lexer.b[lexer.i + 1]) {
                    lexer.i += 1; continue
                }
                break
            }
        }
        digits(&self)
        // A `.` followed by a digit is a fraction; `5...50` keeps its ellipsis.
        if peek() == UInt8(ascii: "."), Self.isDigit(peek(1)) {
            isFloat = true
            i += 1
            digits(&self)
        } else if peek() == UInt8(ascii: "."), peek(1) != UInt8(ascii: "."), !Self.isLetter(peek(1)) {
            i += 1
            malformed = true
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let save = i
            i += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
            if Self.isDigit(peek()) { isFloat = true; digits(&self) } else { i = save }
        }
        if malformed {
            diags.error(.malformedNumber, "a decimal point must be followed by digits, as in `1.5`",
                        at: SourceRange(start, i))
            return .invalid
        }
        // Unit suffix, written directly after the digits.
        if peek() == UInt8(ascii: "%") { i += 1; return .percent }
        if Self.isLetter(peek()) {
            let s = i
            while i < b.count, Self.isLetter(b[i]) || Self.isDigit(b[i]) { i += 1 }
            let suffix = String(decoding: b[s..<i], as: UTF8.self)
            switch suffix {
            case "x": return .multiplier
            case "bps": return .bps
            case "s", "m", "h", "d", "w", "M":
                if isFloat {
                    diags.error(.malformedNumber, "a duration is a whole number of units, as in `90m`",
                                at: SourceRange(start, i))
                    return .invalid
                }
                return .duration
            default:
                diags.error(.unknownUnitSuffix,
                            "unknown unit `\(suffix)` after a number; expected `%`, `x`, `bps`, `s`, `m`, `h`, `d`, `w` or `M` (months)",
                            at: SourceRange(s, i))
                return .invalid
            }
        }
        return isFloat ? .float : .integer
    }
}
