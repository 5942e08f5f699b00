import Foundation
import StratSema
import StratSyntax

/// Turns checked strategies into IR. Nodes are hash-consed, so any value written
/// twice (or reached twice through a `let` or an inlined function) is computed once,
/// and constant subtrees are folded as they are built.
public struct Lowering {
    struct Context: Hashable {
        var clock: Int64?
        var symbol: String?
    }

    private var nodes: [IRNode] = []
    private var index: [IRNode: Int] = [:]
    /// Each `let` and shared value is lowered once per context.
    private var referenced: [Context: [Reference: Int]] = [:]
    /// The references in each let's or shared value's expression, with the
    /// contexts (`@`) they are read in, found once.
    private var dependencies: [Reference: [(Reference, Int64?, String?)]] = [:]

    enum Reference: Hashable {
        case binding(Int)
        case shared(Int)
    }
    private let strategy: CheckedStrategy
    private let file: SourceFile

    public static func lower(_ strategies: [CheckedStrategy], file: SourceFile) -> IRProgram {
        DeepStack.run {
            IRProgram(strategies: strategies.map { s in
                var l = Lowering(strategy: s, file: file)
                return l.lowerStrategy()
            })
        }
    }

    init(strategy: CheckedStrategy, file: SourceFile) {
        self.strategy = strategy
        self.file = file
    }

    func source(_ r: SourceRange) -> IRSource {
        let (line, col) = file.lineColumn(of: r.start)
        return IRSource(file: file.name, line: line, column: col)
    }

    mutating func lowerStrategy() -> IRStrategy {
        let base = Context()
        let lets = strategy.lets.indices.filter { !strategy.lets[$0].value.type.isError }.map { i in
            IRNamed(name: strategy.lets[i].name, node: lowerReference(.binding(i), strategy.lets[i].value.type, base))
        }
        var rules: [IRRule] = []
        for r in strategy.rules where !r.condition.type.isError {
            let cond = lower(r.condition, base)
            let actions = r.actions.map { lowerAction($0, base) }
            rules.append(IRRule(condition: cond, actions: actions, source: source(r.range)))
        }
        let risk = lowerRisk(strategy.risk)
        let membership = strategy.membership.map { lower($0, base) }
        let remap = eliminateDeadNodes(roots: lets.map(\.node) + rules.flatMap(Self.references) + (membership.map { [$0] } ?? []))
        let liveLets = lets.map { IRNamed(name: $0.name, node: remap[$0.node]!) }
        rules = rules.map { $0.mapNodes { remap[$0]! } }
        let m = strategy.market
        let inputs = strategy.inputs.map {
            IRInput(name: $0.name, type: $0.dim.name, defaultValue: $0.defaultValue, min: $0.lower, max: $0.upper, step: $0.step)
        }
        var timeframes: [Int64] = strategy.timeframe.map { [$0] } ?? []
        for c in Set(nodes.compactMap(\.type.clock)).sorted() where !timeframes.contains(c) { timeframes.append(c) }
        let referenced = Set(nodes.compactMap(\.symbol)).subtracting(strategy.universe).sorted()
        var ir = IRStrategy(name: strategy.name,
                            market: IRMarket(kind: m.kind, leverage: m.leverage, margin: m.margin, mode: m.mode == .hedge ? .hedge : nil),
                            universe: strategy.universe, referencedSymbols: referenced, timeframe: strategy.timeframe,
                            timeframeMonths: strategy.timeframeMonths, timeframes: timeframes, inputs: inputs, nodes: nodes, lets: liveLets, rules: rules,
                            membership: membership.map { remap[$0]! }, rebalance: strategy.rebalance,
                            rebalanceMonths: strategy.rebalanceMonths, pyramiding: strategy.pyramiding > 0 ? strategy.pyramiding : nil, risk: risk,
                            warmup: IRWarmup(atDefaults: 0, atMaximum: 0))
        ir.warmup = Warmup.compute(ir)
        ir.hash = ContentHash.of(ir)
        return ir
    }

    // MARK: Dead nodes

    /// Folding leaves the folded operands behind; keep only nodes reachable from
    /// the lets and rules, in their original (topological) order.
    mutating func eliminateDeadNodes(roots: [Int]) -> [Int: Int] {
        var live = [Bool](repeating: false, count: nodes.count)
        for r in roots { live[r] = true }
        for i in nodes.indices.reversed() where live[i] {
            for a in nodes[i].args { live[a] = true }
            for case .node(let p) in nodes[i].params { live[p] = true }
        }
        var remap: [Int: Int] = [:]
        var kept: [IRNode] = []
        for (i, n) in nodes.enumerated() where live[i] {
            var n = n
            n.args = n.args.map { remap[$0]! }
            n.params = n.params.map { if case .node(let p) = $0 { .node(remap[p]!) } else { $0 } }
            remap[i] = kept.count
            kept.append(n)
        }
        nodes = kept
        return remap
    }

    static func references(_ r: IRRule) -> [Int] {
        var refs: [Int] = []
        _ = r.mapNodes { refs.append($0); return $0 }
        return refs
    }

    // MARK: Nodes

    mutating func add(_ node: IRNode) -> Int {
        if let i = index[node] { return i }
        nodes.append(node)
        index[node] = nodes.count - 1
        return nodes.count - 1
    }

    func type(_ t: SType, clock: Int64?) -> IRType {
        let q = switch t.qualifier { case .const: "const"; case .input: "input"; case .series: "series" }
        let dim = if case .tuple = t.dim { "Tuple" } else { t.dim.name }
        return IRType(qualifier: q, dim: dim, clock: t.qualifier == .series ? clock : nil)
    }

    mutating func constant(_ v: Double, dim: String) -> Int {
        add(IRNode(op: .const, type: IRType(qualifier: "const", dim: dim), value: v))
    }

    /// The finest clock among series arguments (nil, the base, is finest).
    func clock(of args: [Int], default ctx: Int64?) -> Int64? {
        let series = args.map { nodes[$0] }.filter { $0.type.qualifier == "series" }
        if series.isEmpty { return ctx }
        if series.contains(where: { $0.type.clock == nil }) { return nil }
        return series.compactMap(\.type.clock).min()
    }

    func constValue(_ i: Int) -> Double? { nodes[i].op == .const && nodes[i].name == nil ? nodes[i].value : nil }

    mutating func lower(_ e: TExpr, _ ctx: Context) -> Int {
        switch e.kind {
        case .constant(.number(let v)):
            return constant(v, dim: e.type.dim.name)
        case .constant(.bool(let b)):
            return constant(b ? 1 : 0, dim: "Bool")
        case .constant(.symbol(let s)):
            return add(IRNode(op: .const, type: IRType(qualifier: "const", dim: "Symbol"), name: s))
        case .input(let i):
            return add(IRNode(op: .input, type: type(e.type, clock: nil), index: i))
        case .field(let f):
            return add(IRNode(op: .field, type: IRType(qualifier: "series", dim: f.dimension.name, clock: ctx.clock),
                              name: f.rawValue, symbol: ctx.symbol))
        case .binding(let i):
            return lowerReference(.binding(i), e.type, ctx)
        case .shared(let i):
            return lowerReference(.shared(i), e.type, ctx)
        case .unary(let op, let x): return lowerUnary(op, x, e.type, ctx)
        case .binary(let head, let steps): return lowerRun(head, steps, ctx)
        case .conditional(let c, let x, let y): return lowerConditional(c, x, y, e.type, ctx)
        case .builtin(let name, let args): return lowerCall(name, args, e.type, ctx)
        case .history(let x, let offset):
            let a = lower(x, ctx)
            let p = param(offset, ctx)
            if p == .const(0) || nodes[a].type.qualifier != "series" { return a }
            return add(IRNode(op: .history, type: nodes[a].type, args: [a], params: [p]))
        case .member(let x, let i):
            let a = lower(x, ctx)
            return add(IRNode(op: .output, type: type(e.type, clock: nodes[a].type.clock), args: [a], index: i))
        case .context(let x, let tf, let sym):
            var inner = ctx
            if let tf { inner.clock = tf }
            if let sym { inner.symbol = sym }
            return lower(x, inner)
        case .error:
            return constant(.nan, dim: "<error>")   // never reached: errors stop the driver before lowering
        }
    }

    // One method per construct, so the recursion's frame stays small in a debug
    // build (see `DeepStack`).

    mutating func lowerUnary(_ op: UnaryOp, _ x: TExpr, _ t: SType, _ ctx: Context) -> Int {
        let a = lower(x, ctx)
        if let v = constValue(a) { return constant(op == .negate ? -v : (v == 0 ? 1 : 0), dim: nodes[a].type.dim) }
        return add(IRNode(op: op == .negate ? .neg : .not, type: type(t, clock: nodes[a].type.clock), args: [a]))
    }

    mutating func lowerRun(_ head: TExpr, _ steps: [TBinaryStep], _ ctx: Context) -> Int {
        var a = lower(head, ctx)
        for step in steps {
            let b = lower(step.rhs, ctx)
            if let va = constValue(a), let vb = constValue(b), let v = Self.fold(step.op, va, vb) {
                a = constant(v, dim: type(step.type, clock: nil).dim)
            } else {
                a = add(IRNode(op: Self.irOp(step.op), type: type(step.type, clock: clock(of: [a, b], default: nil)), args: [a, b]))
            }
        }
        return a
    }

    mutating func lowerConditional(_ c: TExpr, _ x: TExpr, _ y: TExpr, _ t: SType, _ ctx: Context) -> Int {
        let ci = lower(c, ctx), a = lower(x, ctx), b = lower(y, ctx)
        if let v = constValue(ci) { return v != 0 ? a : b }
        return add(IRNode(op: .select, type: type(t, clock: clock(of: [ci, a, b], default: nil)), args: [ci, a, b]))
    }

    mutating func lowerCall(_ name: String, _ argExprs: [TExpr], _ t: SType, _ ctx: Context) -> Int {
        let b = Builtin.all[name]!
        var args: [Int] = []
        var params: [IRParam] = []
        for (p, a) in zip(b.params, argExprs) {
            switch p.kind {
            case .series: args.append(lower(a, ctx))
            case .length, .number: params.append(param(a, ctx))
            }
        }
        return callNode(b, args, params, t, ctx)
    }

    mutating func callNode(_ b: Builtin, _ arguments: [Int], _ params: [IRParam], _ t: SType, _ ctx: Context) -> Int {
        var args = arguments
        for f in b.implicitFields {
            args.append(add(IRNode(op: .field, type: IRType(qualifier: "series", dim: f.dimension.name, clock: ctx.clock),
                                   name: f.rawValue, symbol: ctx.symbol)))
        }
        if b.category == .math, params.isEmpty, let values = Optional(args.compactMap(constValue)), values.count == args.count,
           let v = Self.foldMath(b.name, values) {
            return constant(v, dim: type(t, clock: nil).dim)
        }
        let c = b.category == .math || !args.isEmpty ? clock(of: args, default: ctx.clock) : ctx.clock
        return add(IRNode(op: .call, type: type(t, clock: c), args: args, params: params, name: b.name,
                          symbol: args.isEmpty ? ctx.symbol : nil))
    }

    // MARK: References

    func value(of r: Reference) -> TExpr {
        switch r {
        case .binding(let i): strategy.lets[i].value
        case .shared(let i): strategy.shared[i]
        }
    }

    /// A let or shared value in `ctx`, lowered once. The references it reaches
    /// are lowered first, deepest first, by a loop: lowering each value then
    /// finds its references done, so a chain of lets of any length (read in a
    /// new context, as `x@4h`) never recurses down the chain.
    mutating func lowerReference(_ r: Reference, _ type: SType, _ ctx: Context) -> Int {
        if referenced[ctx]?[r] == nil {
            var stack: [(Reference, Context, ready: Bool)] = [(r, ctx, false)]
            while let (ref, c, ready) = stack.popLast() {
                if referenced[c]?[ref] != nil { continue }
                if ready {
                    referenced[c, default: [:]][ref] = lower(value(of: ref), c)
                    continue
                }
                stack.append((ref, c, true))
                for (dep, clock, symbol) in dependencies(of: ref) {
                    var inner = c
                    if let clock { inner.clock = clock }
                    if let symbol { inner.symbol = symbol }
                    if referenced[inner]?[dep] == nil { stack.append((dep, inner, false)) }
                }
            }
        }
        let n = referenced[ctx]![r]!
        // A folded constant takes the unit of where it is used, as a copied
        // constant would (`let k = 2 * 3` then `close > k` compares Prices).
        if let v = constValue(n), nodes[n].type.dim != type.dim.name, !type.isError, type.dim.isNumeric {
            return constant(v, dim: type.dim.name)
        }
        return n
    }

    /// The references in `r`'s expression, each with the timeframe and symbol
    /// that the `@`s around it set (nil: the reader's).
    mutating func dependencies(of r: Reference) -> [(Reference, Int64?, String?)] {
        if let known = dependencies[r] { return known }
        var found: [(Reference, Int64?, String?)] = []
        func walk(_ e: TExpr, _ clock: Int64?, _ symbol: String?) {
            switch e.kind {
            case .binding(let i): found.append((.binding(i), clock, symbol))
            case .shared(let i): found.append((.shared(i), clock, symbol))
            case .constant, .input, .field, .error: break
            case .unary(_, let x), .member(let x, _): walk(x, clock, symbol)
            case .binary(let head, let steps):
                walk(head, clock, symbol)
                for s in steps { walk(s.rhs, clock, symbol) }
            case .conditional(let c, let a, let b): walk(c, clock, symbol); walk(a, clock, symbol); walk(b, clock, symbol)
            case .builtin(_, let args): for a in args { walk(a, clock, symbol) }
            case .history(let x, let o): walk(x, clock, symbol); walk(o, clock, symbol)
            case .context(let x, let tf, let sym): walk(x, tf ?? clock, sym ?? symbol)
            }
        }
        walk(value(of: r), nil, nil)
        dependencies[r] = found
        return found
    }

    mutating func param(_ e: TExpr, _ ctx: Context) -> IRParam {
        if let v = e.constantNumber { return .const(v) }
        if case .input(let i) = e.kind { return .input(i) }
        let n = lower(e, ctx)
        if let v = constValue(n) { return .const(v) }
        return .node(n)
    }

    static func irOp(_ op: BinaryOp) -> IROp {
        switch op {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .eq: .eq
        case .ne: .ne
        case .lt: .lt
        case .le: .le
        case .gt: .gt
        case .ge: .ge
        case .and: .and
        case .or: .or
        }
    }

    /// `a op b` when it is a finite number (an overflow such as `1e308 * 10` is
    /// left to the runtime, where it is an infinity on every bar, not a constant
    /// the IR's JSON could not hold).
    static func fold(_ op: BinaryOp, _ a: Double, _ b: Double) -> Double? {
        foldAny(op, a, b).flatMap { $0.isFinite ? $0 : nil }
    }

    static func foldAny(_ op: BinaryOp, _ a: Double, _ b: Double) -> Double? {
        switch op {
        case .add: a + b
        case .sub: a - b
        case .mul: a * b
        case .div: b == 0 ? nil : a / b
        case .eq: a == b ? 1 : 0
        case .ne: a != b ? 1 : 0
        case .lt: a < b ? 1 : 0
        case .le: a <= b ? 1 : 0
        case .gt: a > b ? 1 : 0
        case .ge: a >= b ? 1 : 0
        case .and: a != 0 && b != 0 ? 1 : 0
        case .or: a != 0 || b != 0 ? 1 : 0
        }
    }

    static func foldMath(_ name: String, _ v: [Double]) -> Double? {
        let r: Double? = switch name {
        case "abs": abs(v[0])
        case "min": min(v[0], v[1])
        case "max": max(v[0], v[1])
        case "clamp": min(max(v[0], v[1]), v[2])
        case "round": v[0].rounded(.toNearestOrAwayFromZero)
        case "floor": v[0].rounded(.down)
        case "ceil": v[0].rounded(.up)
        case "sign": v[0] > 0 ? 1 : v[0] < 0 ? -1 : 0
        case "sqrt": v[0] >= 0 ? v[0].squareRoot() : nil
        case "log": v[0] > 0 ? Foundation.log(v[0]) : nil
        case "exp": Foundation.exp(v[0])
        case "pow": Foundation.pow(v[0], v[1])
        case "nz": v[0]
        case "isna": 0
        default: nil
        }
        return r.flatMap { $0.isFinite ? $0 : nil }
    }

    // MARK: Actions and risk

    mutating func lowerAction(_ a: TAction, _ ctx: Context) -> IRAction {
        switch a {
        case .flatten(let r): return IRAction(kind: .flatten, side: nil, order: nil, source: source(r))
        case .cancel(let side, let r): return IRAction(kind: .cancel, side: side, order: nil, source: source(r))
        case .cancelAll(let r): return IRAction(kind: .cancelAll, side: nil, order: nil, source: source(r))
        case .order(let o):
            var type = IROrder.Kind.market
            var price: Int?, limit: Int?
            switch o.type {
            case .market: break
            case .limit(let p): type = .limit; price = lower(p, ctx)
            case .stop(let p): type = .stop; price = lower(p, ctx)
            case .stopLimit(let s, let l): type = .stopLimit; price = lower(s, ctx); limit = lower(l, ctx)
            }
            let size: IRSizing = switch o.size {
            case .allIn: IRSizing(kind: .allIn, args: [])
            case .qty(let q): IRSizing(kind: .qty, args: [lower(q, ctx)])
            case .notional(let n): IRSizing(kind: .notional, args: [lower(n, ctx)])
            case .equity(let f): IRSizing(kind: .equity, args: [lower(f, ctx)])
            case .risk(let f, let stop): IRSizing(kind: .risk, args: [lower(f, ctx)] + (stop.map { [lower($0, ctx)] } ?? []))
            case .volatility(let f, let d): IRSizing(kind: .volatility, args: [lower(f, ctx), lower(d, ctx)])
            case .kelly(let f, let cap): IRSizing(kind: .kelly, args: [lower(f, ctx)] + (cap.map { [lower($0, ctx)] } ?? []))
            case .position(let f): IRSizing(kind: .position, args: [lower(f, ctx)])
            }
            func spec(_ s: TPriceSpec?) -> IRPriceSpec? {
                switch s {
                case .price(let e): IRPriceSpec(kind: .price, node: lower(e, ctx))
                case .percent(let e): IRPriceSpec(kind: .percent, node: lower(e, ctx))
                case nil: nil
                }
            }
            let order = IROrder(type: type, price: price, limitPrice: limit, size: size, stop: spec(o.stop), take: spec(o.take),
                                trail: spec(o.trail), tif: o.tif, expireBars: o.expireBars.map { param($0, ctx) },
                                expireSeconds: o.expireAfter.map { param($0, ctx) }, reduceOnly: o.reduceOnly, postOnly: o.postOnly,
                                display: o.display.map { lower($0, ctx) },
                                // `trigger last` is the default, and spot has no mark: neither changes the IR (nor its hash).
                                triggerOnMark: o.triggerOnMark == true && strategy.market.kind == .perp ? true : nil)
            return IRAction(kind: o.isEntry ? .enter : .exit, side: o.side, order: order, source: source(o.range))
        }
    }

    func lowerRisk(_ r: CheckedRisk) -> IRRisk {
        func p(_ v: ParamValue?) -> IRParam? {
            switch v {
            case .const(let x): .const(x)
            case .input(let i): .input(i)
            case nil: nil
            }
        }
        var out = IRRisk()
        if let dd = r.maxDrawdown {
            out.maxDrawdown = p(dd.limit)
            switch dd.then {
            case .halt(let pause): out.drawdownAction = "halt"; out.haltPause = p(pause)
            case .scale(let s): out.drawdownAction = "scale"; out.drawdownScale = p(s)
            }
        }
        out.maxLeverage = p(r.maxLeverage)
        out.maxPosition = p(r.maxPosition)
        out.maxExposure = p(r.maxExposure)
        out.maxCorrelation = p(r.maxCorrelation?.limit)
        out.correlationBars = p(r.maxCorrelation?.bars)
        out.maxDailyLoss = p(r.maxDailyLoss)
        out.drawdownWindow = p(r.drawdownWindow)
        out.maxTradeRisk = p(r.maxTradeRisk)
        out.maxOpenRisk = p(r.maxOpenRisk)
        return out
    }
}
