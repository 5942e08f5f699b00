import StratSyntax

/// The fields of `trade(k)` an expectation can read, with their units.
public enum TradeField: String, CaseIterable, Sendable {
    case entry_time, exit_time, entry_price, exit_price, qty, pnl, bars_held

    var dimension: Dimension {
        switch self {
        case .entry_time, .exit_time: .time
        case .entry_price, .exit_price: .price
        case .qty: .qty
        case .pnl: .money
        case .bars_held: .int
        }
    }
}

/// A checked `test` block: where its bars come from and what it expects.
public struct CheckedTest: Sendable {
    public var name: String
    public var range: SourceRange
    /// As written: relative to the strategy file (`strat test` resolves it).
    public var path: String
    /// Trading starts here (earlier bars warm the indicators up); seconds since 1970.
    public var from: Int64?
    /// The run stops before this time; seconds since 1970.
    public var to: Int64?
    /// `session "Mon-Fri 14:30-21:00"` as written (parsed by `strat test`); nil: 24/7.
    public var session: String?
    public var expectations: [CheckedExpectation]
}

public struct CheckedExpectation: Sendable {
    public enum Kind: Sendable {
        /// The number of trades compared with a constant.
        case tradeCount(BinaryOp, Double)
        /// Field of the k-th trade (1 = the first) compared with a constant.
        case tradeField(Int, TradeField, BinaryOp, Double)
        case always(TExpr)
        case between(TExpr, TExpr, TExpr)
        case noPositionWhile(TExpr)
    }
    public var kind: Kind
    /// The expectation as written after `expect`, for `strat test`'s messages.
    public var text: String
    public var range: SourceRange
    /// For each of `series`: its value on a bar outside the session (checked with
    /// `inSession` false; `series` has it true), or nil when it does not read `inSession`.
    public var outsideSession: [TExpr?] = []

    /// The series the runner evaluates on every bar (the run expectations have none).
    public var series: [TExpr] {
        switch kind {
        case .tradeCount, .tradeField: []
        case .always(let x), .noPositionWhile(let x): [x]
        case .between(let x, let lo, let hi): [x, lo, hi]
        }
    }
}

extension Expectation.Kind {
    var isAlways: Bool { if case .always = self { true } else { false } }
}

extension Checker {
    /// Test blocks are checked after every other member, so they may use any
    /// let, input or function of the strategy. Nothing here reaches the IR: the
    /// strategy's content hash is the same with or without its tests.
    mutating func checkTests(_ s: StrategyDecl, file: SourceFile) {
        var names: [String: SourceRange] = [:]
        for case .test(let t) in s.members {
            if let first = names[t.name] {
                diags.error(.duplicateDefinition, "two tests are named \"\(t.name)\"", at: t.nameRange,
                            notes: [Note("the first is here", at: first)])
            }
            names[t.name] = names[t.name] ?? t.nameRange
            if let test = checkTest(t, file: file) { strategy.tests.append(test) }
        }
    }

    private mutating func checkTest(_ t: TestBlock, file: SourceFile) -> CheckedTest? {
        var bars: (path: String, from: Int64?, to: Int64?)?
        var session: (String, SourceRange)?
        var ok = true
        var expectations: [CheckedExpectation] = []
        for item in t.items {
            switch item {
            case .bars(let path, let pathRange, let from, let to, let range):
                if bars != nil {
                    diags.error(.testBars, "a test reads one data file; this is its second `bars` line", at: range)
                    ok = false
                    continue
                }
                if path.isEmpty {
                    diags.error(.testBars, "the data file of `bars` is empty; name a CSV file relative to the strategy", at: pathRange)
                    ok = false
                }
                let start = from.flatMap { testDate($0, "from") }, end = to.flatMap { testDate($0, "to") }
                if (from != nil && start == nil) || (to != nil && end == nil) { ok = false }
                if let start, let end, start >= end, let to {
                    diags.error(.testDates, "the test ends (`to`) before it starts (`from`)", at: to.range)
                    ok = false
                }
                bars = (path, start, end)
            case .expect(let e):
                if let x = checkExpectation(e, file: file) { expectations.append(x) } else { ok = false }
            case .session(let text, let range):
                if let first = session {
                    diags.error(.duplicateDeclaration, "a test has one `session`", at: range, notes: [Note("the first is here", at: first.1)])
                    ok = false
                }
                session = session ?? (text, range)
            }
        }
        guard let bars else {
            diags.error(.testBars, "test \"\(t.name)\" has no data: add `bars \"FILE.csv\"` (relative to the strategy file)", at: t.nameRange)
            return nil
        }
        guard ok else { return nil }
        return CheckedTest(name: t.name, range: t.range, path: bars.path, from: bars.from, to: bars.to, session: session?.0,
                           expectations: expectations)
    }

    /// A `from`/`to` bound: a date such as `2005-01-01` (seconds since 1970).
    private mutating func testDate(_ e: Expr, _ word: String) -> Int64? {
        let v = checkExpr(e, Env())
        if v.type.isError { return nil }
        guard v.type.dim == .time, let s = v.constantNumber else {
            diags.error(.testDates, "`\(word)` takes a date such as `2005-01-01`, not a \(v.type.qualifier == .series ? "series " : "")\(v.type.dim.name)",
                        at: e.range)
            return nil
        }
        return Int64(s)
    }

    private mutating func checkExpectation(_ e: Expectation, file: SourceFile) -> CheckedExpectation? {
        let text = String(file.text(of: e.range).dropFirst("expect".count).drop { $0 == " " || $0 == "\t" })
        func made(_ kind: CheckedExpectation.Kind) -> CheckedExpectation { CheckedExpectation(kind: kind, text: text, range: e.range) }
        switch e.kind {
        case .always(let x), .noPositionWhile(let x):
            guard let checkedX = checkSeries(x) else { return nil }
            let (v, outside) = checkedX
            guard v.type.dim == .bool else {
                diags.error(.expectationType, "this expectation needs a condition (a Bool), not a \(v.type.dim.name)", at: x.range)
                return nil
            }
            var checked = made(e.kind.isAlways ? .always(v) : .noPositionWhile(v))
            checked.outsideSession = [outside]
            return checked
        case .between(let x, let lo, let hi):
            guard let cx = checkSeries(x), let clo = checkSeries(lo), let chi = checkSeries(hi) else { return nil }
            let (v, vOut) = cx, (low, lowOut) = clo, (high, highOut) = chi
            guard v.type.dim.isNumeric else {
                diags.error(.expectationType, "`between` bounds a number, not a \(v.type.dim.name)", at: x.range)
                return nil
            }
            for (bound, b) in [(low, lo), (high, hi)] where !(bound.type.dim == v.type.dim || (bound.type.untyped && bound.type.dim.isNumeric)) {
                diags.error(.expectationType, "this bound is a \(bound.type.dim.name) but the value is a \(v.type.dim.name)", at: b.range)
                return nil
            }
            var checked = made(.between(v, low, high))
            checked.outsideSession = [vOut, lowOut, highOut]
            return checked
        case .run(let x):
            return checkRunExpectation(x, e, made)
        }
    }

    /// A series of an expectation, and its value outside the session when it reads
    /// `inSession`: the expression checked with `inSession` true, then false (the
    /// runner picks one per bar). So `inSession` may only be read bar by bar: not
    /// inside a call, `[n]` or `@`, where other bars' values would be needed.
    private mutating func checkSeries(_ x: Expr) -> (TExpr, TExpr?)? {
        guard Self.reads("inSession", x) else {
            let v = checkExpr(x, Env())
            return v.type.isError ? nil : (v, nil)
        }
        if let window = Self.readInWindow("inSession", x) {
            diags.error(.sessionInWindow, "`inSession` is known bar by bar: it can't be read inside a call, `[n]` or `@`", at: window,
                        notes: [Note("write the condition around it, e.g. `not inSession and close > open`")])
            return nil
        }
        var inside = Env(), outside = Env()
        inside.params["inSession"] = TExpr(.constant(.bool(true)), SType(.const, .bool), x.range)
        outside.params["inSession"] = TExpr(.constant(.bool(false)), SType(.const, .bool), x.range)
        let a = checkExpr(x, inside), b = checkExpr(x, outside)
        return a.type.isError || b.type.isError ? nil : (a, b)
    }

    /// Whether `e` names `name` (the walk is bounded by the parser's nesting limit).
    static func reads(_ name: String, _ e: Expr) -> Bool {
        switch e.kind {
        case .name(let n): n == name
        case .literal, .error: false
        case .unary(_, let x), .paren(let x), .member(let x, _): reads(name, x)
        case .binary(let h, let steps): reads(name, h) || steps.contains { reads(name, $0.rhs) }
        case .conditional(let a, let b, let c): reads(name, a) || reads(name, b) || reads(name, c)
        case .call(_, let args): args.contains { reads(name, $0.value) }
        case .history(let x, let o): reads(name, x) || reads(name, o)
        case .context(let x, let c): reads(name, x) || reads(name, c)
        }
    }

    /// The first call, `[n]` or `@` that reads `name`, if any.
    static func readInWindow(_ name: String, _ e: Expr) -> SourceRange? {
        switch e.kind {
        case .name, .literal, .error: nil
        case .unary(_, let x), .paren(let x), .member(let x, _): readInWindow(name, x)
        case .binary(let h, let steps):
            readInWindow(name, h) ?? steps.lazy.compactMap { readInWindow(name, $0.rhs) }.first
        case .conditional(let a, let b, let c): readInWindow(name, a) ?? readInWindow(name, b) ?? readInWindow(name, c)
        case .call, .history, .context: reads(name, e) ? e.range : nil
        }
    }

    /// `trades OP N` or `trade(K).FIELD OP VALUE`, read after the run.
    private mutating func checkRunExpectation(_ x: Expr, _ e: Expectation,
                                              _ made: (CheckedExpectation.Kind) -> CheckedExpectation) -> CheckedExpectation? {
        let forms = [Note("after the run: `expect trades == 3`, `expect trade(1).entry_time == 2005-03-02`"),
                     Note("on every bar: `expect COND always`, `expect X between LOW and HIGH always`, `expect no position while COND`")]
        guard case .binary(let lhs, let steps) = x.kind, steps.count == 1, steps[0].op.isComparison else {
            diags.error(.unknownExpectation, "an expectation compares `trades` or `trade(K).FIELD` with a value, or holds `always`", at: x.range,
                        notes: forms)
            return nil
        }
        let op = steps[0].op, rhs = steps[0].rhs
        let field: TradeField?, index: Int
        switch lhs.kind {
        case .name("trades"):
            field = nil; index = 0
        case .member(let call, let name):
            guard case .call(let f, let args) = call.kind, f.name == "trade" else { fallthrough }
            guard args.count == 1, args[0].label == nil, case .literal(.integer(let k), _) = args[0].value.kind, k >= 1, k <= 1_000_000 else {
                diags.error(.unknownTradeField, "`trade(K)` takes the trade's number, a whole number from 1 (the first trade)", at: call.range)
                return nil
            }
            guard let fld = TradeField(rawValue: name.name) else {
                diags.error(.unknownTradeField, "a trade has no field `\(name.name)`; it has \(TradeField.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", "))",
                            at: name.range)
                return nil
            }
            field = fld; index = Int(k)
        default:
            diags.error(.unknownExpectation, "an expectation compares `trades` or `trade(K).FIELD` with a value, or holds `always`", at: lhs.range,
                        notes: forms)
            return nil
        }
        let value = checkExpr(rhs, Env())
        if value.type.isError { return nil }
        let dim = field?.dimension ?? .int
        let what = field.map { "`trade(\(index)).\($0.rawValue)`" } ?? "`trades`"
        guard value.type.dim == dim || (value.type.untyped && dim.isNumeric && dim != .time) else {
            diags.error(.expectationType, "\(what) is a \(dim.name), so compare it with \(dim == .time ? "a date such as `2005-03-02`" : "a \(dim.name)"), not a \(value.type.dim.name)",
                        at: rhs.range)
            return nil
        }
        guard let v = value.constantSum else {
            diags.error(.expectationType, "\(what) is compared with a value known before the run: a number, or a date (plus or minus durations: `2005-03-02 + 14h`)",
                        at: rhs.range)
            return nil
        }
        if let field { return made(.tradeField(index, field, op, v)) }
        return made(.tradeCount(op, v))
    }
}

extension TExpr {
    /// A constant, or a sum or difference of constants: a date and a time of day
    /// (`2005-03-02 + 14h`) in a trade's expectation.
    var constantSum: Double? {
        guard case .binary(let head, let steps) = kind else { return constantNumber }
        var sum = head.constantNumber
        for step in steps {
            guard let a = sum, let b = step.rhs.constantNumber else { return nil }
            switch step.op {
            case .add: sum = a + b
            case .sub: sum = a - b
            default: return nil
            }
        }
        return sum
    }
}

extension CheckedStrategy {
    /// This strategy with the series of `test`'s expectations added as lets, for
    /// `strat test` to read on every bar. Their names (`expect 2.1`: the second
    /// expectation's first series) hold a space, which no name of the language
    /// can, so they meet nothing of the strategy's own.
    /// A series read outside the session has a second let, `expect 2.1 out`.
    public func addingSeries(of test: CheckedTest) -> (strategy: CheckedStrategy, names: [[(inside: String, outside: String?)]]) {
        var s = self
        var names: [[(inside: String, outside: String?)]] = []
        for (i, e) in test.expectations.enumerated() {
            names.append(e.series.enumerated().map { j, x in
                let name = "expect \(i + 1).\(j + 1)"
                s.lets.append(CheckedLet(name: name, value: x, range: e.range))
                guard j < e.outsideSession.count, let out = e.outsideSession[j] else { return (name, nil) }
                s.lets.append(CheckedLet(name: name + " out", value: out, range: e.range))
                return (name, name + " out")
            })
        }
        return (s, names)
    }
}
