import StratIR
import StratSyntax

/// What one instruction does. Field reads, arithmetic, math and every indicator
/// kernel each have their own code, so the evaluator is one switch.
enum OpCode: UInt8 {
    case open, high, low, close, volume, time, hl2, hlc3, ohlc4
    case copy
    case neg, not, add, sub, mul, div, eq, ne, lt, le, gt, ge, and, or, select
    case history
    case abs, min, max, clamp, round, floor, ceil, sign, sqrt, log, exp, pow, nz, isna
    case hour, minute, dayofweek, dayofmonth, month, year
    case sma, ema, wma, dema, tema, hma, rma, kama, vwap
    case rsi, cmo, momentum, percentrank
    case stddev, variance, zscore, linreg, correl, extreme
    case atr, natr, trange, bbands
    case macd, di, adx, aroon, cci, willr, stoch
    case obv, mfi
    case bop, ad, adosc, trix, ppo, stochrsi, ultosc, sar
    case donchian, keltner, supertrend, ichimoku, pivots
    case cross, trend, barssince, valuewhen
    case rank
}

/// One step of the per-bar program. `dst` and `a`…`e` are value slots; `k`
/// indexes the kernel array for the op; `ring` is the history ring the result is
/// pushed to (−1: none); `lane` says on which clock and symbol it runs.
struct Instruction {
    var op: OpCode
    /// How many of `a`…`e` are operand slots (column mode reads only those).
    var arity: UInt8 = 0
    /// How many slots from `dst` on it writes.
    var outputs: UInt8 = 1
    var lane: Int32
    var dst: Int32
    var a: Int32 = 0, b: Int32 = 0, c: Int32 = 0, d: Int32 = 0, e: Int32 = 0
    var k: Int32 = 0
    var ring: Int32 = -1
}

/// A lane: the bars a node advances on. `symbol` nil is the instance's own
/// symbol; `clock` nil is the base timeframe.
struct Lane: Hashable {
    var symbol: String?
    var clock: Int64?
}

/// The kernel a call node needs, with its lengths resolved. (Hashable: shared
/// columns are found by it.)
enum KernelSpec: Hashable {
    case sma(Int), ema(Int), wma(Int), dema(Int), tema(Int), hma(Int), rma(Int), kama(Int), vwap(anchor: Int64)
    case rsi(Int), cmo(Int), momentum(Momentum.Kind, Int), percentrank(Int)
    case stddev(Int), variance(Int), zscore(Int), linreg(LinearRegression.Output, Int), correl(Int), extreme(Int, max: Bool)
    case atr(Int), natr(Int), trange, bbands(Int, Double)
    case macd(Int, Int, Int), di(Int, plus: Bool), adx(Int), aroon(Int), cci(Int), willr(Int), stoch(Int, Int, Int)
    case obv, mfi(Int)
    case bop, ad, adosc(Int, Int), trix(Int), ppo(Int, Int), stochrsi(Int, Int, Int), ultosc(Int, Int, Int)
    case sar(acceleration: Double, maximum: Double)
    case donchian(Int), keltner(Int, atr: Int, multiplier: Double), supertrend(Int, factor: Double)
    case ichimoku(Int, Int, Int), pivots(PivotPoints.Kind)
    case cross(above: Bool), trend(Int, rising: Bool), barssince, valuewhen(Int)
}

import StratIndicators

/// A strategy's IR turned into a flat instruction array for given input values.
/// Nodes known before the run (constants, inputs and expressions of them) are
/// computed here once and never appear as instructions.
struct Program {
    var instructions: [Instruction] = []
    var kernels: [KernelSpec] = []
    /// Initial value of every slot: static node values, NaN elsewhere.
    var initialValues: [Double] = []
    var ringCapacities: [Int] = []
    var lanes: [Lane] = []
    /// Ranges of instructions run instance by instance, split at cross-sectional ops.
    var phases: [Range<Int>] = []
    /// The slot holding each node's value (multi-output calls: their first output).
    var slotOfNode: [Int] = []
    let inputs: [Double]

    init(strategy s: IRStrategy, inputs: [Double]) throws {
        self.inputs = inputs
        let nodes = s.nodes
        var statics = [Double](repeating: .nan, count: nodes.count)
        slotOfNode = Array(nodes.indices)
        var isStatic = [Bool](repeating: false, count: nodes.count)
        var laneOfNode = [Int](repeating: 0, count: nodes.count)
        var laneIndex: [Lane: Int] = [:]
        var ringOfNode = [Int](repeating: -1, count: nodes.count)

        // Values known before the run, in one forward pass (nodes are in
        // topological order), so no lookup of one ever recurses.
        for (i, n) in nodes.enumerated() where n.type.qualifier != "series" {
            statics[i] = try staticValue(i, nodes: nodes, statics: &statics, isStatic: &isStatic)
        }
        try Self.checkLifetimes(s, inputs: inputs, statics: statics)

        // History depth each node needs.
        var depth = [Int](repeating: 0, count: nodes.count)
        for (i, n) in nodes.enumerated() where n.op == .history {
            let offset = try intParam(n.params[0], node: i, nodes: nodes, statics: &statics, isStatic: &isStatic, what: "a history offset",
                                      min: 0, max: Limits.maxOffset, strategy: s)
            depth[n.args[0]] = Swift.max(depth[n.args[0]], offset + 1)
        }

        var laneSymbol = [String?](repeating: nil, count: nodes.count)
        for (i, n) in nodes.enumerated() {
            if n.type.qualifier != "series" { continue }
            // A node runs on its symbol's bars when every series argument does.
            var sym = n.symbol
            if n.op != .field, sym == nil {
                let argSyms = n.args.filter { nodes[$0].type.qualifier == "series" }.map { laneSymbol[$0] }
                if let first = argSyms.first, let f = first, argSyms.allSatisfy({ $0 == f }) { sym = f }
            }
            laneSymbol[i] = sym
            let lane = Lane(symbol: sym, clock: n.type.clock)
            let li: Int
            if let existing = laneIndex[lane] { li = existing } else {
                li = lanes.count
                lanes.append(lane)
                laneIndex[lane] = li
            }
            laneOfNode[i] = li
            if depth[i] > 0 {
                ringOfNode[i] = ringCapacities.count
                ringCapacities.append(depth[i])
            }
            var ins = try instruction(for: i, nodes: nodes, statics: &statics, isStatic: &isStatic, strategy: s)
            ins.lane = Int32(li)
            ins.ring = Int32(ringOfNode[i])
            if n.op == .history { ins.b = Int32(ringOfNode[n.args[0]]) }
            instructions.append(ins)
        }
        initialValues = statics + [Double](repeating: .nan, count: extraCount)
        // Output nodes read the slots their multi-output call wrote.
        for (idx, ins) in instructions.enumerated() where ins.op == .copy {
            instructions[idx].a = Int32(slotOfNode[Int(ins.a)]) + ins.b
        }
        var start = 0
        for (idx, ins) in instructions.enumerated() where ins.op == .rank {
            if start < idx { phases.append(start..<idx) }
            phases.append(idx..<(idx + 1))
            start = idx + 1
        }
        if start < instructions.count { phases.append(start..<instructions.count) }
    }

    /// Allocates `count` extra slots (outputs of multi-output calls) and returns the first.
    mutating func extraSlots(_ count: Int) -> Int {
        defer { extraCount += count }
        return slotOfNode.count + extraCount
    }
    private var extraCount = 0

    mutating func instruction(for i: Int, nodes: [IRNode], statics: inout [Double], isStatic: inout [Bool], strategy: IRStrategy) throws -> Instruction {
        let n = nodes[i]
        var ins = Instruction(op: .copy, lane: 0, dst: Int32(i))
        let args = n.args.map(Int32.init)
        if args.count > 0 { ins.a = args[0] }
        if args.count > 1 { ins.b = args[1] }
        if args.count > 2 { ins.c = args[2] }
        if args.count > 3 { ins.d = args[3] }
        if args.count > 4 { ins.e = args[4] }
        ins.arity = UInt8(min(args.count, 5))
        switch n.op {
        case .field:
            guard let name = n.name, let op = Self.fieldOps[name] else { throw RuntimeError("node \(i): unknown bar field \(n.name ?? "?")") }
            ins.op = op
        case .output:
            ins.op = .copy
            ins.b = Int32(n.index ?? 0)
        case .history:
            ins.op = .history
            ins.arity = 0   // b is a ring, c an offset
            ins.c = Int32(try intParam(n.params[0], node: i, nodes: nodes, statics: &statics, isStatic: &isStatic, what: "a history offset",
                                       min: 0, max: Limits.maxOffset, strategy: strategy))
        case .call:
            let name = n.name ?? ""
            if let op = Self.mathOps[name] ?? Self.calendarOps[name] {
                ins.op = op
            } else if name == "rank" {
                ins.op = .rank
            } else {
                let lengths = try n.params.map { p -> Double in
                    try paramValue(p, node: i, nodes: nodes, statics: &statics, isStatic: &isStatic)
                }
                let (op, spec, outputs) = try kernel(name, lengths, node: i, strategy: strategy)
                ins.op = op
                ins.k = Int32(kernels.count)
                ins.outputs = UInt8(outputs)
                kernels.append(spec)
                if outputs > 1 {
                    let first = extraSlots(outputs)
                    ins.dst = Int32(first)
                    slotOfNode[i] = first
                }
            }
        case .const, .input:
            throw RuntimeError("node \(i): a \(n.op.rawValue) node typed series")
        default:
            guard let op = Self.operatorOps[n.op] else { throw RuntimeError("node \(i): unsupported op \(n.op.rawValue)") }
            ins.op = op
        }
        return ins
    }

    static let fieldOps: [String: OpCode] = [
        "open": .open, "high": .high, "low": .low, "close": .close, "volume": .volume, "time": .time,
        "hl2": .hl2, "hlc3": .hlc3, "ohlc4": .ohlc4,
    ]
    static let operatorOps: [IROp: OpCode] = [
        .neg: .neg, .not: .not, .add: .add, .sub: .sub, .mul: .mul, .div: .div, .eq: .eq, .ne: .ne,
        .lt: .lt, .le: .le, .gt: .gt, .ge: .ge, .and: .and, .or: .or, .select: .select,
    ]
    static let mathOps: [String: OpCode] = [
        "abs": .abs, "min": .min, "max": .max, "clamp": .clamp, "round": .round, "floor": .floor, "ceil": .ceil,
        "sign": .sign, "sqrt": .sqrt, "log": .log, "exp": .exp, "pow": .pow, "nz": .nz, "isna": .isna,
    ]

    static let calendarOps: [String: OpCode] = [
        "hour": .hour, "minute": .minute, "dayofweek": .dayofweek, "dayofmonth": .dayofmonth, "month": .month, "year": .year,
    ]

    /// The kernel for builtin `name` with its numeric parameters, and how many outputs it writes.
    func kernel(_ name: String, _ p: [Double], node: Int, strategy: IRStrategy) throws -> (OpCode, KernelSpec, Int) {
        func len(_ k: Int, min: Int = 1) throws -> Int {
            let v = p[k]
            guard v == v.rounded(), v >= Double(min), v <= Double(Limits.maxWindow) else {
                let what = "the length of `\(name)`"
                throw RuntimeError(Self.describe(strategy.nodes[node].params[k], value: v, what: what, strategy: strategy)
                                   + "; \(what) must be a whole number of bars from \(min) to \(Limits.maxWindow)")
            }
            return Int(v)
        }
        func factor(_ k: Int, _ param: String) throws -> Double {
            let v = p[k]
            guard v.isFinite, v >= 0 else {
                let what = "the `\(param)` of `\(name)`"
                throw RuntimeError(Self.describe(strategy.nodes[node].params[k], value: v, what: what, strategy: strategy)
                                   + "; \(what) must be a number of at least 0")
            }
            return v
        }
        /// A duration parameter in seconds (vwap's anchor), as milliseconds.
        func anchor(_ k: Int) throws -> Int64 {
            let v = p[k]
            guard v == v.rounded(), v >= 1, v <= Double(Limits.maxTimeframeSeconds) else {
                let what = "the `anchor` of `\(name)`"
                throw RuntimeError(Self.describe(strategy.nodes[node].params[k], value: v, what: what, strategy: strategy)
                                   + "; \(what) must be a whole number of seconds from 1 to \(Limits.maxTimeframeSeconds)")
            }
            return Int64(v) * 1000
        }
        switch name {
        case "sma": return (.sma, .sma(try len(0)), 1)
        case "ema": return (.ema, .ema(try len(0)), 1)
        case "wma": return (.wma, .wma(try len(0)), 1)
        case "dema": return (.dema, .dema(try len(0)), 1)
        case "tema": return (.tema, .tema(try len(0)), 1)
        case "hma": return (.hma, .hma(try len(0)), 1)
        case "rma": return (.rma, .rma(try len(0)), 1)
        case "kama": return (.kama, .kama(try len(0)), 1)
        case "vwap": return (.vwap, .vwap(anchor: try anchor(0)), 1)
        case "rsi": return (.rsi, .rsi(try len(0)), 1)
        case "cmo": return (.cmo, .cmo(try len(0)), 1)
        case "roc": return (.momentum, .momentum(.rocPercent, try len(0)), 1)
        case "mom", "change": return (.momentum, .momentum(.difference, try len(0)), 1)
        case "pct_change": return (.momentum, .momentum(.ratioChange, try len(0)), 1)
        case "percentrank": return (.percentrank, .percentrank(try len(0)), 1)
        case "stddev": return (.stddev, .stddev(try len(0)), 1)
        case "variance": return (.variance, .variance(try len(0)), 1)
        case "zscore": return (.zscore, .zscore(try len(0)), 1)
        case "linreg_slope": return (.linreg, .linreg(.slope, try len(0)), 1)
        case "linreg": return (.linreg, .linreg(.value, try len(0)), 1)
        case "linreg_intercept": return (.linreg, .linreg(.intercept, try len(0)), 1)
        case "linreg_angle": return (.linreg, .linreg(.angle, try len(0)), 1)
        case "tsf": return (.linreg, .linreg(.forecast, try len(0)), 1)
        case "correl": return (.correl, .correl(try len(0)), 1)
        case "highest": return (.extreme, .extreme(try len(0), max: true), 1)
        case "lowest": return (.extreme, .extreme(try len(0), max: false), 1)
        case "atr": return (.atr, .atr(try len(0)), 1)
        case "natr": return (.natr, .natr(try len(0)), 1)
        case "trange": return (.trange, .trange, 1)
        case "bbands": return (.bbands, .bbands(try len(0), p[1]), 3)
        case "macd": return (.macd, .macd(try len(0), try len(1), try len(2)), 3)
        case "plus_di": return (.di, .di(try len(0), plus: true), 1)
        case "minus_di": return (.di, .di(try len(0), plus: false), 1)
        case "adx": return (.adx, .adx(try len(0)), 1)
        case "aroon": return (.aroon, .aroon(try len(0)), 2)
        case "cci": return (.cci, .cci(try len(0)), 1)
        case "willr": return (.willr, .willr(try len(0)), 1)
        case "stoch": return (.stoch, .stoch(try len(0), try len(1), try len(2)), 2)
        case "obv": return (.obv, .obv, 1)
        case "mfi": return (.mfi, .mfi(try len(0)), 1)
        case "bop": return (.bop, .bop, 1)
        case "ad": return (.ad, .ad, 1)
        case "adosc": return (.adosc, .adosc(try len(0), try len(1)), 1)
        case "trix": return (.trix, .trix(try len(0)), 1)
        case "ppo": return (.ppo, .ppo(try len(0), try len(1)), 1)
        case "stochrsi": return (.stochrsi, .stochrsi(try len(0), try len(1), try len(2)), 2)
        case "ultosc": return (.ultosc, .ultosc(try len(0), try len(1), try len(2)), 1)
        case "sar": return (.sar, .sar(acceleration: try factor(0, "acceleration"), maximum: try factor(1, "maximum")), 1)
        case "donchian": return (.donchian, .donchian(try len(0)), 3)
        case "keltner": return (.keltner, .keltner(try len(0, min: 2), atr: try len(1), multiplier: p[2]), 3)
        case "supertrend": return (.supertrend, .supertrend(try len(0, min: 2), factor: try factor(1, "factor")), 2)
        case "ichimoku": return (.ichimoku, .ichimoku(try len(0), try len(1), try len(2)), 4)
        case "pivots": return (.pivots, .pivots(.classic), 7)
        case "pivots_fib": return (.pivots, .pivots(.fibonacci), 7)
        case "pivots_camarilla": return (.pivots, .pivots(.camarilla), 9)
        case "crossover": return (.cross, .cross(above: true), 1)
        case "crossunder": return (.cross, .cross(above: false), 1)
        case "rising": return (.trend, .trend(try len(0), rising: true), 1)
        case "falling": return (.trend, .trend(try len(0), rising: false), 1)
        case "barssince": return (.barssince, .barssince, 1)
        case "valuewhen": return (.valuewhen, .valuewhen(try len(0, min: 0)), 1)
        default: throw RuntimeError("node \(node): the runtime has no built-in `\(name)`")
        }
    }

    func paramValue(_ p: IRParam, node: Int, nodes: [IRNode], statics: inout [Double], isStatic: inout [Bool]) throws -> Double {
        switch p {
        case .const(let v): return v
        case .input(let k): return inputs[k]
        case .node(let j): return try staticValue(j, nodes: nodes, statics: &statics, isStatic: &isStatic)
        }
    }

    func intParam(_ p: IRParam, node: Int, nodes: [IRNode], statics: inout [Double], isStatic: inout [Bool], what: String,
                  min: Int, max: Int, strategy: IRStrategy) throws -> Int {
        let v = try paramValue(p, node: node, nodes: nodes, statics: &statics, isStatic: &isStatic)
        guard v == v.rounded(), v >= Double(min), v <= Double(max) else {
            throw RuntimeError(Self.describe(p, value: v, what: what, strategy: strategy)
                               + "; \(what) must be a whole number of bars from \(min) to \(max)")
        }
        return Int(v)
    }

    /// Where a value out of range comes from, naming the inputs that set it:
    /// "input `n` = 2000000 makes the length of `sma` 2000000".
    static func describe(_ p: IRParam, value v: Double, what: String, strategy s: IRStrategy) -> String {
        let shown = IRPrinter.num(v)
        switch p {
        case .const: return "\(what) is \(shown)"
        case .input(let k): return "input `\(s.inputs[k].name)` = \(shown) makes \(what) \(shown)"
        case .node(let n):
            let named = inputs(of: n, in: s).map { "`\($0)`" }
            return named.isEmpty ? "\(what) is \(shown)"
                : "\(what) is \(shown), computed from input\(named.count == 1 ? "" : "s") \(named.joined(separator: ", "))"
        }
    }

    /// The names of the inputs node `n` is computed from (a walk with a work list).
    static func inputs(of n: Int, in s: IRStrategy) -> [String] {
        var seen = Set<Int>(), todo = [n], found = Set<Int>()
        while let i = todo.popLast() {
            guard seen.insert(i).inserted else { continue }
            let node = s.nodes[i]
            if node.op == .input, let k = node.index { found.insert(k) }
            todo += node.args
            for case .node(let j) in node.params { todo.append(j) }
        }
        return found.sorted().map { s.inputs[$0].name }
    }

    /// Order lifetimes (`expire after n bars`, `expire after 12h`) known before
    /// the run, checked against `Limits`: the engine multiplies them into times.
    static func checkLifetimes(_ s: IRStrategy, inputs: [Double], statics: [Double]) throws {
        func value(_ p: IRParam) -> Double {
            switch p {
            case .const(let v): v
            case .input(let k): inputs[k]
            case .node(let n): statics[n]
            }
        }
        for rule in s.rules {
            let line = rule.source.map { " (the rule at line \($0.line))" } ?? ""
            for action in rule.actions {
                guard let o = action.order else { continue }
                if let p = o.expireBars {
                    let v = value(p)
                    guard v == v.rounded(), v >= 1, v <= Double(Limits.maxLifetimeBars) else {
                        let what = "an order's lifetime"
                        throw RuntimeError(describe(p, value: v, what: what, strategy: s)
                                           + "; \(what) must be a whole number of bars from 1 to \(Limits.maxLifetimeBars)\(line)")
                    }
                }
                if let p = o.expireSeconds {
                    let v = value(p)
                    guard v > 0, v <= Double(Limits.maxLifetimeSeconds) else {
                        let what = "an order's lifetime"
                        throw RuntimeError(describe(p, value: v, what: what + " in seconds", strategy: s)
                                           + "; \(what) must be longer than 0s and at most \(Limits.maxLifetimeSeconds)s (100 years)\(line)")
                    }
                }
            }
        }
    }

    /// The value of a node known before the run (const or input qualifier). Its
    /// arguments come before it and are known by then (`init` computes the
    /// values in node order); IR read from JSON that breaks the order is refused.
    func staticValue(_ i: Int, nodes: [IRNode], statics: inout [Double], isStatic: inout [Bool]) throws -> Double {
        if isStatic[i] { return statics[i] }
        let n = nodes[i]
        guard n.type.qualifier != "series" else { throw RuntimeError("node \(i) changes per bar; a value known before the run was expected") }
        var x: [Double] = []
        for a in n.args {
            guard a < i, isStatic[a] else { throw RuntimeError("node \(i) uses node \(a), which is not known before it") }
            x.append(statics[a])
        }
        let v: Double
        switch n.op {
        case .const: v = n.value ?? .nan
        case .input: v = inputs[n.index ?? 0]
        case .call:
            guard let op = Self.mathOps[n.name ?? ""] else { throw RuntimeError("node \(i): `\(n.name ?? "?")` needs bars") }
            v = Evaluate.math(op, x[0], x.count > 1 ? x[1] : .nan, x.count > 2 ? x[2] : .nan)
        default:
            guard let op = Self.operatorOps[n.op] else { throw RuntimeError("node \(i): \(n.op.rawValue) needs bars") }
            v = Evaluate.scalar(op, x[0], x.count > 1 ? x[1] : .nan, x.count > 2 ? x[2] : .nan)
        }
        statics[i] = v
        isStatic[i] = true
        return v
    }
}
