import Foundation
import StratIR
import StratMarket

/// Why orders were sent: the rule that fired, on which bar, and its condition
/// in words with the value of every operand on that bar (`strat explain`).
///
///     fastMa (sma(close, 10)) = 101.42 crossed above slowMa (sma(close, 30)) = 101.37
public struct Signal: Sendable, Equatable {
    /// When the rule acted: the signal bar's close.
    public var time: Int64
    /// The signal bar (its open, as in the data).
    public var barTime: Int64
    public var symbol: String
    /// Index into the strategy's rules, and the rule's source line.
    public var rule: Int
    public var line: Int?
    /// The orders the rule's actions sent on this bar.
    public var orders: [Int]
    /// The values of the rule's operand nodes (`SignalText.operands`) on the bar;
    /// made into words only when a report asks, so sweeps pay for no text.
    public var values: [Double]
}

/// Turns signals into words: the condition, one clause per element (the
/// operands of an `and`), each operand with its value.
public struct SignalText: Sendable {
    let strategy: IRStrategy
    let inputs: [Double]
    /// Per rule: the nodes whose values a signal keeps.
    let operands: [[Int]]

    init(_ strategy: IRStrategy, inputs: [Double]) {
        self.strategy = strategy
        self.inputs = inputs
        operands = strategy.rules.map { rule in
            var nodes: [Int] = [], seen = Set<Int>()
            func walk(_ k: Int, _ depth: Int) {
                let n = strategy.nodes[k]
                // What `ConditionText.clauses` and `operand` read, down to the operands.
                if seen.insert(k).inserted { nodes.append(k) }
                let splits = depth < ConditionText.maxDepth
                let split: Bool
                switch n.op {
                case .and, .or, .gt, .ge, .lt, .le, .eq, .ne: split = splits
                case .call: split = splits && (n.name == "crossover" || n.name == "crossunder")
                default: split = false
                }
                if split { n.args.forEach { walk($0, depth + 1) } } else { params(k) }
            }
            // Parameters that are nodes (input expressions such as `fast * 2`) anywhere
            // in an operand are written as their values. A loop: an operand may be
            // a chain of 100,000 additions.
            var visited = Set<Int>()
            func params(_ k: Int) {
                var stack = [k]
                while let k = stack.popLast() {
                    guard visited.insert(k).inserted else { continue }
                    let n = strategy.nodes[k]
                    for case .node(let p) in n.params where seen.insert(p).inserted { nodes.append(p) }
                    stack += n.args
                }
            }
            walk(rule.condition, 0)
            return nodes
        }
    }

    public func clauses(_ s: Signal) -> [String] {
        var known: [Int: Double] = [:]
        for (k, v) in zip(operands[s.rule], s.values) { known[k] = v }
        return ConditionText(strategy, inputs: inputs) { known[$0] ?? .nan }.clauses(strategy.rules[s.rule].condition)
    }
}

/// Writes IR expressions back as source-like text, with the run's input values
/// in place of the inputs, and explains why a condition held.
struct ConditionText {
    let strategy: IRStrategy
    let inputs: [Double]
    let value: (Int) -> Double
    let letNames: [Int: String]

    init(_ strategy: IRStrategy, inputs: [Double], value: @escaping (Int) -> Double) {
        self.strategy = strategy
        self.inputs = inputs
        self.value = value
        var names: [Int: String] = [:]
        for l in strategy.lets where names[l.node] == nil { names[l.node] = l.name }
        letNames = names
    }

    /// How deep `and`s, `or`s and comparisons are split into clauses (a deeper
    /// one is shown whole, cut short by `text`'s budget).
    static let maxDepth = 32

    /// The clauses of the condition `node` that made it true.
    func clauses(_ node: Int, depth: Int = 0) -> [String] {
        let n = strategy.nodes[node]
        let splits = depth < Self.maxDepth
        switch n.op {
        case .and where splits: return n.args.flatMap { clauses($0, depth: depth + 1) }
        // Of an `or`, the operands that held.
        case .or where splits: return n.args.filter { value($0) == 1 }.flatMap { clauses($0, depth: depth + 1) }
        case .gt, .ge, .lt, .le, .eq, .ne:
            return ["\(operand(n.args[0])) \(Self.symbols[n.op]!) \(operand(n.args[1]))"]
        case .call where (n.name == "crossover" || n.name == "crossunder") && n.args.count == 2:
            return ["\(operand(n.args[0])) crossed \(n.name == "crossover" ? "above" : "below") \(operand(n.args[1]))"]
        default:
            return ["\(operand(node, bare: true)) is true"]
        }
    }

    static let symbols: [IROp: String] = [.gt: ">", .ge: ">=", .lt: "<", .le: "<=", .eq: "==", .ne: "!=",
                                          .add: "+", .sub: "-", .mul: "*", .div: "/", .and: "and", .or: "or"]

    /// An operand with its value: `fastMa (sma(close, 10)) = 101.42`; a literal alone.
    func operand(_ node: Int, bare: Bool = false) -> String {
        let n = strategy.nodes[node]
        if n.op == .const || n.op == .input { return text(node) }
        let written = letNames[node].map { "\($0) (\(text(node, expandLet: true)))" } ?? text(node)
        return bare ? written : "\(written) = \(Self.number(value(node)))"
    }

    /// The expression of `node`; lets by name unless `expandLet` (the top node
    /// only). At most `budget` nodes are written, the rest as `…` (an operand
    /// may be a chain of thousands of additions; the recursion stays shallow).
    func text(_ node: Int, expandLet: Bool = false) -> String {
        var budget = 40
        return text(node, expandLet: expandLet, budget: &budget)
    }

    func text(_ node: Int, expandLet: Bool, budget: inout Int) -> String {
        if !expandLet, let name = letNames[node] { return name }
        guard budget > 0 else { return "…" }
        budget -= 1
        let n = strategy.nodes[node]
        func arg(_ k: Int) -> String {
            let a = n.args[k], op = strategy.nodes[a].op
            let t = text(a, expandLet: false, budget: &budget)
            return letNames[a] == nil && Self.symbols[op] != nil && t != "…" ? "(\(t))" : t
        }
        var s: String
        switch n.op {
        case .const: s = n.type.dim == "Bool" ? (n.value == 1 ? "true" : "false") : Self.number(n.value ?? .nan)
        case .input: s = Self.number(n.index.map { $0 < inputs.count ? inputs[$0] : .nan } ?? .nan)
        case .field: s = n.name ?? "?"
        case .neg: s = "-" + arg(0)
        case .not: s = "not " + arg(0)
        case .select: s = "select(\(arg(0)), \(arg(1)), \(arg(2)))"
        case .history: s = "\(arg(0))[\(n.params.first.map(param) ?? "?")]"
        case .call: s = "\(n.name ?? "?")(\((n.args.indices.map(arg) + n.params.map(param)).joined(separator: ", ")))"
        case .output: s = "\(arg(0)).\(n.index ?? 0)"
        default:
            let parts = n.args.indices.map(arg)
            // A chain cut short entirely is one `…`, not a tree of them.
            s = parts.allSatisfy { $0 == "…" } ? "…" : parts.joined(separator: " \(Self.symbols[n.op] ?? n.op.rawValue) ")
        }
        if let sym = n.symbol { s += "@$\(sym)" }
        if let clock = n.type.clock, n.op == .field || n.op == .call, clock != strategy.timeframes.first { s += "@\(Self.duration(clock))" }
        return s
    }

    func param(_ p: IRParam) -> String {
        switch p {
        case .const(let v): Self.number(v)
        case .input(let k): Self.number(k < inputs.count ? inputs[k] : .nan)
        case .node(let k): Self.number(value(k))
        }
    }

    static func duration(_ seconds: Int64) -> String {
        for (unit, s) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3_600), ("m", 60)] where seconds % s == 0 { return "\(seconds / s)\(unit)" }
        return "\(seconds)s"
    }

    /// Seven significant digits, no exponent below a billion; `na` for NaN.
    static func number(_ v: Double) -> String { ExplainNumber.format(v) }
}

/// Numbers as `strat explain` and the HTML report print them.
public enum ExplainNumber {
    /// Up to seven significant digits (at least two decimals kept for
    /// amounts ≥ 1e5), trailing zeros dropped; `na` for NaN.
    public static func format(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "na" : (v > 0 ? "inf" : "-inf") }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        let digits = abs(v) >= 1e5 ? 2 : max(0, 6 - Int(floor(log10(max(abs(v), 1e-300)))))
        var s = String(format: "%.\(min(digits, 12))f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }
}
