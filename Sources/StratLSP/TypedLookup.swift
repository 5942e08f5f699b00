import StratSema
import StratSyntax

/// Finds the typed expressions of a checked strategy that contain a byte
/// offset. The typed tree keeps each expression's source range, so "the type
/// under the cursor" is the innermost one containing it. Values of calls of
/// user functions (`shared`) are searched too: their arguments are written at
/// the call, and a function's body shows the types of its calls.
enum TypedLookup {
    /// Every typed expression containing `offset`, innermost last. Ranges that
    /// are empty (default arguments filled in by the checker) are skipped.
    static func path(in s: CheckedStrategy, at offset: Int) -> [TExpr] {
        var roots: [TExpr] = s.lets.map(\.value) + s.shared
        if let m = s.membership { roots.append(m) }
        for r in s.rules {
            roots.append(r.condition)
            for case .order(let o) in r.actions { roots += exprs(of: o) }
        }
        var best: [TExpr] = []
        var bestSize = Int.max
        // Walked with an explicit stack: a long chain of operators is deep.
        for root in roots where contains(root.range, offset) {
            var chain: [TExpr] = []
            var stack: [(TExpr, Int)] = [(root, 0)]
            while let (e, depth) = stack.popLast() {
                chain.removeLast(chain.count - depth)
                chain.append(e)
                var deeper = false
                for c in children(e) where contains(c.range, offset) && !c.range.isEmpty {
                    stack.append((c, depth + 1)); deeper = true
                }
                if !deeper {
                    let size = e.range.end - e.range.start
                    if size < bestSize { bestSize = size; best = chain }
                }
            }
        }
        return best
    }

    static func contains(_ r: SourceRange, _ offset: Int) -> Bool { r.start <= offset && offset < r.end || r.isEmpty && r.start == offset }

    static func children(_ e: TExpr) -> [TExpr] {
        switch e.kind {
        case .constant, .input, .field, .binding, .shared, .error: []
        case .unary(_, let x), .member(let x, _), .context(let x, _, _): [x]
        case .binary(let first, let steps): [first] + steps.map(\.rhs)
        case .conditional(let a, let b, let c): [a, b, c]
        case .builtin(_, let args): args
        case .history(let x, let offset): [x, offset]
        }
    }

    static func exprs(of o: TOrder) -> [TExpr] {
        var out: [TExpr] = []
        switch o.type {
        case .market: break
        case .limit(let x), .stop(let x): out.append(x)
        case .stopLimit(let a, let b): out += [a, b]
        }
        switch o.size {
        case .allIn: break
        case .qty(let x), .notional(let x), .equity(let x), .position(let x): out.append(x)
        case .risk(let x, let stop): out.append(x); if let stop { out.append(stop) }
        case .volatility(let x, let d): out += [x, d]
        case .kelly(let x, let cap): out.append(x); if let cap { out.append(cap) }
        }
        for p in [o.stop, o.take, o.trail].compactMap({ $0 }) {
            switch p { case .price(let x), .percent(let x): out.append(x) }
        }
        out += [o.expireBars, o.expireAfter, o.display].compactMap { $0 }
        return out
    }
}
