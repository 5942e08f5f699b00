/// Recursive-descent parser; each `parseX` is named after the production `x` in
/// Grammar/strat.ebnf. It never gives up on a file: a broken member or action
/// becomes an `.error` node and parsing resumes at the next line that starts a
/// member (or action), and every loop checks that it made progress.
public struct Parser {
    private let file: SourceFile
    private var tokens: [Token]
    private var comments: [Comment]
    private var pos = 0
    private var nextID = 0
    /// Levels of expression nesting open at the current token (see `Limits.maxNesting`).
    private var depth = 0
    public var diagnostics: DiagnosticBag

    public init(file: SourceFile) {
        self.file = file
        self.diagnostics = DiagnosticBag(file: file)
        let out = Lexer.tokenize(file, diagnostics: &diagnostics)
        self.tokens = out.tokens
        self.comments = out.comments
    }

    /// Parses a whole file (on a `DeepStack` thread, as every entry point here).
    public static func parse(_ file: SourceFile) -> (Program, DiagnosticBag) {
        DeepStack.run {
            var p = Parser(file: file)
            let program = p.parseProgram()
            return (program, p.diagnostics)
        }
    }

    /// Parses a lone expression (for `strat eval` and the REPL). `firstID` keeps
    /// expression ids unique when the caller combines several parses.
    public static func parseExpression(_ file: SourceFile, firstID: Int = 0) -> (Expr, DiagnosticBag) {
        DeepStack.run {
            var p = Parser(file: file)
            p.nextID = firstID
            let e = p.parseExpr()
            if !p.at(.eof) {
                p.error(.expectedToken, "unexpected \(p.current.kind.description) after the expression", at: p.current.range)
            }
            return (e, p.diagnostics)
        }
    }

    /// One expression as a program: `strategy Eval { timeframe …  let value = EXPR }`,
    /// for `strat eval` and the REPL. Diagnostics point into `file`, which holds
    /// only the expression; `timeframe` (seconds) is the data's bar length.
    public static func parseEvaluation(_ file: SourceFile, timeframe: Int64?) -> (Program, DiagnosticBag) {
        DeepStack.run { evaluation(file, timeframe: timeframe) }
    }

    private static func evaluation(_ file: SourceFile, timeframe: Int64?) -> (Program, DiagnosticBag) {
        var p = Parser(file: file)
        let e = p.parseExpr()
        if !p.at(.eof) {
            p.error(.expectedToken, "unexpected \(p.current.kind.description) after the expression", at: p.current.range)
        }
        let r = e.range
        var members: [Member] = []
        if let tf = timeframe {
            let literal = Expr(id: p.nextID, kind: .literal(.duration(seconds: tf), text: "\(tf)s"), range: SourceRange(0, 0))
            members.append(.timeframe(TimeframeDecl(value: literal, range: SourceRange(0, 0))))
        }
        members.append(.binding(LetDecl(names: [Identifier("value", r)], isTuple: false, type: nil, value: e, range: r)))
        let strategy = StrategyDecl(name: Identifier("Eval", r), members: members, range: r)
        return (Program(file: file, strategies: [strategy], comments: []), p.diagnostics)
    }

    // MARK: Token helpers

    private var current: Token { tokens[pos] }
    private var previous: Token { tokens[max(0, pos - 1)] }
    private func peekToken(_ k: Int = 1) -> Token { tokens[min(pos + k, tokens.count - 1)] }
    private func at(_ kind: TokenKind) -> Bool { current.kind == kind }
    private func atKeyword(_ k: Keyword) -> Bool { current.kind == .keyword(k) }
    private func atWord(_ word: String) -> Bool { current.kind == .identifier && text(current) == word }
    private func text(_ t: Token) -> String { file.text(of: t.range) }

    @discardableResult
    private mutating func advance() -> Token {
        let t = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    private mutating func accept(_ kind: TokenKind) -> Bool {
        if at(kind) { advance(); return true }
        return false
    }

    private mutating func error(_ code: DiagnosticCode, _ message: String, at range: SourceRange,
                                notes: [Note] = [], fixIts: [FixIt] = []) {
        diagnostics.error(code, message, at: range, notes: notes, fixIts: fixIts)
    }

    /// Expects `kind`; reports "expected X, found Y" at the offending token otherwise.
    @discardableResult
    private mutating func expect(_ kind: TokenKind, _ context: String) -> Bool {
        if accept(kind) { return true }
        // Point just after the previous token when the expected token is simply missing.
        let range = current.startsLine || at(.eof)
            ? SourceRange(previous.range.end, previous.range.end) : current.range
        error(.expectedToken, "expected \(kind.description) \(context), found \(current.kind.description)", at: range)
        return false
    }

    private mutating func makeExpr(_ kind: Expr.Kind, _ range: SourceRange) -> Expr {
        defer { nextID += 1 }
        return Expr(id: nextID, kind: kind, range: range)
    }

    private mutating func expectIdentifier(_ context: String) -> Identifier? {
        if at(.identifier) {
            let t = advance()
            return Identifier(text(t), t.range)
        }
        if case .keyword(let k) = current.kind {
            error(.expectedToken, "`\(k.rawValue)` is a reserved word and can't be used as a name \(context)", at: current.range)
            let t = advance()
            return Identifier(k.rawValue, t.range)
        }
        expect(.identifier, context)
        return nil
    }

    private static let memberKeywords: Set<Keyword> = [.market, .universe, .timeframe, .input, .let, .fn, .when, .strategy]
    private var atMemberStart: Bool {
        if case .keyword(let k) = current.kind, Self.memberKeywords.contains(k) { return true }
        return (atWord("risk") && peekToken().kind == .lBrace)
            || (atWord("test") && peekToken().kind == .string)
            || (atWord("pyramiding") && peekToken().kind != .assign && !peekToken().startsLine)
    }

    private var atActionStart: Bool {
        atKeyword(.enter) || atKeyword(.exit) || atKeyword(.flatten) || atKeyword(.cancel)
    }

    /// Skips to the next line that starts with a member keyword, or to `}`/EOF.
    private mutating func synchronize(toActions: Bool = false) {
        let start = pos
        while !at(.eof) {
            if pos > start, current.startsLine, atMemberStart || at(.rBrace) || (toActions && atActionStart) { return }
            if pos > start, at(.rBrace) { return }
            advance()
        }
    }

    // MARK: Program and strategy

    public mutating func parseProgram() -> Program {
        var strategies: [StrategyDecl] = []
        while !at(.eof) {
            let before = pos
            if atKeyword(.strategy) {
                strategies.append(parseStrategy())
            } else {
                error(.expectedStrategy, "expected `strategy Name { … }`, found \(current.kind.description)", at: current.range)
                advance()
                while !at(.eof), !atKeyword(.strategy) { advance() }
            }
            if pos == before { advance() }
        }
        return Program(file: file, strategies: strategies, comments: comments)
    }

    mutating func parseStrategy() -> StrategyDecl {
        let start = advance().range   // `strategy`
        let name = expectIdentifier("after `strategy`") ?? Identifier("<missing>", SourceRange(start.end, start.end))
        let open = current.range
        var members: [Member] = []
        if !expect(.lBrace, "to open the strategy body") {
            return StrategyDecl(name: name, members: [], range: start.union(previous.range))
        }
        while !at(.rBrace), !at(.eof), !atKeyword(.strategy) {
            let before = pos
            members.append(parseMember())
            if pos == before { advance() }
        }
        // An unterminated comment swallows the closing brace; it is already reported.
        if !accept(.rBrace), !diagnostics.items.contains(where: { $0.code == .unterminatedComment }) {
            error(.unclosedBrace, "the body of strategy `\(name.name)` is never closed; add `}`",
                  at: SourceRange(previous.range.end, previous.range.end),
                  notes: [Note("the strategy body opens here", at: open)])
        }
        return StrategyDecl(name: name, members: members, range: start.union(previous.range))
    }

    mutating func parseMember() -> Member {
        switch current.kind {
        case .keyword(.market): return parseMarketDecl()
        case .keyword(.universe): return parseUniverseDecl()
        case .keyword(.timeframe): return parseTimeframeDecl()
        case .keyword(.input): return parseInputDecl()
        case .keyword(.let): return parseLetDecl()
        case .keyword(.fn): return parseFnDecl()
        case .keyword(.when): return parseWhenRule()
        default:
            if atWord("risk"), peekToken().kind == .lBrace { return parseRiskBlock() }
            if atWord("test"), peekToken().kind == .string { return parseTestBlock() }
            if atWord("pyramiding"), peekToken().kind != .assign, !peekToken().startsLine { return parsePyramidingDecl() }
            let start = current.range
            var notes: [Note] = []
            if atActionStart { notes.append(Note("actions go inside a rule: `when condition { … }`")) }
            if at(.identifier), peekToken().kind == .assign {
                notes.append(Note("a binding is written `let \(text(current)) = …`"))
            }
            error(.expectedMember,
                  "expected a declaration (`market`, `universe`, `timeframe`, `pyramiding`, `input`, `let`, `fn`, `when`, `risk` or `test`), found \(current.kind.description)",
                  at: current.range, notes: notes)
            synchronize()
            return .error(start.union(previous.range))
        }
    }

    mutating func parsePyramidingDecl() -> Member {
        let start = advance().range
        let value = parseExpr()
        return .pyramiding(PyramidingDecl(value: value, range: start.union(previous.range)))
    }

    mutating func parseMarketDecl() -> Member {
        let start = advance().range
        guard at(.identifier), let kind = MarketKind(rawValue: text(current)) else {
            error(.unknownMarket, "expected `spot` or `perp` after `market`, found \(current.kind.description)", at: current.range)
            synchronize()
            return .error(start.union(previous.range))
        }
        let kindRange = advance().range
        var args: [CallArgument] = []
        if at(.lParen), !current.startsLine {
            advance()
            args = parseArgumentList()
        }
        return .market(MarketDecl(kind: kind, kindRange: kindRange, arguments: args, range: start.union(previous.range)))
    }

    mutating func parseUniverseDecl() -> Member {
        let start = advance().range
        // `universe top 10 by sma(close * volume, 30) every 1w`: `top`, `by` and `every` are contextual.
        if at(.identifier), text(current) == "top" {
            advance()
            let count = parsePrimary()
            if at(.identifier), text(current) == "by" {
                advance()
            } else {
                error(.expectedToken, "expected `by` and the ranking expression: `universe top N by EXPR`", at: current.range)
            }
            let metric = parseExpr()
            var every: Expr?
            if at(.identifier), text(current) == "every" {
                let word = advance()
                if current.startsLine || at(.rBrace) || at(.eof) {
                    error(.expectedToken, "expected a period after `every`: a duration such as `1w`, or `month`, `quarter` or `year`",
                          at: word.range)
                } else {
                    every = parsePrimary()
                }
            }
            return .universe(UniverseDecl(symbols: [], top: count, by: metric, every: every, range: start.union(previous.range)))
        }
        var symbols: [Identifier] = []
        repeat {
            if at(.identifier) || at(.symbol) {
                let t = advance()
                var name = text(t)
                if name.hasPrefix("$") { name.removeFirst() }
                symbols.append(Identifier(name, t.range))
            } else {
                expect(.identifier, "(a symbol such as BTCUSDT) in `universe`")
                synchronize()
                break
            }
        } while accept(.comma)
        return .universe(UniverseDecl(symbols: symbols, range: start.union(previous.range)))
    }

    mutating func parseTimeframeDecl() -> Member {
        let start = advance().range
        let value = parsePrimary()
        return .timeframe(TimeframeDecl(value: value, range: start.union(previous.range)))
    }

    mutating func parseTypeAnnotation() -> TypeName? {
        guard accept(.colon) else { return nil }
        guard let name = expectIdentifier("as a type name") else { return nil }
        return TypeName(name: name)
    }

    mutating func parseInputDecl() -> Member {
        let start = advance().range
        guard let name = expectIdentifier("after `input`") else { synchronize(); return .error(start.union(previous.range)) }
        let type = parseTypeAnnotation()
        guard expect(.assign, "and a default value after the input's name") else {
            synchronize(); return .error(start.union(previous.range))
        }
        let value = parseExpr()
        var lower: Expr?, upper: Expr?, step: Expr?
        if accept(.keyword(.in)) {
            lower = parseExpr()
            if expect(.ellipsis, "between the bounds of the range") { upper = parseExpr() }
            if accept(.keyword(.step)) { step = parseExpr() }
        }
        return .input(InputDecl(name: name, type: type, defaultValue: value, lower: lower, upper: upper,
                                step: step, range: start.union(previous.range)))
    }

    mutating func parseLetDecl() -> Member {
        let start = advance().range
        var names: [Identifier] = []
        var isTuple = false
        if accept(.lParen) {
            isTuple = true
            repeat {
                guard let n = expectIdentifier("in the destructuring list") else { break }
                names.append(n)
            } while accept(.comma)
            expect(.rParen, "to close the destructuring list")
        } else if let n = expectIdentifier("after `let`") {
            names.append(n)
        }
        if names.isEmpty { synchronize(); return .error(start.union(previous.range)) }
        let type = parseTypeAnnotation()
        guard expect(.assign, "after the name in `let`") else { synchronize(); return .error(start.union(previous.range)) }
        let value = parseExpr()
        return .binding(LetDecl(names: names, isTuple: isTuple, type: type, value: value, range: start.union(previous.range)))
    }

    mutating func parseFnDecl() -> Member {
        let start = advance().range
        guard let name = expectIdentifier("after `fn`") else { synchronize(); return .error(start.union(previous.range)) }
        var params: [Identifier] = []
        guard expect(.lParen, "to open the parameter list") else { synchronize(); return .error(start.union(previous.range)) }
        if !at(.rParen) {
            repeat {
                guard let p = expectIdentifier("as a parameter name") else { break }
                params.append(p)
            } while accept(.comma)
        }
        expect(.rParen, "to close the parameter list")
        guard expect(.assign, "before the function's body (`fn f(x) = …`)") else {
            synchronize(); return .error(start.union(previous.range))
        }
        let body = parseExpr()
        return .function(FnDecl(name: name, parameters: params, body: body, range: start.union(previous.range)))
    }

    mutating func parseWhenRule() -> Member {
        let start = advance().range
        let condition = parseExpr()
        let open = current.range
        guard expect(.lBrace, "to open the rule's actions") else {
            synchronize()
            return .rule(WhenRule(condition: condition, actions: [], range: start.union(previous.range)))
        }
        var actions: [Action] = []
        while !at(.rBrace), !at(.eof), !(atMemberStart && current.startsLine) {
            let before = pos
            actions.append(parseAction())
            if pos == before { advance() }
        }
        if !accept(.rBrace) {
            error(.unclosedBrace, "this rule's block is never closed; add `}`",
                  at: SourceRange(previous.range.end, previous.range.end),
                  notes: [Note("the block opens here", at: open)])
        }
        return .rule(WhenRule(condition: condition, actions: actions, range: start.union(previous.range)))
    }

    // MARK: Actions and orders

    mutating func parseAction() -> Action {
        let start = current.range
        switch current.kind {
        case .keyword(.enter): return .enter(parseOrderAction())
        case .keyword(.exit): return .exit(parseOrderAction())
        case .keyword(.flatten): return .flatten(advance().range)
        case .keyword(.cancel):
            advance()
            if accept(.keyword(.long)) { return .cancel(side: .long, range: start.union(previous.range)) }
            if accept(.keyword(.short)) { return .cancel(side: .short, range: start.union(previous.range)) }
            if atWord("entries") { advance(); return .cancel(side: nil, range: start.union(previous.range)) }
            if atWord("all") { advance(); return .cancelAll(start.union(previous.range)) }
            error(.expectedToken, "expected `long`, `short`, `entries` or `all` after `cancel`, found \(current.kind.description)", at: current.range)
            return .error(start.union(previous.range))
        default:
            error(.expectedAction, "expected an action (`enter`, `exit`, `flatten` or `cancel`), found \(current.kind.description)",
                  at: current.range)
            synchronize(toActions: true)
            return .error(start.union(previous.range))
        }
    }

    mutating func parseSide() -> (Side, SourceRange)? {
        if atKeyword(.long) { return (.long, advance().range) }
        if atKeyword(.short) { return (.short, advance().range) }
        return nil
    }

    mutating func parseOrderAction() -> OrderAction {
        let keyword = advance()
        let start = keyword.range
        let verb = text(keyword)
        var side = Side.long
        var sideRange = SourceRange(start.end, start.end)
        if let (s, r) = parseSide() { side = s; sideRange = r } else {
            error(.expectedToken, "expected `long` or `short` after `\(verb)`, found \(current.kind.description)", at: current.range)
        }
        var orderType = OrderType.market
        var orderTypeRange: SourceRange?
        if accept(.keyword(.at)) {
            let tStart = current.range
            orderType = parseOrderType()
            orderTypeRange = tStart.union(previous.range)
        }
        var size: Expr?
        var clauses: [ClauseNode] = []
        var seen: [String: SourceRange] = [:]
        while true {
            let before = pos
            let cStart = current.range
            let name: String
            if atKeyword(.size) {
                advance()
                name = "size"
                let e = parseExpr()
                if size == nil { size = e }
            } else if let c = parseOrderClause() {
                name = c.name
                clauses.append(ClauseNode(clause: c.clause, keyword: cStart, range: cStart.union(previous.range)))
            } else {
                break
            }
            if let first = seen[name] {
                error(.duplicateClause, "`\(name)` is given twice in this order", at: cStart,
                      notes: [Note("first given here", at: first)])
            } else {
                seen[name] = cStart
            }
            if pos == before { break }
        }
        // Anything else left on the action's line is a clause we don't know.
        if !at(.eof), !at(.rBrace), !current.startsLine {
            error(.expectedOrderClause,
                  "expected an order clause (`size`, `stop`, `take`, `trail`, `tif`, `expire after`, `reduce only`, `post only`, `display`, `trigger`), found \(current.kind.description)",
                  at: current.range)
            synchronize(toActions: true)
        }
        return OrderAction(side: side, sideRange: sideRange, orderType: orderType, orderTypeRange: orderTypeRange,
                           size: size, clauses: clauses, range: start.union(previous.range), keyword: start)
    }

    mutating func parseOrderType() -> OrderType {
        if accept(.keyword(.market)) { return .market }
        if accept(.keyword(.limit)) { return .limit(parseExpr()) }
        if accept(.keyword(.stop)) {
            let s = parseExpr()
            if accept(.keyword(.limit)) { return .stopLimit(stop: s, limit: parseExpr()) }
            return .stop(s)
        }
        error(.expectedToken, "expected `market`, `limit PRICE` or `stop PRICE` after `at`, found \(current.kind.description)",
              at: current.range)
        return .market
    }

    mutating func parseOrderClause() -> (clause: OrderClause, name: String)? {
        switch current.kind {
        case .keyword(.stop): advance(); return (.stop(parseExpr()), "stop")
        case .keyword(.take): advance(); return (.take(parseExpr()), "take")
        case .keyword(.trail): advance(); return (.trail(parseExpr()), "trail")
        case .keyword(.tif):
            advance()
            if at(.identifier), let t = TimeInForce(rawValue: text(current)) { advance(); return (.tif(t), "tif") }
            error(.unknownTimeInForce, "expected a time in force (`gtc`, `ioc`, `fok`, `day` or `gtd`), found \(current.kind.description)",
                  at: current.range)
            if at(.identifier) { advance() }
            return (.tif(.gtc), "tif")
        case .keyword(.expire):
            advance()
            if atWord("after") { advance() } else { expect(.identifier, "(`after`) in `expire after …`") }
            let e = parseExpr()
            let inBars = atWord("bars") || atWord("bar")
            if inBars { advance() }
            return (.expire(e, inBars: inBars), "expire")
        case .identifier where atWord("display") && !peekToken().startsLine:
            advance()
            return (.display(parseExpr()), "display")
        case .identifier where atWord("trigger"):
            let word = advance()
            if at(.identifier), !current.startsLine, atWord("mark") || atWord("last") {
                return (.trigger(mark: text(advance()) == "mark"), "trigger")
            }
            error(.expectedToken, "expected `mark` or `last` after `trigger`, found \(current.kind.description)",
                  at: current.startsLine || at(.eof) ? word.range : current.range)
            if at(.identifier), !current.startsLine { advance() }
            return (.trigger(mark: false), "trigger")
        case .identifier where (atWord("reduce") || atWord("post")) && peekToken().kind == .identifier:
            let word = text(current)
            advance()
            if atWord("only") { advance() } else { expect(.identifier, "(`only`) after `\(word)`") }
            return word == "reduce" ? (.reduceOnly, "reduce only") : (.postOnly, "post only")
        default:
            return nil
        }
    }

    // MARK: Risk

    mutating func parseRiskBlock() -> Member {
        let start = advance().range
        let open = current.range
        advance() // `{`
        var limits: [RiskLimit] = []
        while !at(.rBrace), !at(.eof), !(atMemberStart && current.startsLine) {
            let before = pos
            if let l = parseRiskLimit() { limits.append(l) }
            if pos == before { advance() }
        }
        if !accept(.rBrace) {
            error(.unclosedBrace, "the `risk` block is never closed; add `}`",
                  at: SourceRange(previous.range.end, previous.range.end), notes: [Note("the block opens here", at: open)])
        }
        return .risk(RiskBlock(limits: limits, range: start.union(previous.range)))
    }

    private mutating func skipWords(_ words: String...) {
        for w in words where atWord(w) { advance() }
    }

    mutating func parseRiskLimit() -> RiskLimit? {
        let start = current.range
        guard atWord("max") else {
            error(.unknownRiskLimit, "expected a limit such as `max drawdown 20% then halt`, found \(current.kind.description)",
                  at: current.range)
            synchronizeLine()
            return nil
        }
        advance()
        let word = at(.identifier) ? text(current) : ""
        let kind: RiskLimitKind
        switch word {
        case "drawdown":
            advance()
            let v = parseExpr()
            var over: Expr?
            if atWord("over") { advance(); over = parseExpr() }
            var action = DrawdownAction.halt(for: nil)
            if expect(.keyword(.then), "after the drawdown limit (`then halt` or `then scale 50%`)") {
                if atWord("halt") {
                    advance()
                    if atWord("for") { advance(); action = .halt(for: parseExpr()) }
                } else if atWord("scale") {
                    advance(); action = .reduce(parseExpr())
                } else {
                    error(.expectedToken, "expected `halt` or `scale PERCENT` after `then`, found \(current.kind.description)",
                          at: current.range)
                    synchronizeLine()
                }
            }
            kind = .drawdown(v, over: over, then: action)
        case "leverage": advance(); kind = .leverage(parseExpr())
        case "position": advance(); let v = parseExpr(); skipWords("of", "equity"); kind = .position(v)
        case "exposure": advance(); let v = parseExpr(); skipWords("of", "equity"); kind = .exposure(v)
        case "correlation":
            advance()
            let v = parseExpr()
            var over = makeExpr(.literal(.integer(30), text: "30"), SourceRange(previous.range.end, previous.range.end))
            if atWord("over") {
                advance()
                over = parseExpr()
                skipWords("bars")
            }
            kind = .correlation(v, over: over)
        case "daily":
            advance()
            if atWord("loss") { advance() } else { expect(.identifier, "(`loss`) in `max daily loss`") }
            kind = .dailyLoss(parseExpr())
        case "trade", "open":
            advance()
            if atWord("risk") { advance() } else { expect(.identifier, "(`risk`) in `max \(word) risk`") }
            let v = parseExpr()
            skipWords("of", "equity")
            kind = word == "trade" ? .tradeRisk(v) : .openRisk(v)
        default:
            error(.unknownRiskLimit,
                  "unknown risk limit \(word.isEmpty ? current.kind.description : "`\(word)`"); expected `drawdown`, `leverage`, `position`, `exposure`, `correlation`, `daily loss`, `trade risk` or `open risk`",
                  at: current.range)
            synchronizeLine()
            return nil
        }
        return RiskLimit(kind: kind, name: ["daily": "daily loss", "trade": "trade risk", "open": "open risk"][word] ?? word,
                         range: start.union(previous.range))
    }

    // MARK: Test blocks

    mutating func parseTestBlock() -> Member {
        let start = advance().range   // `test`
        let nameToken = advance()     // the string
        let name = String(text(nameToken).dropFirst().dropLast())
        let open = current.range
        var items: [TestItem] = []
        guard expect(.lBrace, "to open the test block") else {
            return .test(TestBlock(name: name, nameRange: nameToken.range, items: [], range: start.union(previous.range)))
        }
        while !at(.rBrace), !at(.eof), !(atMemberStart && current.startsLine) {
            let before = pos
            if accept(.semicolon) { continue }
            if atWord("bars") {
                items.append(parseBarsClause())
            } else if atWord("expect") {
                items.append(.expect(parseExpectation()))
            } else if atWord("session"), peekToken().kind == .string {
                let start = advance().range
                let t = advance()
                items.append(.session(String(text(t).dropFirst().dropLast()), start.union(t.range)))
            } else {
                error(.expectedTestItem, "expected `bars \"FILE.csv\" …`, `session \"…\"` or `expect …` in a test block, found \(current.kind.description)",
                      at: current.range)
                // Skip to the next item: a `;`, a new line, or the end of the block.
                while !at(.eof), !at(.rBrace), !at(.semicolon), pos == before || !current.startsLine { advance() }
            }
            if pos == before { advance() }
        }
        if !accept(.rBrace) {
            error(.unclosedBrace, "the test block `\(name)` is never closed; add `}`",
                  at: SourceRange(previous.range.end, previous.range.end), notes: [Note("the block opens here", at: open)])
        }
        return .test(TestBlock(name: name, nameRange: nameToken.range, items: items, range: start.union(previous.range)))
    }

    mutating func parseBarsClause() -> TestItem {
        let start = advance().range   // `bars`
        var path = "", pathRange = SourceRange(start.end, start.end)
        if at(.string) {
            let t = advance()
            path = String(text(t).dropFirst().dropLast())
            pathRange = t.range
        } else {
            expect(.string, "after `bars` (the data file, as in `bars \"Data/GOOG.csv\"`)")
        }
        var from: Expr?, to: Expr?
        if atWord("from") { advance(); from = parseBinary(.comparison) }
        if atWord("to") { advance(); to = parseBinary(.comparison) }
        return .bars(path: path, pathRange: pathRange, from: from, to: to, range: start.union(previous.range))
    }

    mutating func parseExpectation() -> Expectation {
        let start = advance().range   // `expect`
        if atWord("no"), peekToken().kind == .identifier, text(peekToken()) == "position" {
            advance(); advance()
            if atWord("while") { advance() } else { expect(.identifier, "(`while`) in `expect no position while CONDITION`") }
            let cond = parseExpr()
            return Expectation(kind: .noPositionWhile(cond), range: start.union(previous.range))
        }
        let value = parseExpr()
        if atWord("between") {
            advance()
            // Bounds stop before `and`, which joins them.
            let lo = parseBinary(.comparison)
            expect(.keyword(.and), "in `between LOW and HIGH`")
            let hi = parseBinary(.comparison)
            if atWord("always") { advance() } else {
                expect(.identifier, "(`always`) after `between LOW and HIGH`: the bounds hold on every bar")
            }
            return Expectation(kind: .between(value, lo, hi), range: start.union(previous.range))
        }
        if atWord("always") {
            advance()
            return Expectation(kind: .always(value), range: start.union(previous.range))
        }
        return Expectation(kind: .run(value), range: start.union(previous.range))
    }

    private mutating func synchronizeLine() {
        let start = pos
        while !at(.eof), !at(.rBrace), pos == start || !current.startsLine { advance() }
    }

    // MARK: Expressions

    public mutating func parseExpr() -> Expr {
        nested { $0.parseConditional() }
    }

    /// Parses one level deeper; past `Limits.maxNesting` reports E0114 and skips
    /// the rest of the nested part instead, so the parser's own recursion (and
    /// every later walk of the tree) stays bounded.
    private mutating func nested(_ parse: (inout Parser) -> Expr) -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Limits.maxNesting { return skipTooDeep() }
        return parse(&self)
    }

    /// Reports the nesting limit at the current token, then skips to the token
    /// that closes the level above: a `)`, `]`, `,`, `then` or `else` outside what
    /// is skipped, a brace, or a line starting a declaration or action.
    private mutating func skipTooDeep() -> Expr {
        let start = current.range
        error(.nestingTooDeep, "expressions nest more than \(Limits.maxNesting) levels deep here", at: start,
              notes: [Note("name an inner part with `let` and use the name; a run such as `a + b + c …` is one level however long")])
        var open = 0
        scan: while !at(.eof) {
            switch current.kind {
            case .lParen, .lBracket, .keyword(.if): open += 1
            case .rParen, .rBracket, .keyword(.else):
                if open == 0 { break scan }
                open -= 1
            case .comma, .keyword(.then): if open == 0 { break scan }
            case .lBrace, .rBrace: break scan
            default: if current.startsLine, atMemberStart || atActionStart { break scan }
            }
            advance()
        }
        return makeExpr(.error, pos > 0 && previous.range.end > start.start ? start.union(previous.range) : start)
    }

    mutating func parseConditional() -> Expr {
        guard atKeyword(.if) else { return parseBinary(.or) }
        let start = advance().range
        let cond = parseExpr()
        expect(.keyword(.then), "after the condition of `if`")
        let a = parseExpr()
        expect(.keyword(.else), "in `if … then … else …` (both branches are required)")
        let b = parseExpr()
        return makeExpr(.conditional(cond, a, b), start.union(b.range))
    }

    mutating func parseBinary(_ minPrec: Precedence) -> Expr {
        var lhs: Expr
        if atKeyword(.not) {
            let start = advance().range
            let operand = nested { $0.parseBinary(.comparison) }
            lhs = makeExpr(.unary(.not, operand), start.union(operand.range))
        } else if at(.minus) {
            let start = advance().range
            let operand = nested { $0.parseBinary(.unary) }
            lhs = makeExpr(.unary(.negate, operand), start.union(operand.range))
        } else {
            lhs = parsePostfix()
        }
        // The run of operators at or above `minPrec` is collected in a loop, so a
        // chain of any length costs no stack (see `Expr.Kind.binary`).
        var operands: [BinaryOperand] = []
        while true {
            var info = OperatorTable.binary(current.kind)
            let opToken = current
            if info == nil, at(.assign), minPrec <= .comparison {
                error(.assignmentInCondition, "`=` declares a value; compare with `==`", at: current.range,
                      fixIts: [FixIt(range: current.range, replacement: "==")])
                info = (.eq, .comparison)
            }
            guard let (op, prec) = info, prec >= minPrec else { break }
            advance()
            let rhs = parseBinary(prec.next)
            if op.isComparison, operands.last?.op.isComparison == true {
                error(.chainedComparison, "comparisons can't be chained; join them with `and`", at: opToken.range,
                      notes: [Note("write `a < b and b < c`")])
            }
            operands.append(BinaryOperand(op: op, opRange: opToken.range, rhs: rhs))
        }
        if operands.isEmpty { return lhs }
        return makeExpr(.binary(lhs, operands), lhs.range.union(operands[operands.count - 1].rhs.range))
    }

    mutating func parsePostfix() -> Expr {
        var e = parsePrimary()
        // Each postfix operator nests what came before one level deeper.
        let outer = depth
        defer { depth = outer }
        while true {
            if (at(.lBracket) && !current.startsLine) || (at(.dot) && peekToken().kind == .identifier) || at(.at) {
                depth += 1
                if depth > Limits.maxNesting {
                    let skipped = skipTooDeep()
                    return makeExpr(.error, e.range.union(skipped.range))
                }
            }
            if at(.lBracket), !current.startsLine {
                advance()
                let offset = parseExpr()
                expect(.rBracket, "to close the history offset")
                e = makeExpr(.history(e, offset: offset), e.range.union(previous.range))
            } else if at(.dot), peekToken().kind == .identifier {
                advance()
                let t = advance()
                e = makeExpr(.member(e, Identifier(text(t), t.range)), e.range.union(t.range))
            } else if at(.at) {
                advance()
                let ctx = parsePrimary()
                e = makeExpr(.context(e, ctx), e.range.union(ctx.range))
            } else {
                return e
            }
        }
    }

    mutating func parseArgumentList() -> [CallArgument] {
        var args: [CallArgument] = []
        if accept(.rParen) { return args }
        repeat {
            if at(.rParen) { break }   // trailing comma
            var label: Identifier?
            if peekToken().kind == .colon, at(.identifier) || isKeyword(current.kind) {
                let t = advance()
                label = Identifier(text(t), t.range)
                advance()
            }
            args.append(CallArgument(label: label, value: parseExpr()))
        } while accept(.comma)
        if !accept(.rParen) {
            expect(.rParen, "to close the argument list")
            // Skip the rest of a broken argument list on this line.
            while !at(.eof), !at(.rParen), !current.startsLine, !at(.lBrace) { advance() }
            _ = accept(.rParen)
        }
        return args
    }

    private func isKeyword(_ k: TokenKind) -> Bool { if case .keyword = k { true } else { false } }

    mutating func parsePrimary() -> Expr {
        let t = current
        switch t.kind {
        case .integer, .float, .percent, .multiplier, .duration, .bps:
            advance()
            return makeExpr(parseNumberLiteral(t), t.range)
        case .symbol:
            advance()
            return makeExpr(.literal(.symbol(String(text(t).dropFirst())), text: text(t)), t.range)
        case .date:
            advance()
            return makeExpr(parseDateLiteral(t), t.range)
        case .keyword(.true), .keyword(.false):
            advance()
            return makeExpr(.literal(.bool(t.kind == .keyword(.true)), text: text(t)), t.range)
        case .identifier:
            advance()
            let name = Identifier(text(t), t.range)
            if at(.lParen), !current.startsLine {
                advance()
                let args = parseArgumentList()
                return makeExpr(.call(name, args), t.range.union(previous.range))
            }
            return makeExpr(.name(name.name), t.range)
        case .lParen:
            advance()
            let inner = parseExpr()
            if !accept(.rParen) {
                error(.expectedToken, "expected `)` to close the parenthesis, found \(current.kind.description)",
                      at: current.startsLine || at(.eof) ? SourceRange(previous.range.end, previous.range.end) : current.range,
                      notes: [Note("the parenthesis opens here", at: t.range)])
            }
            return makeExpr(.paren(inner), t.range.union(previous.range))
        case .keyword(.if):
            return parseConditional()
        case .invalid:
            advance()   // already reported by the lexer
            return makeExpr(.error, t.range)
        default:
            var notes: [Note] = []
            if case .keyword(let k) = t.kind, ![.enter, .exit, .when, .let, .input, .fn].contains(k) {
                notes.append(Note("`\(k.rawValue)` is a reserved word"))
            }
            error(.expectedExpression, "expected an expression, found \(t.kind.description)",
                  at: t.kind == .eof || t.startsLine ? SourceRange(previous.range.end, previous.range.end) : t.range,
                  notes: notes)
            // Consume a stray token unless it can start or end something larger.
            let keep: Bool = {
                switch t.kind {
                case .eof, .rBrace, .lBrace, .rParen, .rBracket, .comma: return true
                case .keyword(let k): return Self.memberKeywords.contains(k) || [.enter, .exit, .flatten, .cancel, .stop, .take, .trail, .size, .tif, .expire, .then, .else, .in].contains(k)
                default: return false
                }
            }()
            if !keep { advance() }
            return makeExpr(.error, keep ? SourceRange(t.range.start, t.range.start) : t.range)
        }
    }

    /// `2005-01-01` as midnight UTC in seconds; the month and day must exist.
    private mutating func parseDateLiteral(_ t: Token) -> Expr.Kind {
        let raw = text(t)
        let parts = raw.split(separator: "-").compactMap { Int64($0) }
        let (y, m, d) = (parts[0], parts[1], parts[2])
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard y >= 1970, m >= 1, m <= 12, d >= 1, d <= lengths[Int(m) - 1] else {
            error(.malformedDate, "`\(raw)` is not a date from 1970 on; write YYYY-MM-DD with a month 01–12 and a day of that month", at: t.range)
            return .error
        }
        // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
        let yy = m <= 2 ? y - 1 : y
        let era = yy / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return .literal(.date(seconds: days * 86_400), text: raw)
    }

    private mutating func parseNumberLiteral(_ t: Token) -> Expr.Kind {
        let raw = text(t)
        let clean = raw.filter { $0 != "_" }
        func number(_ s: Substring) -> Double {
            guard let v = Double(s), v.isFinite else {
                error(.malformedNumber, "`\(raw)` is not a number Strat can represent", at: t.range)
                return 0
            }
            return v
        }
        switch t.kind {
        case .integer:
            guard let v = Int64(clean) else {
                error(.malformedNumber, "`\(raw)` is too large for a whole number", at: t.range)
                return .error
            }
            return .literal(.integer(v), text: raw)
        case .float: return .literal(.float(number(Substring(clean))), text: raw)
        case .percent: return .literal(.percent(number(clean.dropLast()) / 100), text: raw)
        case .bps: return .literal(.percent(number(clean.dropLast(3)) / 10_000), text: raw)
        case .multiplier: return .literal(.multiplier(number(clean.dropLast())), text: raw)
        case .duration:
            let unit = clean.last!
            if unit == "M" {
                guard let n = Int(clean.dropLast()), n >= 1, n <= 1_200 else {
                    error(.malformedNumber, "`\(raw)`: a timeframe in months is from 1M to 1200M", at: t.range)
                    return .error
                }
                return .literal(.months(n), text: raw)
            }
            let scale: Int64 = switch unit {
            case "s": 1
            case "m": 60
            case "h": 3600
            case "d": 86_400
            default: 604_800
            }
            guard let n = Int64(clean.dropLast()), n <= Int64.max / scale / 1000 else {
                error(.malformedNumber, "`\(raw)` is too long a duration", at: t.range)
                return .error
            }
            return .literal(.duration(seconds: n * scale), text: raw)
        default:
            return .error
        }
    }
}
