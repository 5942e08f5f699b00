import StratSema

/// How hover and completion describe a built-in, from its entry in
/// StratSema/Builtins.swift (the checker's own table, so the text cannot
/// drift from what the checker accepts).
///
///     BuiltinDocs.signature(Builtin.all["sma"]!)
///     // sma(src: numeric, length: Int ≥ 1) → unit of src
public enum BuiltinDocs {
    public static func signature(_ b: Builtin) -> String {
        let params = b.params.map { p -> String in
            var t = "\(p.name): " + kind(p.kind, b)
            if let d = p.defaultValue { t += " = " + number(d) }
            return t
        }
        return "\(b.name)(\(params.joined(separator: ", "))) → " + result(b)
    }

    static func kind(_ k: Builtin.ParamKind, _ b: Builtin) -> String {
        switch k {
        case .series(.numeric): "numeric"
        case .series(.bool): "Bool"
        case .series(.scalar): "Float"
        case .series(.time): "Time"
        case .series(.sameAsFirst): "unit of \(b.params.first?.name ?? "the first")"
        case .length(let min): "Int ≥ \(min)"
        case .number: "number"
        }
    }

    static func result(_ b: Builtin) -> String {
        switch b.result {
        case .fixed(let d): d.name
        case .sameAs(let i): "unit of \(i < b.params.count ? b.params[i].name : "argument \(i + 1)")"
        case .tuple(let names, let d): "(\(names.joined(separator: ", "))): " + (d?.name ?? "unit of \(b.params.first?.name ?? "src")")
        case .tupleOf(let names, let dims): "(" + zip(names, dims).map { "\($0): \($1.name)" }.joined(separator: ", ") + ")"
        }
    }

    /// The warm-up in bars (TA-Lib's lookback) for the values of the
    /// non-series parameters, in parameter order.
    public static func warmup(_ b: Builtin, _ values: [Int]) -> Int { b.lookback(values) }

    /// Markdown for a hover or a completion's documentation.
    public static func markdown(_ b: Builtin, warmup: (bars: Int, at: String)?) -> String {
        var text = "```strat\n\(signature(b))\n```\n\(b.summary)"
        if !b.implicitFields.isEmpty { text += "\n\nreads " + b.implicitFields.map { "`\($0.rawValue)`" }.joined(separator: ", ") }
        if let w = warmup {
            text += "\n\nwarm-up: \(w.bars) bar\(w.bars == 1 ? "" : "s")" + (w.at.isEmpty ? "" : " (\(w.at))")
        }
        return text
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
