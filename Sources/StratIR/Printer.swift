import StratSema

/// `strat ir`: the IR as text, one node per line.
///
///     strategy SmaCross  hash 5f1c…
///       %0 = field close                      : series Price
///       %1 = call sma(%0; $fast)              : series Price
public enum IRPrinter {
    public static func print(_ p: IRProgram) -> String {
        p.strategies.map(print).joined(separator: "\n")
    }

    static func param(_ p: IRParam, _ s: IRStrategy) -> String {
        switch p {
        case .const(let v): num(v)
        case .input(let i): "$" + s.inputs[i].name
        case .node(let i): "%\(i)"
        }
    }

    public static func num(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    public static func print(_ s: IRStrategy) -> String {
        var out = "strategy \(s.name)  hash \(s.hash.prefix(16))\n"
        out += "  market \(s.market.kind.rawValue)" + (s.market.kind == .perp ? " leverage \(num(s.market.leverage))x margin \(s.market.margin.rawValue)"
            + (s.market.mode.map { " mode \($0.rawValue)" } ?? "") : s.market.margin == .none ? "" : " margin") + "\n"
        out += "  universe \(s.membership.map { "(dynamic: members where n\($0)\(s.rebalance.map { ", re-ranked every " + formatDuration($0) } ?? s.rebalanceMonths.map { ", re-ranked every \([1: "month", 3: "quarter", 12: "year"][$0] ?? "\($0) months")" } ?? ""))" } ?? (s.universe.isEmpty ? "(from data)" : s.universe.joined(separator: ", ")))"
        out += s.referencedSymbols.isEmpty ? "\n" : "  reads \(s.referencedSymbols.joined(separator: ", "))\n"
        out += "  timeframe \(s.timeframe.map(formatDuration) ?? s.timeframeMonths.map { "\($0)M" } ?? "(from data)")"
        out += s.timeframes.count > (s.timeframe == nil ? 0 : 1) ? "  also \(s.timeframes.filter { $0 != s.timeframe }.map(formatDuration).joined(separator: ", "))\n" : "\n"
        out += "  warmup \(s.warmup.atDefaults) bars (max \(s.warmup.atMaximum))\n"
        if let p = s.pyramiding { out += "  pyramiding \(p)\n" }
        for (i, inp) in s.inputs.enumerated() {
            var line = "  input $\(inp.name) #\(i): \(inp.type) = \(num(inp.defaultValue))"
            if let lo = inp.min, let hi = inp.max { line += " in \(num(lo))...\(num(hi))" }
            if let st = inp.step { line += " step \(num(st))" }
            out += line + "\n"
        }
        let names = Dictionary(s.lets.map { ($0.node, $0.name) }, uniquingKeysWith: { a, _ in a })
        for (i, n) in s.nodes.enumerated() {
            var rhs: String
            switch n.op {
            case .const: rhs = n.name.map { "const $\($0)" } ?? "const \(num(n.value ?? 0))"
            case .input: rhs = "input $\(s.inputs[n.index!].name)"
            case .field: rhs = "field \(n.name!)"
            case .call:
                let params = n.params.map { param($0, s) }.joined(separator: ", ")
                rhs = "call \(n.name!)(\(n.args.map { "%\($0)" }.joined(separator: ", "))\(params.isEmpty ? "" : "; " + params))"
            case .history: rhs = "history %\(n.args[0])[\(param(n.params[0], s))]"
            case .output: rhs = "output %\(n.args[0]).\(n.index!)"
            default: rhs = "\(n.op.rawValue) " + n.args.map { "%\($0)" }.joined(separator: ", ")
            }
            if let sym = n.symbol { rhs += " @$\(sym)" }
            let lhs = "  %\(i) = \(rhs)"
            var t = "\(n.type.qualifier) \(n.type.dim)"
            if let c = n.type.clock { t += " @\(formatDuration(c))" }
            out += lhs.padding(toLength: max(lhs.count, 44), withPad: " ", startingAt: 0) + " : \(t)"
            out += names[i].map { "   ; \($0)" } ?? ""
            out += "\n"
        }
        for (k, r) in s.rules.enumerated() {
            out += "  rule #\(k) when %\(r.condition)" + (r.source.map { "   ; line \($0.line)" } ?? "") + "\n"
            for a in r.actions { out += "    " + action(a, s) + "\n" }
        }
        let risk = riskLines(s)
        if !risk.isEmpty { out += "  risk " + risk.joined(separator: ", ") + "\n" }
        return out
    }

    static func action(_ a: IRAction, _ s: IRStrategy) -> String {
        var line = a.kind == .cancelAll ? "cancel all" : a.kind.rawValue + (a.side.map { " " + $0.rawValue } ?? (a.kind == .cancel ? " entries" : ""))
        if let o = a.order {
            switch o.type {
            case .market: line += " market"
            case .limit: line += " limit %\(o.price!)"
            case .stop: line += " stop-order %\(o.price!)"
            case .stopLimit: line += " stop-order %\(o.price!) limit %\(o.limitPrice!)"
            }
            line += " size \(o.size.kind.rawValue)(\(o.size.args.map { "%\($0)" }.joined(separator: ", ")))"
            func spec(_ name: String, _ p: IRPriceSpec?) {
                if let p { line += " \(name) \(p.kind == .percent ? "pct " : "")%\(p.node)" }
            }
            spec("stop", o.stop); spec("take", o.take); spec("trail", o.trail)
            line += " tif \(o.tif.rawValue)"
            if let b = o.expireBars { line += " expire \(param(b, s)) bars" }
            if let e = o.expireSeconds { line += " expire \(param(e, s))s" }
            if o.reduceOnly { line += " reduce-only" }
            if o.postOnly { line += " post-only" }
            if let d = o.display { line += " display %\(d)" }
            if o.triggerOnMark == true { line += " trigger mark" }
        }
        if let src = a.source { line += "   ; line \(src.line)" }
        return line
    }

    static func riskLines(_ s: IRStrategy) -> [String] {
        let r = s.risk
        var parts: [String] = []
        if let d = r.maxDrawdown {
            parts.append("drawdown \(param(d, s))" + (r.drawdownWindow.map { " over \(param($0, s))s" } ?? "")
                         + " then \(r.drawdownAction ?? "halt")" + (r.drawdownScale.map { " \(param($0, s))" } ?? "")
                         + (r.haltPause.map { " for \(param($0, s))s" } ?? ""))
        }
        if let v = r.maxLeverage { parts.append("leverage \(param(v, s))") }
        if let v = r.maxPosition { parts.append("position \(param(v, s))") }
        if let v = r.maxExposure { parts.append("exposure \(param(v, s))") }
        if let v = r.maxCorrelation { parts.append("correlation \(param(v, s)) over \(r.correlationBars.map { param($0, s) } ?? "?")") }
        if let v = r.maxDailyLoss { parts.append("daily loss \(param(v, s))") }
        if let v = r.maxTradeRisk { parts.append("trade risk \(param(v, s))") }
        if let v = r.maxOpenRisk { parts.append("open risk \(param(v, s))") }
        return parts
    }
}
