import StratSema
import StratSyntax

/// `textDocument/hover`: on a built-in's name, its signature, definition and
/// warm-up at this call; on a declared name, its declaration and type;
/// anywhere in an expression, the type of the innermost expression there
/// (qualifier × dimension × timeframe, as the checker prints it: `series Price @4h`).
enum Hover {
    static func hover(_ a: Analysis, at p: Position) -> JSONObject? {
        let offset = a.document.offset(of: p)
        guard let ti = a.tokenIndex(at: offset) else { return nil }
        let token = a.tokens[ti]
        let word = a.text(token.range)
        let place = a.strategy(at: offset)
        let checked = place.flatMap { a.checked($0.index) }

        if token.kind == .identifier, let b = Builtin.all[word], ti + 1 < a.tokens.count, a.tokens[ti + 1].kind == .lParen {
            return reply(BuiltinDocs.markdown(b, warmup: warmup(b, checked, at: token.range.start)), token.range, a)
        }
        if token.kind == .identifier, let place, let text = declaration(word, token.range, place.decl, checked, a) {
            return reply(text, token.range, a)
        }
        guard let s = checked, let e = TypedLookup.path(in: s, at: token.range.start).last, !e.type.isError else { return nil }
        var shown = a.text(e.range)
        if shown.count > 80 || shown.contains("\n") { shown = String(shown.prefix(while: { $0 != "\n" }).prefix(77)) + "…" }
        return reply("```strat\n\(shown): \(e.type)\n```", e.range, a)
    }

    static func reply(_ markdown: String, _ range: SourceRange, _ a: Analysis) -> JSONObject {
        ["contents": ["kind": "markdown", "value": markdown] as JSONObject, "range": a.document.range(of: range).json]
    }

    /// The warm-up of the call of `b` whose name starts at `start`, from the
    /// window lengths it is given (an input counts at its default).
    static func warmup(_ b: Builtin, _ s: CheckedStrategy?, at start: Int) -> (bars: Int, at: String)? {
        let lengths = b.params.indices.filter { if case .series = b.params[$0].kind { false } else { true } }
        if lengths.isEmpty { return (BuiltinDocs.warmup(b, []), "") }
        guard let s else { return nil }
        let call = TypedLookup.path(in: s, at: start).last(where: { e in
            if case .builtin(let n, _) = e.kind, n == b.name, e.range.start == start { true } else { false }
        })
        guard let call, case .builtin(_, let args) = call.kind, args.count == b.params.count else { return nil }
        var values: [Int] = [], said: [String] = []
        for i in lengths {
            let v: Double, from: String
            if let c = args[i].constantNumber {
                (v, from) = (c, "")
            } else if let k = args[i].inputIndex {
                (v, from) = (s.inputs[k].defaultValue, ", the default of `\(s.inputs[k].name)`")
            } else {
                return nil
            }
            // The tree may hold a value the checker refused (`sma(close, 1e300)`,
            // `hma(close, -4)`); the lookback formulas assume valid lengths.
            guard let n = usable(v, b.params[i].kind) else { return nil }
            values.append(n)
            said.append("\(b.params[i].name) = \(BuiltinDocs.number(v))" + from)
        }
        return (BuiltinDocs.warmup(b, values), said.joined(separator: ", "))
    }

    /// A parameter's value as the lookback formulas take it, if it is one they accept.
    static func usable(_ v: Double, _ kind: Builtin.ParamKind) -> Int? {
        guard v.isFinite, v >= 0, v <= Double(Limits.maxWindow) else { return nil }
        if case .length(let min) = kind { return v == v.rounded() && v >= Double(min) ? Int(v) : nil }
        return Int(v)
    }

    /// What a declared name is, when `range` is the name where it is declared.
    static func declaration(_ name: String, _ range: SourceRange, _ decl: StrategyDecl, _ s: CheckedStrategy?, _ a: Analysis) -> String? {
        for m in decl.members {
            switch m {
            case .input(let d) where d.name.range == range:
                guard let i = s?.inputs.first(where: { $0.name == name }) else { return "```strat\n\(a.text(d.range))\n```" }
                var t = "input \(name): \(i.dim.name) = \(BuiltinDocs.number(i.defaultValue))"
                if let lo = i.lower, let hi = i.upper { t += " in \(BuiltinDocs.number(lo))...\(BuiltinDocs.number(hi))" }
                return "```strat\n\(t)\n```\nknown before the run; `strat batch` may sweep it"
            case .binding(let d) where d.names.contains(where: { $0.range == range }):
                guard let l = s?.lets.first(where: { $0.name == name }), !l.value.type.isError else { return nil }
                return "```strat\nlet \(name): \(l.value.type)\n```"
            case .function(let d) where d.name.range == range:
                let header = "fn \(name)(\(d.parameters.map(\.name).joined(separator: ", ")))"
                return "```strat\n\(header)\n```\ngeneric over units: each call is checked with its arguments' types"
            default: continue
            }
        }
        return nil
    }
}
