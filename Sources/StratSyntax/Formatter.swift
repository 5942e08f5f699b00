/// Prints a program in the canonical layout (`strat fmt`): two-space indents, one
/// member per line, order clauses on their own lines under their action, single
/// spaces around binary operators. Comments are kept: a comment on its own line
/// stays on its own line before the next item, a comment after code stays at the
/// end of that line. At most one blank line is kept between items. Formatting a
/// formatted file changes nothing.
public struct Formatter {
    private let file: SourceFile
    private let comments: [Comment]
    private var next = 0
    private var out = ""
    private var depth = 0
    private var lastEnd = 0

    public static func format(_ program: Program) -> String {
        DeepStack.run {
            var f = Formatter(file: program.file, comments: program.comments)
            f.printProgram(program.strategies)
            return f.out
        }
    }

    private init(file: SourceFile, comments: [Comment]) {
        self.file = file
        self.comments = comments
    }

    // MARK: Lines and comments

    private var indent: String { String(repeating: "  ", count: depth) }

    /// True when the source has a blank line between `lastEnd` and `offset`.
    private func blankLineBefore(_ offset: Int) -> Bool {
        guard lastEnd < offset else { return false }
        var newlines = 0
        for i in lastEnd..<min(offset, file.bytes.count) where file.bytes[i] == UInt8(ascii: "\n") {
            newlines += 1
            if newlines >= 2 { return true }
        }
        return false
    }

    /// Emits the own-line comments that start before `offset`.
    private mutating func flushComments(before offset: Int, keepBlank: Bool = true) {
        while next < comments.count, comments[next].range.start < offset {
            let c = comments[next]
            if keepBlank, blankLineBefore(c.range.start), !out.hasSuffix("{\n"), !out.isEmpty { out += "\n" }
            out += indent + file.text(of: c.range) + "\n"
            lastEnd = c.range.end
            next += 1
        }
    }

    /// Starts an item that begins at `offset`: its leading comments, then a blank
    /// line if the source had one.
    private mutating func beginItem(at offset: Int) {
        flushComments(before: offset)
        if blankLineBefore(offset), !out.hasSuffix("{\n"), !out.isEmpty { out += "\n" }
    }

    /// Writes one line whose source ends at `end`; comments inside the construct and
    /// comments after it on the same source line are appended.
    private mutating func line(_ text: String, end: Int) {
        var s = indent + text
        let endLine = file.line(of: max(0, end - 1))
        while next < comments.count {
            let c = comments[next]
            let inside = c.range.start < end
            let sameLine = !c.ownLine && file.line(of: c.range.start) == endLine
            guard inside || sameLine else { break }
            s += "  " + file.text(of: c.range)
            next += 1
        }
        out += s + "\n"
        lastEnd = max(lastEnd, end)
        // A trailing comment ends the line in the source; don't mistake the rest for blank lines.
        if next > 0, comments[next - 1].range.end > lastEnd { lastEnd = comments[next - 1].range.end }
    }

    // MARK: Program

    private mutating func printProgram(_ strategies: [StrategyDecl]) {
        for (i, s) in strategies.enumerated() {
            flushComments(before: s.range.start)
            if i > 0 { out += "\n" }
            line("strategy \(s.name.name) {", end: s.name.range.end)
            depth += 1
            for m in s.members { printMember(m) }
            flushComments(before: s.range.end - 1, keepBlank: false)
            depth -= 1
            line("}", end: s.range.end)
        }
        flushComments(before: Int.max)
    }

    private mutating func printMember(_ m: Member) {
        beginItem(at: m.range.start)
        switch m {
        case .market(let d):
            let args = d.arguments.isEmpty ? "" : "(" + d.arguments.map(argument).joined(separator: ", ") + ")"
            line("market \(d.kind.rawValue)\(args)", end: d.range.end)
        case .universe(let d) where d.top != nil:
            line("universe top \(expr(d.top!)) by \(expr(d.by!))" + (d.every.map { " every " + expr($0) } ?? ""), end: d.range.end)
        case .universe(let d):
            line("universe " + d.symbols.map { Self.isPlainName($0.name) ? $0.name : "$" + $0.name }.joined(separator: ", "),
                 end: d.range.end)
        case .timeframe(let d):
            line("timeframe \(expr(d.value))", end: d.range.end)
        case .pyramiding(let d):
            line("pyramiding \(expr(d.value))", end: d.range.end)
        case .input(let d):
            var s = "input \(d.name.name)"
            if let t = d.type { s += ": \(t.name.name)" }
            s += " = \(expr(d.defaultValue))"
            if let lo = d.lower, let hi = d.upper { s += " in \(expr(lo))...\(expr(hi))" }
            if let st = d.step { s += " step \(expr(st))" }
            line(s, end: d.range.end)
        case .binding(let d):
            var s = "let " + (d.isTuple ? "(" + d.names.map(\.name).joined(separator: ", ") + ")" : d.names[0].name)
            if let t = d.type { s += ": \(t.name.name)" }
            line(s + " = \(expr(d.value))", end: d.range.end)
        case .function(let d):
            line("fn \(d.name.name)(\(d.parameters.map(\.name).joined(separator: ", "))) = \(expr(d.body))", end: d.range.end)
        case .rule(let r):
            line("when \(expr(r.condition)) {", end: r.condition.range.end)
            depth += 1
            for a in r.actions { printAction(a) }
            flushComments(before: r.range.end - 1, keepBlank: false)
            depth -= 1
            line("}", end: r.range.end)
        case .test(let t):
            line("test \"\(t.name)\" {", end: t.nameRange.end)
            depth += 1
            for item in t.items {
                beginItem(at: item.range.start)
                switch item {
                case .bars(let path, _, let from, let to, let r):
                    line("bars \"\(path)\"" + (from.map { " from " + expr($0) } ?? "") + (to.map { " to " + expr($0) } ?? ""), end: r.end)
                case .expect(let e):
                    let body = switch e.kind {
                    case .run(let x): expr(x)
                    case .always(let x): expr(x) + " always"
                    case .between(let x, let lo, let hi): "\(expr(x)) between \(expr(lo)) and \(expr(hi)) always"
                    case .noPositionWhile(let x): "no position while " + expr(x)
                    }
                    line("expect " + body, end: e.range.end)
                case .session(let text, let r):
                    line("session \"\(text)\"", end: r.end)
                }
            }
            flushComments(before: t.range.end - 1, keepBlank: false)
            depth -= 1
            line("}", end: t.range.end)
        case .risk(let b):
            line("risk {", end: b.range.start + 4)
            depth += 1
            for l in b.limits {
                beginItem(at: l.range.start)
                line(riskLimit(l), end: l.range.end)
            }
            flushComments(before: b.range.end - 1, keepBlank: false)
            depth -= 1
            line("}", end: b.range.end)
        case .error(let r):
            line(file.text(of: r), end: r.end)
        }
    }

    private mutating func printAction(_ a: Action) {
        beginItem(at: a.range.start)
        switch a {
        case .enter(let o), .exit(let o):
            var head = (a.isEnter ? "enter " : "exit ") + o.side.rawValue
            switch o.orderType {
            case .market: if o.orderTypeRange != nil { head += " at market" }
            case .limit(let p): head += " at limit \(expr(p))"
            case .stop(let p): head += " at stop \(expr(p))"
            case .stopLimit(let s, let l): head += " at stop \(expr(s)) limit \(expr(l))"
            }
            if let size = o.size { head += " size \(expr(size))" }
            let headEnd = max(o.size?.range.end ?? 0, o.orderTypeRange?.end ?? 0, o.sideRange.end)
            line(head, end: headEnd)
            depth += 1
            for c in o.clauses {
                flushComments(before: c.range.start, keepBlank: false)
                line(clause(c.clause), end: c.range.end)
            }
            depth -= 1
        case .flatten(let r):
            line("flatten", end: r.end)
        case .cancel(let side, let r):
            line("cancel \(side?.rawValue ?? "entries")", end: r.end)
        case .cancelAll(let r):
            line("cancel all", end: r.end)
        case .error(let r):
            line(file.text(of: r), end: r.end)
        }
    }

    private func clause(_ c: OrderClause) -> String {
        switch c {
        case .stop(let e): "stop \(expr(e))"
        case .take(let e): "take \(expr(e))"
        case .trail(let e): "trail \(expr(e))"
        case .tif(let t): "tif \(t.rawValue)"
        case .expire(let e, let bars): "expire after \(expr(e))" + (bars ? " bars" : "")
        case .reduceOnly: "reduce only"
        case .postOnly: "post only"
        case .display(let e): "display \(expr(e))"
        case .trigger(let mark): mark ? "trigger mark" : "trigger last"
        }
    }

    private func riskLimit(_ l: RiskLimit) -> String {
        switch l.kind {
        case .drawdown(let v, let over, let then):
            "max drawdown \(expr(v))" + (over.map { " over \(expr($0))" } ?? "") + {
                switch then {
                case .halt(let pause): " then halt" + (pause.map { " for \(expr($0))" } ?? "")
                case .reduce(let s): " then scale \(expr(s))"
                }
            }()
        case .leverage(let v): "max leverage \(expr(v))"
        case .position(let v): "max position \(expr(v)) of equity"
        case .exposure(let v): "max exposure \(expr(v)) of equity"
        case .correlation(let v, let over): "max correlation \(expr(v)) over \(expr(over)) bars"
        case .dailyLoss(let v): "max daily loss \(expr(v))"
        case .tradeRisk(let v): "max trade risk \(expr(v))"
        case .openRisk(let v): "max open risk \(expr(v))"
        }
    }

    // MARK: Expressions

    private func argument(_ a: CallArgument) -> String {
        (a.label.map { "\($0.name): " } ?? "") + expr(a.value)
    }

    static func isPlainName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f.properties.isAlphabetic || f == "_" else { return false }
        return s.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || $0 == "_" }
            && Keyword(rawValue: s) == nil
    }

    func expr(_ e: Expr) -> String {
        var text = ""
        write(e, to: &text)
        return text
    }

    /// Appends `e` to `out`. One buffer for a whole expression keeps a long chain
    /// linear: joining the operands' strings level by level copied the growing
    /// text once per operator.
    func write(_ e: Expr, to out: inout String) {
        switch e.kind {
        case .literal(_, let text): out += text
        case .name(let n): out += n
        case .unary(.negate, let x): out += "-"; write(x, to: &out)
        case .unary(.not, let x): out += "not "; write(x, to: &out)
        case .binary(let first, let rest):
            write(first, to: &out)
            for o in rest {
                out += " " + o.op.rawValue + " "
                write(o.rhs, to: &out)
            }
        case .call(let f, let args):
            out += f.name + "("
            for (i, a) in args.enumerated() {
                if i > 0 { out += ", " }
                if let label = a.label { out += label.name + ": " }
                write(a.value, to: &out)
            }
            out += ")"
        case .history(let x, let n): write(x, to: &out); out += "["; write(n, to: &out); out += "]"
        case .member(let x, let m): write(x, to: &out); out += "." + m.name
        case .context(let x, let c): write(x, to: &out); out += "@"; write(c, to: &out)
        case .conditional(let c, let a, let b):
            out += "if "; write(c, to: &out)
            out += " then "; write(a, to: &out)
            out += " else "; write(b, to: &out)
        case .paren(let x): out += "("; write(x, to: &out); out += ")"
        case .error: out += file.text(of: e.range)
        }
    }
}

extension Action {
    public var isEnter: Bool { if case .enter = self { true } else { false } }
}
