import StratSema

/// Checks the invariants every consumer of the IR relies on. Lowering always
/// produces verified IR; the verifier guards IR read back from JSON.
public enum Verifier {
    public static func verify(_ p: IRProgram) -> [String] {
        p.strategies.flatMap(verify)
    }

    public static func verify(_ s: IRStrategy) -> [String] {
        var errors: [String] = []
        let n = s.nodes.count
        func ref(_ i: Int?, _ what: String) {
            if let i, i < 0 || i >= n { errors.append("\(s.name): \(what) refers to missing node %\(i)") }
        }
        func param(_ p: IRParam?, _ what: String, before limit: Int = Int.max) {
            switch p {
            case .input(let i) where i < 0 || i >= s.inputs.count: errors.append("\(s.name): \(what) refers to missing input \(i)")
            case .node(let i) where i < 0 || i >= min(n, limit): errors.append("\(s.name): \(what) refers to missing node %\(i)")
            default: break
            }
        }
        let arity: [IROp: Int] = [.const: 0, .input: 0, .field: 0, .neg: 1, .not: 1, .add: 2, .sub: 2, .mul: 2, .div: 2,
                                  .eq: 2, .ne: 2, .lt: 2, .le: 2, .gt: 2, .ge: 2, .and: 2, .or: 2, .select: 3,
                                  .history: 1, .output: 1]
        for (i, node) in s.nodes.enumerated() {
            let at = "\(s.name): %\(i) (\(node.op.rawValue))"
            for a in node.args where a < 0 || a >= i { errors.append("\(at) uses %\(a), which is not computed before it") }
            if let k = arity[node.op], node.args.count != k { errors.append("\(at) has \(node.args.count) arguments, expected \(k)") }
            for p in node.params { param(p, at, before: i) }
            switch node.op {
            case .const where node.value == nil && node.name == nil: errors.append("\(at) has no value")
            case .input where node.index == nil || node.index! >= s.inputs.count: errors.append("\(at) refers to a missing input")
            case .field where node.name.flatMap(BarField.init(rawValue:)) == nil: errors.append("\(at) reads an unknown bar field")
            case .history where node.params.count != 1: errors.append("\(at) needs one offset")
            case .call:
                guard let b = node.name.flatMap({ Builtin.all[$0] }) else { errors.append("\(at) calls an unknown function"); break }
                let series = b.params.filter { if case .series = $0.kind { true } else { false } }.count + b.implicitFields.count
                if node.args.count != series || node.params.count != b.params.count - (series - b.implicitFields.count) {
                    errors.append("\(at) passes the wrong arguments to \(b.name)")
                }
            case .output:
                if let a = node.args.first, a < i {
                    let src = s.nodes[a]
                    let outs = src.name.flatMap { Builtin.all[$0] }?.outputNames.count ?? 0
                    if src.op != .call || node.index == nil || node.index! >= outs { errors.append("\(at) picks a missing output") }
                }
            default: break
            }
            if node.type.qualifier != "series", node.args.contains(where: { s.nodes.indices.contains($0) && s.nodes[$0].type.qualifier == "series" }) {
                errors.append("\(at) is \(node.type.qualifier) but reads a series")
            }
        }
        for l in s.lets { ref(l.node, "let \(l.name)") }
        if let m = s.membership {
            ref(m, "universe membership")
            if m < n, s.nodes[m].type.dim != "Bool" { errors.append("\(s.name): universe membership is not Bool") }
        }
        for (k, r) in s.rules.enumerated() {
            ref(r.condition, "rule \(k) condition")
            if r.condition < n, s.nodes[r.condition].type.dim != "Bool" { errors.append("\(s.name): rule \(k) condition is not Bool") }
            for a in r.actions {
                guard let o = a.order else { continue }
                ref(o.price, "rule \(k) price"); ref(o.limitPrice, "rule \(k) limit")
                for x in o.size.args { ref(x, "rule \(k) size") }
                ref(o.stop?.node, "rule \(k) stop"); ref(o.take?.node, "rule \(k) take"); ref(o.trail?.node, "rule \(k) trail")
                ref(o.display, "rule \(k) display")
                param(o.expireBars, "rule \(k) expiry"); param(o.expireSeconds, "rule \(k) expiry")
                if (a.kind == .enter || a.kind == .exit) && a.side == nil { errors.append("\(s.name): rule \(k) order has no side") }
            }
        }
        if s.hash != ContentHash.of(s) { errors.append("\(s.name): content hash does not match the IR") }
        return errors
    }
}
