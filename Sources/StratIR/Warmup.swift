import StratSema

/// Warm-up: how many base bars pass before a rule's condition can first be
/// decided. Each indicator adds its TA-Lib lookback; `x[n]` adds n; a value on a
/// longer timeframe costs (lookback + 1) of its bars, converted to base bars.
public enum Warmup {
    public static func compute(_ s: IRStrategy) -> IRWarmup {
        let defaults = s.inputs.map(\.defaultValue)
        let maxima = s.inputs.map { $0.max ?? $0.defaultValue }
        return IRWarmup(atDefaults: bars(s, inputs: defaults), atMaximum: bars(s, inputs: maxima))
    }

    /// The warm-up for given input values.
    public static func bars(_ s: IRStrategy, inputs: [Double]) -> Int {
        let base = s.timeframe ?? 1
        var own = [Int](repeating: 0, count: s.nodes.count)   // in each node's own bars
        func value(_ p: IRParam) -> Int {
            switch p {
            case .const(let v): Int(v)
            case .input(let i): Int(inputs[i])
            case .node(let n): Int(evaluate(s, n, inputs) ?? 0)
            }
        }
        func convert(_ lookback: Int, from: Int64?, to: Int64?) -> Int {
            let f = from ?? base, t = to ?? base
            if f <= t { return f == t ? lookback : (lookback * Int(f)) / Int(t) }
            return (lookback + 1) * Int(f / t) - 1
        }
        for (i, n) in s.nodes.enumerated() {
            var lb = n.args.map { convert(own[$0], from: s.nodes[$0].type.clock, to: n.type.clock) }.max() ?? 0
            switch n.op {
            case .history: lb += value(n.params[0])
            case .call: lb += Builtin.all[n.name!]!.lookback(n.params.map(value))
            default: break
            }
            own[i] = lb
        }
        return s.rules.map { convert(own[$0.condition], from: s.nodes[$0.condition].type.clock, to: nil) }.max() ?? 0
    }

    /// Evaluates an input-qualified node (arithmetic on inputs and constants).
    static func evaluate(_ s: IRStrategy, _ i: Int, _ inputs: [Double]) -> Double? {
        let n = s.nodes[i]
        switch n.op {
        case .const: return n.value
        case .input: return inputs[n.index!]
        case .neg: return evaluate(s, n.args[0], inputs).map { -$0 }
        case .add, .sub, .mul, .div:
            guard let a = evaluate(s, n.args[0], inputs), let b = evaluate(s, n.args[1], inputs) else { return nil }
            return n.op == .add ? a + b : n.op == .sub ? a - b : n.op == .mul ? a * b : (b == 0 ? nil : a / b)
        default: return nil
        }
    }
}
