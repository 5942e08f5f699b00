import StratSyntax

extension Checker {
    /// Reports E0410 when a value known before the run (a window, an offset, a
    /// lifetime, a timeframe) can exceed the runtime's `limit`: a constant above
    /// it, an input whose default or declared range goes above it, or an
    /// expression of inputs that is above it at their defaults. The runtime
    /// checks values bound by `--set` against the same `Limits`, so what passes
    /// here also runs. Returns false after reporting.
    ///
    ///     checkLimit(t, Double(Limits.maxWindow), "the `length` of `sma`", unit: "bars", at: r)
    mutating func checkLimit(_ t: TExpr, _ limit: Double, _ what: String, unit: String, at range: SourceRange,
                             show: (Double) -> String = fmt) -> Bool {
        let bound = "\(what) is at most \(show(limit))\(unit.isEmpty ? "" : " " + unit)"
        if let v = t.constantNumber {
            guard v > limit else { return true }
            // A literal is quoted as written (`9223372036854775807`, not 9.2e18).
            let written = diags.file.text(of: range)
            diags.error(.beyondLimit, "\(bound); this is \(written.isEmpty || written.contains(where: \.isWhitespace) ? show(v) : written)", at: range)
            return false
        }
        if let i = t.inputIndex {
            let input = strategy.inputs[i]
            if input.defaultValue > limit {
                diags.error(.beyondLimit, "input `\(input.name)` is \(show(input.defaultValue)) by default, but \(bound)",
                            at: range, notes: [Note("`\(input.name)` is declared here", at: input.range)])
                return false
            }
            if let hi = input.upper, hi > limit {
                diags.error(.beyondLimit, "input `\(input.name)` may be up to \(show(hi)) (its declared range), but \(bound)",
                            at: range, notes: [Note("narrow the range of `\(input.name)` to \(show(limit)) at most", at: input.range)])
                return false
            }
            return true
        }
        if let v = valueAtDefaults(t), v > limit {
            diags.error(.beyondLimit, "with the inputs at their defaults this is \(show(v)), but \(bound)", at: range)
            return false
        }
        return true
    }

    /// The value of an expression of constants and inputs with every input at
    /// its default; nil when it is not plain arithmetic (or too deep to look).
    func valueAtDefaults(_ t: TExpr, depth: Int = 0) -> Double? {
        guard depth < Self.hintDepth else { return nil }
        if let v = t.constantNumber { return v }
        switch t.kind {
        case .input(let i): return strategy.inputs[i].defaultValue
        case .binding(let i): return valueAtDefaults(strategy.lets[i].value, depth: depth + 1)
        case .shared(let i): return valueAtDefaults(strategy.shared[i], depth: depth + 1)
        case .unary(.negate, let x): return valueAtDefaults(x, depth: depth + 1).map { -$0 }
        case .binary(let head, let steps):
            guard var v = valueAtDefaults(head, depth: depth + 1) else { return nil }
            for s in steps {
                guard let r = valueAtDefaults(s.rhs, depth: depth + 1) else { return nil }
                switch s.op {
                case .add: v += r
                case .sub: v -= r
                case .mul: v *= r
                case .div: guard r != 0 else { return nil }; v /= r
                default: return nil
                }
            }
            return v
        default: return nil
        }
    }

    /// A number of seconds as a duration (`100w`), for messages.
    static func seconds(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 9e15 ? formatDuration(Int64(v)) : "\(fmt(v))s"
    }

    /// E0410 for a timeframe (`timeframe`, `@`, `every`) longer than the runtime takes.
    mutating func checkTimeframeLimit(_ seconds: Int64, at range: SourceRange) -> Bool {
        guard seconds > Limits.maxTimeframeSeconds else { return true }
        diags.error(.beyondLimit, "a timeframe is at most \(formatDuration(Limits.maxTimeframeSeconds)) (100 years); this is \(formatDuration(seconds))",
                    at: range)
        return false
    }
}
