public enum TokenKind: Hashable, Sendable {
    case identifier
    case integer, float, percent, multiplier, duration, bps
    case symbol              // $BTCUSDT
    case date                // 2005-01-01 (test blocks, times)
    case string              // "Data/GOOG.csv" (test blocks)
    case keyword(Keyword)
    case lParen, rParen, lBracket, rBracket, lBrace, rBrace
    case comma, dot, ellipsis, colon, semicolon, at
    case assign              // =
    case plus, minus, star, slash
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case eof
    case invalid             // already reported by the lexer

    public var description: String {
        switch self {
        case .identifier: "a name"
        case .integer, .float: "a number"
        case .percent: "a percentage"
        case .multiplier: "a multiplier"
        case .duration: "a duration"
        case .bps: "basis points"
        case .symbol: "a symbol"
        case .date: "a date"
        case .string: "a string"
        case .semicolon: "`;`"
        case .keyword(let k): "`\(k.rawValue)`"
        case .lParen: "`(`"
        case .rParen: "`)`"
        case .lBracket: "`[`"
        case .rBracket: "`]`"
        case .lBrace: "`{`"
        case .rBrace: "`}`"
        case .comma: "`,`"
        case .dot: "`.`"
        case .ellipsis: "`...`"
        case .colon: "`:`"
        case .at: "`@`"
        case .assign: "`=`"
        case .plus: "`+`"
        case .minus: "`-`"
        case .star: "`*`"
        case .slash: "`/`"
        case .equal: "`==`"
        case .notEqual: "`!=`"
        case .less: "`<`"
        case .lessEqual: "`<=`"
        case .greater: "`>`"
        case .greaterEqual: "`>=`"
        case .eof: "end of file"
        case .invalid: "an invalid token"
        }
    }
}

/// Reserved words. Words that only mean something in one place (`spot`, `gtc`,
/// `drawdown`, `halt`, …) are contextual and stay usable as names.
public enum Keyword: String, CaseIterable, Sendable {
    case strategy, market, universe, timeframe, input, `let`, fn, when
    case enter, exit, flatten, cancel, long, short
    case at, limit, stop, take, trail, size, tif, expire
    case `if`, then, `else`, and, or, not, `true`, `false`, `in`, step
}

public struct Token: Sendable {
    public var kind: TokenKind
    public var range: SourceRange
    /// True when a line break separates this token from the previous one; a `(` or
    /// `[` that starts a line never continues the expression before it.
    public var startsLine: Bool

    public init(kind: TokenKind, range: SourceRange, startsLine: Bool) {
        self.kind = kind; self.range = range; self.startsLine = startsLine
    }
}

public struct Comment: Sendable {
    public var range: SourceRange
    public var isBlock: Bool
    /// True when only whitespace precedes it on its line.
    public var ownLine: Bool
}
