/// `strat ast`: the tree as indented S-expressions with line:column ranges. A run
/// of binary operators is one node, so the output grows with the source: nested,
/// a chain of n terms was n levels deep and printed n² spaces of indentation
/// (32 KB of source gave 32 MB); nesting is bounded by `Limits.maxNesting`.
public enum ASTDump {
    public static func dump(_ program: Program) -> String {
        DeepStack.run { dumpInPlace(program) }
    }

    static func dumpInPlace(_ program: Program) -> String {
        var out = ""
        let file = program.file
        func pos(_ r: SourceRange) -> String {
            let (l1, c1) = file.lineColumn(of: r.start), (l2, c2) = file.lineColumn(of: r.end)
            return "\(l1):\(c1)-\(l2):\(c2)"
        }
        func w(_ depth: Int, _ s: String) { out += String(repeating: "  ", count: depth) + s + "\n" }
        func expr(_ e: Expr, _ d: Int, _ label: String = "") {
            let l = label.isEmpty ? "" : label + " "
            switch e.kind {
            case .literal(let lit, let text): w(d, "\(l)(literal \(literalKind(lit)) \(text)) \(pos(e.range))")
            case .name(let n): w(d, "\(l)(name \(n)) \(pos(e.range))")
            case .unary(let op, let x): w(d, "\(l)(unary \(op.rawValue)) \(pos(e.range))"); expr(x, d + 1)
            case .binary(let first, let rest):
                // A run prints as one node with its operators and operands, at one
                // depth: `(binary + -)` over `a`, `b`, `c` is `(a + b) - c`.
                w(d, "\(l)(binary \(rest.map(\.op.rawValue).joined(separator: " "))) \(pos(e.range))")
                expr(first, d + 1)
                for o in rest { expr(o.rhs, d + 1) }
            case .call(let f, let args):
                w(d, "\(l)(call \(f.name)) \(pos(e.range))")
                for a in args { expr(a.value, d + 1, a.label.map { "\($0.name):" } ?? "") }
            case .history(let x, let n): w(d, "\(l)(history) \(pos(e.range))"); expr(x, d + 1); expr(n, d + 1, "offset:")
            case .member(let x, let m): w(d, "\(l)(member .\(m.name)) \(pos(e.range))"); expr(x, d + 1)
            case .context(let x, let c): w(d, "\(l)(context) \(pos(e.range))"); expr(x, d + 1); expr(c, d + 1, "at:")
            case .conditional(let c, let a, let b):
                w(d, "\(l)(if) \(pos(e.range))"); expr(c, d + 1); expr(a, d + 1, "then:"); expr(b, d + 1, "else:")
            case .paren(let x): w(d, "\(l)(paren) \(pos(e.range))"); expr(x, d + 1)
            case .error: w(d, "\(l)(error) \(pos(e.range))")
            }
        }
        for s in program.strategies {
            w(0, "(strategy \(s.name.name)) \(pos(s.range))")
            for m in s.members {
                switch m {
                case .market(let d):
                    w(1, "(market \(d.kind.rawValue)) \(pos(d.range))")
                    for a in d.arguments { expr(a.value, 2, a.label.map { "\($0.name):" } ?? "") }
                case .universe(let d) where d.top != nil:
                    w(1, "(universe top \(pos(d.range))")
                    expr(d.top!, 2)
                    expr(d.by!, 2)
                    if let e = d.every { expr(e, 2, "every:") }
                case .universe(let d): w(1, "(universe \(d.symbols.map(\.name).joined(separator: " "))) \(pos(d.range))")
                case .timeframe(let d): w(1, "(timeframe) \(pos(d.range))"); expr(d.value, 2)
                case .pyramiding(let d): w(1, "(pyramiding) \(pos(d.range))"); expr(d.value, 2)
                case .test(let t):
                    w(1, "(test \"\(t.name)\") \(pos(t.range))")
                    for item in t.items {
                        switch item {
                        case .bars(let path, _, let from, let to, let r):
                            w(2, "(bars \"\(path)\") \(pos(r))")
                            if let from { expr(from, 3, "from:") }
                            if let to { expr(to, 3, "to:") }
                        case .session(let text, let r):
                            w(2, "(session \"\(text)\") \(pos(r))")
                        case .expect(let e):
                            switch e.kind {
                            case .run(let x): w(2, "(expect) \(pos(e.range))"); expr(x, 3)
                            case .always(let x): w(2, "(expect always) \(pos(e.range))"); expr(x, 3)
                            case .between(let x, let lo, let hi):
                                w(2, "(expect between) \(pos(e.range))"); expr(x, 3); expr(lo, 3, "low:"); expr(hi, 3, "high:")
                            case .noPositionWhile(let x): w(2, "(expect no position while) \(pos(e.range))"); expr(x, 3)
                            }
                        }
                    }
                case .input(let d):
                    w(1, "(input \(d.name.name)\(d.type.map { ": " + $0.name.name } ?? "")) \(pos(d.range))")
                    expr(d.defaultValue, 2, "default:")
                    if let lo = d.lower { expr(lo, 2, "from:") }
                    if let hi = d.upper { expr(hi, 2, "to:") }
                    if let st = d.step { expr(st, 2, "step:") }
                case .binding(let d):
                    w(1, "(let \(d.names.map(\.name).joined(separator: " "))) \(pos(d.range))"); expr(d.value, 2)
                case .function(let d):
                    w(1, "(fn \(d.name.name) \(d.parameters.map(\.name).joined(separator: " "))) \(pos(d.range))")
                    expr(d.body, 2)
                case .rule(let r):
                    w(1, "(when) \(pos(r.range))")
                    expr(r.condition, 2, "condition:")
                    for a in r.actions {
                        switch a {
                        case .enter(let o), .exit(let o):
                            w(2, "(\(a.isEnter ? "enter" : "exit") \(o.side.rawValue)) \(pos(o.range))")
                            switch o.orderType {
                            case .market: w(3, "(market)")
                            case .limit(let p): expr(p, 3, "limit:")
                            case .stop(let p): expr(p, 3, "stop-order:")
                            case .stopLimit(let s, let l): expr(s, 3, "stop-order:"); expr(l, 3, "limit:")
                            }
                            if let s = o.size { expr(s, 3, "size:") }
                            for c in o.clauses {
                                switch c.clause {
                                case .stop(let e): expr(e, 3, "stop:")
                                case .take(let e): expr(e, 3, "take:")
                                case .trail(let e): expr(e, 3, "trail:")
                                case .tif(let t): w(3, "(tif \(t.rawValue))")
                                case .expire(let e, let bars): expr(e, 3, bars ? "expire-bars:" : "expire-after:")
                                case .reduceOnly: w(3, "(reduce-only)")
                                case .postOnly: w(3, "(post-only)")
                                case .display(let e): expr(e, 3, "display:")
                                case .trigger(let mark): w(3, mark ? "(trigger mark)" : "(trigger last)")
                                }
                            }
                        case .flatten(let r): w(2, "(flatten) \(pos(r))")
                        case .cancel(let side, let r): w(2, "(cancel \(side?.rawValue ?? "entries")) \(pos(r))")
                        case .cancelAll(let r): w(2, "(cancel all) \(pos(r))")
                        case .error(let r): w(2, "(error) \(pos(r))")
                        }
                    }
                case .risk(let b):
                    w(1, "(risk) \(pos(b.range))")
                    for l in b.limits {
                        w(2, "(max \(l.name)) \(pos(l.range))")
                        switch l.kind {
                        case .drawdown(let v, let over, let then):
                            expr(v, 3, "limit:")
                            if let over { expr(over, 3, "over:") }
                            switch then {
                            case .reduce(let s): expr(s, 3, "then-scale:")
                            case .halt(let pause): w(3, "(then halt)"); if let pause { expr(pause, 3, "for:") }
                            }
                        case .leverage(let v), .position(let v), .exposure(let v), .dailyLoss(let v), .tradeRisk(let v), .openRisk(let v):
                            expr(v, 3, "limit:")
                        case .correlation(let v, let over): expr(v, 3, "limit:"); expr(over, 3, "over:")
                        }
                    }
                case .error(let r): w(1, "(error) \(pos(r))")
                }
            }
        }
        return out
    }

    static func literalKind(_ l: Literal) -> String {
        switch l {
        case .integer: "int"
        case .float: "float"
        case .percent: "percent"
        case .multiplier: "multiplier"
        case .duration: "duration"
        case .months: "months"
        case .bool: "bool"
        case .symbol: "symbol"
        case .date: "date"
        }
    }
}
