import StratSema
import StratSyntax

/// Warm-up: how many base bars pass before a rule's condition can first be
/// decided. Each indicator adds its TA-Lib lookback; `x[n]` adds n; a value on a
/// longer timeframe costs (lookback + 1) of its bars, converted to base bars.
/// Parameters count as whole bars clamped to the runtime's limits (which refuse
/// larger ones) and the sums saturate, so any input gives a number, never a trap.
public enum Warmup {
    public static func compute(_ s: IRStrategy) -> IRWarmup {
        let defaults = s.inputs.map(\.defaultValue)
        let maxima = s.inputs.map { $0.max ?? $0.defaultValue }
        return IRWarmup(atDefaults: bars(s, inputs: defaults), atMaximum: bars(s, inputs: maxima))
    }

    /// The warm-up for given input values.
    public static func bars(_ s: IRStrategy, inputs: [Double]) -> Int {
        let base = s.timeframe ?? 1
        let statics = staticValues(s, inputs)
        var own = [Int](repeating: 0, count: s.nodes.count)   // in each node's own bars
        func value(_ p: IRParam) -> Int {
            switch p {
            case .const(let v): count(v)
            case .input(let i): count(i < inputs.count ? inputs[i] : 0)
            case .node(let n): count(n < statics.count ? statics[n] ?? 0 : 0)
            }
        }
        func convert(_ lookback: Int, from: Int64?, to: Int64?) -> Int {
            let f = Int(clamping: max(1, from ?? base)), t = Int(clamping: max(1, to ?? base))
            if f <= t { return f == t ? lookback : times(lookback, f) / t }
            return add(times(add(lookback, 1), f / t), -1)
        }
        for (i, n) in s.nodes.enumerated() {
            var lb = n.args.filter { $0 < i }.map { convert(own[$0], from: s.nodes[$0].type.clock, to: n.type.clock) }.max() ?? 0
            switch n.op {
            case .history: lb = add(lb, n.params.first.map(value) ?? 0)
            case .call: lb = add(lb, Builtin.all[n.name ?? ""]?.lookback(n.params.map(value)) ?? 0)
            default: break
            }
            own[i] = lb
        }
        return s.rules.filter { $0.condition < s.nodes.count }
            .map { convert(own[$0.condition], from: s.nodes[$0.condition].type.clock, to: nil) }.max() ?? 0
    }

    /// A parameter as whole bars: NaN and negatives count 0, more than any limit
    /// counts as the limit (the runtime refuses such a run anyway).
    static func count(_ v: Double) -> Int {
        guard v.isFinite, v > 0 else { return 0 }
        return Int(min(v, Double(max(Limits.maxWindow, Limits.maxOffset))))
    }

    static func add(_ a: Int, _ b: Int) -> Int {
        let (r, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int.max : Int.min) : r
    }

    static func times(_ a: Int, _ b: Int) -> Int {
        let (r, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : r
    }

    /// The values of the input-qualified nodes (arithmetic on inputs and
    /// constants), in one forward pass; nil where a node is not such arithmetic.
    static func staticValues(_ s: IRStrategy, _ inputs: [Double]) -> [Double?] {
        var v = [Double?](repeating: nil, count: s.nodes.count)
        for (i, n) in s.nodes.enumerated() {
            func arg(_ k: Int) -> Double? { k < n.args.count && n.args[k] < i ? v[n.args[k]] : nil }
            switch n.op {
            case .const: v[i] = n.value
            case .input: v[i] = n.index.flatMap { $0 < inputs.count ? inputs[$0] : nil }
            case .neg: v[i] = arg(0).map { -$0 }
            case .add, .sub, .mul, .div:
                guard let a = arg(0), let b = arg(1) else { continue }
                v[i] = n.op == .add ? a + b : n.op == .sub ? a - b : n.op == .mul ? a * b : (b == 0 ? nil : a / b)
            default: break
            }
        }
        return v
    }
}
