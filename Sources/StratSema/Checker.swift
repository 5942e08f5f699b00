import StratSyntax

/// Resolves names and checks types, qualifiers, look-ahead and orders, strategy by
/// strategy, producing the typed tree. Declarations are visited in source order and
/// a name must be declared before it is used, which also rules out recursion.
/// A mistake yields an error-typed node that never reports again, so one mistake
/// gives one diagnostic.
///
///     let (program, parseDiags) = Parser.parse(file)
///     var diags = parseDiags
///     let strategies = Checker.check(program, diagnostics: &diags)
public struct Checker {
    enum Entity {
        case input(Int)
        case binding(Int)        // index into lets
        case function(Int)
    }

    struct Function {
        var decl: FnDecl
        var used = false
    }

    struct Env {
        var params: [String: TExpr] = [:]
        /// The function whose body is checked on its own (`checkFunction`).
        var calling: [String] = []
        var clock: Int64?
        /// True while checking a function body before any call: parameters are unknown.
        var generic = false
    }

    var diags: DiagnosticBag
    var strategy: CheckedStrategy
    var scope: [String: Entity] = [:]
    /// Every name declared anywhere in the strategy, to tell "used before defined" from "undefined".
    var declaredLater: [String: SourceRange] = [:]
    var functions: [Function] = []
    var used: Set<String> = []
    var sawShortEntry = false
    var sawLongEntry = false

    /// Levels of the expression being checked, through calls (`Limits.maxExpandedDepth`).
    var depth = 0
    /// Calls of user functions being expanded, and the functions they call.
    var callDepth = 0
    var expanding: Set<String> = []
    /// Expressions checked inside calls of user functions (`Limits.maxInlinedNodes`).
    var expandedNodes = 0
    /// Where a limit on expansion was passed, until the outermost call reports it.
    var expansionStop: (code: DiagnosticCode, at: SourceRange)?
    /// The result of each distinct call: a function, the clock it is checked
    /// on, and its arguments (leaves, so the key is small).
    var calls: [CallKey: TExpr] = [:]

    struct CallKey: Hashable {
        var function: Int
        var clock: Int64?
        var arguments: [ArgumentKey]
    }

    struct ArgumentKey: Hashable {
        enum Leaf: Hashable { case constant(ConstValue), input(Int), field(BarField), binding(Int), shared(Int), error }
        var leaf: Leaf
        var type: SType

        init(_ t: TExpr) {
            type = t.type
            switch t.kind {
            case .constant(let c): leaf = .constant(c)
            case .input(let i): leaf = .input(i)
            case .field(let f): leaf = .field(f)
            case .binding(let i): leaf = .binding(i)
            case .shared(let i): leaf = .shared(i)
            default: leaf = t.constantNumber.map { .constant(.number($0)) } ?? .error
            }
        }
    }

    public static func check(_ program: Program, diagnostics: inout DiagnosticBag) -> [CheckedStrategy] {
        var bag = diagnostics
        let result = DeepStack.run { checkInPlace(program, diagnostics: &bag) }
        diagnostics = bag
        return result
    }

    static func checkInPlace(_ program: Program, diagnostics: inout DiagnosticBag) -> [CheckedStrategy] {
        var result: [CheckedStrategy] = []
        var names: [String: SourceRange] = [:]
        for s in program.strategies {
            if let first = names[s.name.name] {
                diagnostics.error(.duplicateStrategy, "strategy `\(s.name.name)` is declared twice in this file",
                                  at: s.name.range, notes: [Note("first declared here", at: first)])
            }
            names[s.name.name] = s.name.range
            // The bag moves into the checker and back, never shared while it is
            // written to: a copy per strategy made 50,000 strategies quadratic.
            var c = Checker(diags: DiagnosticBag(file: diagnostics.file), strategy: CheckedStrategy(name: s.name.name, range: s.range))
            swap(&c.diags, &diagnostics)
            c.checkStrategy(s)
            swap(&c.diags, &diagnostics)
            result.append(c.strategy)
        }
        return result
    }

    // MARK: Strategy

    mutating func checkStrategy(_ s: StrategyDecl) {
        for m in s.members {
            switch m {
            case .input(let d): declaredLater[d.name.name] = declaredLater[d.name.name] ?? d.name.range
            case .binding(let d): for n in d.names { declaredLater[n.name] = declaredLater[n.name] ?? n.range }
            case .function(let d): declaredLater[d.name.name] = declaredLater[d.name.name] ?? d.name.range
            default: break
            }
        }
        // Header declarations first: the timeframe matters to every `@` check.
        var seen: [String: SourceRange] = [:]
        func once(_ what: String, _ range: SourceRange, _ diags: inout DiagnosticBag) -> Bool {
            if let first = seen[what] {
                diags.error(.duplicateDeclaration, "a strategy has one `\(what)` declaration", at: range,
                            notes: [Note("first declared here", at: first)])
                return false
            }
            seen[what] = range
            return true
        }
        var dynamicUniverse: UniverseDecl?
        for m in s.members {
            switch m {
            case .market(let d): if once("market", d.range, &diags) { checkMarket(d) }
            case .universe(let d) where d.top != nil:
                if once("universe", d.range, &diags) { dynamicUniverse = d }
            case .universe(let d):
                if once("universe", d.range, &diags) {
                    var syms: Set<String> = []
                    for sym in d.symbols where !syms.insert(sym.name).inserted {
                        diags.error(.duplicateDefinition, "`\(sym.name)` is listed twice in the universe", at: sym.range)
                    }
                    strategy.universe = d.symbols.map(\.name)
                }
            case .timeframe(let d): if once("timeframe", d.range, &diags) { checkTimeframe(d) }
            case .pyramiding(let d): if once("pyramiding", d.range, &diags) { checkPyramiding(d) }
            default: break
            }
        }
        if let d = dynamicUniverse { checkDynamicUniverse(d) }
        var riskSeen = false
        var sawRule = false
        for m in s.members {
            switch m {
            case .input(let d): checkInput(d)
            case .binding(let d): checkLet(d)
            case .function(let d): checkFunction(d)
            case .rule(let r): sawRule = true; checkRule(r)
            case .risk(let b):
                if riskSeen {
                    diags.error(.duplicateDeclaration, "a strategy has one `risk` block; put every limit in it", at: b.range)
                } else { riskSeen = true; checkRisk(b) }
            default: break
            }
        }
        checkExits(s)
        checkTests(s, file: diags.file)
        if !sawRule {
            diags.error(.noRules, "strategy `\(s.name.name)` has no `when` rules, so it never trades", at: s.name.range)
        }
        reportUnused(s)
    }

    /// `universe top N by EXPR`, checked once the timeframe is known (EXPR may use
    /// `@`). EXPR is written with bar fields and indicators: lets come later.
    mutating func checkDynamicUniverse(_ d: UniverseDecl) {
        guard let topExpr = d.top, let byExpr = d.by else { return }
        let count = checkExpr(topExpr, Env())
        let metric = checkExpr(byExpr, Env())
        var ok = true
        if let every = d.every {
            if case .literal(.duration(let secs), _) = every.kind, secs > 0 {
                if checkTimeframeLimit(secs, at: every.range) { strategy.rebalance = secs } else { ok = false }
            } else if case .literal(.months(let n), _) = every.kind {
                strategy.rebalanceMonths = n
            } else if case .name(let n) = every.kind, let months = ["month": 1, "quarter": 3, "year": 12][n] {
                strategy.rebalanceMonths = months
            } else if case .error = every.kind {} else {
                diags.error(.invalidTimeframe, "expected a period after `every`: a duration such as `1w` or `1d`, or `month`, `quarter` or `year`",
                            at: every.range)
            }
        }
        if !count.type.isError {
            if let n = count.constantNumber, n >= 1, n == n.rounded(), n <= 10_000 {} else {
                diags.error(.parameterOutOfRange, "`universe top N`: N must be a whole number from 1, written as a number", at: topExpr.range)
                ok = false
            }
        }
        if !metric.type.isError, !metric.type.dim.isNumeric {
            diags.error(.notNumeric, "the universe is ranked by a number; this is a \(metric.type.dim.name)", at: byExpr.range)
            ok = false
        }
        guard ok, !count.type.isError, !metric.type.isError else { return }
        let rank = TExpr(.builtin("rank", [metric]), SType(.series, .int), byExpr.range)
        let limit = TExpr(.constant(.number(count.constantNumber!)), SType(.const, .int), topExpr.range)
        let member = SType(.series, .bool)
        strategy.membership = TExpr(.binary(rank, [TBinaryStep(op: .le, rhs: limit, type: member)]), member, d.range)
    }

    mutating func checkTimeframe(_ d: TimeframeDecl) {
        if case .literal(.months(let n), _) = d.value.kind {
            strategy.timeframeMonths = n
            return
        }
        guard case .literal(.duration(let secs), _) = d.value.kind else {
            if case .error = d.value.kind { return }
            diags.error(.invalidTimeframe, "expected a timeframe such as `1h`, `15m` or `1M` (a calendar month) after `timeframe`", at: d.value.range)
            return
        }
        guard secs > 0 else {
            diags.error(.invalidTimeframe, "a timeframe must be longer than zero", at: d.value.range)
            return
        }
        guard checkTimeframeLimit(secs, at: d.value.range) else { return }
        strategy.timeframe = secs
    }

    /// `pyramiding N`: a constant whole number of added entries.
    mutating func checkPyramiding(_ d: PyramidingDecl) {
        let t = checkExpr(d.value, Env())
        guard !t.type.isError else { return }
        guard t.type.qualifier == .const, t.type.dim == .int || t.type.untyped, let n = t.constantNumber,
              n == n.rounded(), n >= 0, n <= 1_000 else {
            diags.error(.pyramidingValue, "`pyramiding` takes a constant whole number of added entries from 0 to 1000, such as `pyramiding 3`",
                        at: d.value.range)
            return
        }
        strategy.pyramiding = Int(n)
    }

    mutating func checkMarket(_ d: MarketDecl) {
        strategy.market.kind = d.kind
        if d.kind == .perp { strategy.market.margin = .isolated }
        for a in d.arguments {
            let label = a.label?.name ?? ""
            switch (d.kind, label) {
            case (.perp, "leverage"):
                let t = checkExpr(a.value, Env())
                guard !t.type.isError else { continue }
                if t.type.qualifier != .const || !(t.type.dim == .float || t.type.untyped) {
                    diags.error(.invalidMarketArgument, "leverage is a constant multiplier such as `3x`", at: a.value.range)
                } else if let v = t.constantNumber, v < 1 || v > 125 {
                    diags.error(.invalidMarketArgument, "leverage must be between 1x and 125x", at: a.value.range)
                } else if let v = t.constantNumber {
                    strategy.market.leverage = v
                }
            case (.perp, "margin"):
                if case .name(let n) = a.value.kind, let m = MarginMode(rawValue: n), m != .none {
                    strategy.market.margin = m
                } else {
                    diags.error(.invalidMarketArgument, "margin is `isolated` or `cross`", at: a.value.range)
                }
            case (.perp, "mode"):
                if case .name(let n) = a.value.kind, n == "oneway" || n == "hedge" {
                    strategy.market.mode = n == "hedge" ? .hedge : .oneWay
                } else {
                    diags.error(.invalidMarketArgument, "mode is `oneway` (one net position per symbol) or `hedge` (a long and a short position apart)",
                                at: a.value.range)
                }
            case (.spot, "mode"):
                diags.error(.unknownArgumentLabel, "`mode` is not an argument of `market spot`: only a perpetual holds a long and a short position apart (hedge mode)",
                            at: a.label!.range, notes: [Note("declare `market perp(mode: hedge)` to hold both sides at once")])
            case (.spot, "margin"):
                if case .literal(.bool(let b), _) = a.value.kind {
                    strategy.market.margin = b ? .cross : .none
                } else {
                    diags.error(.invalidMarketArgument, "on a spot market, margin is `true` (short sales allowed) or `false`", at: a.value.range)
                }
            default:
                let allowed = d.kind == .perp ? "`leverage:`, `margin:` and `mode:`" : "`margin:`"
                diags.error(.unknownArgumentLabel,
                            a.label == nil ? "market arguments are labelled; \(d.kind.rawValue) takes \(allowed)"
                                : "`\(label)` is not an argument of `market \(d.kind.rawValue)`; it takes \(allowed)",
                            at: a.label?.range ?? a.value.range)
            }
        }
    }

    // MARK: Declarations

    mutating func declare(_ name: Identifier, _ entity: Entity) -> Bool {
        if BarField(rawValue: name.name) != nil || Builtin.all[name.name] != nil {
            diags.error(.redefinedBuiltin, "`\(name.name)` is a built-in \(BarField(rawValue: name.name) != nil ? "bar field" : "function") and can't be redefined",
                        at: name.range, notes: [Note("choose another name, such as `my\(name.name.prefix(1).uppercased())\(name.name.dropFirst())`")])
            return false
        }
        if scope[name.name] != nil {
            diags.error(.duplicateDefinition, "`\(name.name)` is already defined", at: name.range,
                        notes: [Note("first defined here", at: declaredLater[name.name])])
            return false
        }
        scope[name.name] = entity
        return true
    }

    mutating func checkInput(_ d: InputDecl) {
        let v = checkExpr(d.defaultValue, Env())
        var dim = v.type.dim
        if let t = d.type {
            guard let declared = Dimension.named(t.name.name) else {
                diags.error(.unknownType, "unknown type `\(t.name.name)`; expected Price, Qty, Money, Volume, Ratio, Int, Float, Bool or Duration",
                            at: t.name.range)
                return
            }
            if !v.type.isError, declared != dim, !(v.type.untyped && declared.isNumeric) {
                diags.error(.annotationMismatch, "the default is a \(dim.name), not a \(declared.name)", at: d.defaultValue.range)
            }
            dim = declared
        }
        var value = 0.0
        if !v.type.isError {
            if v.type.qualifier != .const {
                diags.error(.nonConstantInput, "an input's default must be a constant such as `10` or `2%`", at: d.defaultValue.range)
            } else if let n = v.constantNumber {
                value = n
            } else if case .constant(.bool(let b)) = v.kind {
                value = b ? 1 : 0
            }
        }
        var input = CheckedInput(name: d.name.name, dim: dim, defaultValue: value, range: d.range)
        func bound(_ e: Expr?) -> Double? {
            guard let e else { return nil }
            let t = checkExpr(e, Env())
            if t.type.isError { return nil }
            guard t.type.qualifier == .const, let n = t.constantNumber else {
                diags.error(.nonConstantInput, "the bounds of an input's range must be constants", at: e.range)
                return nil
            }
            if !v.type.isError, t.type.dim != dim, !(t.type.untyped && dim.isNumeric), !(v.type.untyped && t.type.untyped) {
                diags.error(.inputOutOfRange, "this bound is a \(t.type.dim.name) but the input is a \(dim.name)", at: e.range)
                return nil
            }
            return n
        }
        input.lower = bound(d.lower)
        input.upper = bound(d.upper)
        input.step = bound(d.step)
        if let lo = input.lower, let hi = input.upper {
            if lo > hi {
                diags.error(.inputOutOfRange, "the range of `\(d.name.name)` is empty: \(fmt(lo)) is above \(fmt(hi))",
                            at: d.lower!.range.union(d.upper!.range))
            } else if !v.type.isError, v.type.qualifier == .const, value < lo || value > hi {
                diags.error(.inputOutOfRange, "the default \(fmt(value)) lies outside the range \(fmt(lo))...\(fmt(hi))",
                            at: d.defaultValue.range)
            }
        }
        if let st = input.step, st <= 0 {
            diags.error(.inputOutOfRange, "the step must be greater than zero", at: d.step!.range)
        }
        if dim == .int || (v.type.untyped && dim == .int), value != value.rounded() {
            diags.error(.annotationMismatch, "an Int input needs a whole number", at: d.defaultValue.range)
        }
        if declare(d.name, .input(strategy.inputs.count)) {
            strategy.inputs.append(input)
        }
    }

    mutating func checkLet(_ d: LetDecl) {
        var value = checkExpr(d.value, Env())
        if let t = d.type {
            if let declared = Dimension.named(t.name.name) {
                if !value.type.isError, value.type.dim != declared {
                    if value.type.untyped, declared.isNumeric {
                        value.type.dim = declared
                        value.type.untyped = false
                    } else {
                        diags.error(.annotationMismatch, "`\(d.names[0].name)` is declared \(declared.name) but its value is a \(value.type.dim.name)",
                                    at: d.value.range, notes: [Note("the type is declared here", at: t.name.range)])
                    }
                }
            } else {
                diags.error(.unknownType, "unknown type `\(t.name.name)`; expected Price, Qty, Money, Volume, Ratio, Int, Float, Bool or Duration",
                            at: t.name.range)
            }
        }
        // A constant `let` stays untyped, like a literal: `let k = 18` then `close > k` is fine.
        if d.isTuple {
            guard case .tuple(let names, let dims) = value.type.dim else {
                if !value.type.isError {
                    diags.error(.destructuringMismatch, "only a function with several outputs (such as `macd` or `bbands`) can be destructured; this is a \(value.type.dim.name)",
                                at: d.value.range)
                }
                for n in d.names where declare(n, .binding(strategy.lets.count)) {
                    strategy.lets.append(CheckedLet(name: n.name, value: TExpr(.error, .error, n.range), range: d.range))
                }
                return
            }
            if names.count != d.names.count {
                diags.error(.destructuringMismatch, "this gives \(names.count) values (\(names.joined(separator: ", "))) but \(d.names.count) names are bound",
                            at: d.names.first!.range.union(d.names.last!.range))
            }
            for (i, n) in d.names.enumerated() where declare(n, .binding(strategy.lets.count)) {
                let v = i < dims.count
                    ? TExpr(.member(value, i), SType(value.type.qualifier, dims[i], clock: value.type.clock), value.range)
                    : TExpr(.error, .error, n.range)
                strategy.lets.append(CheckedLet(name: n.name, value: v, range: d.range))
            }
        } else if declare(d.names[0], .binding(strategy.lets.count)) {
            strategy.lets.append(CheckedLet(name: d.names[0].name, value: value, range: d.range))
        }
    }

    mutating func checkFunction(_ d: FnDecl) {
        var seenParams: Set<String> = []
        for p in d.parameters where !seenParams.insert(p.name).inserted {
            diags.error(.duplicateDefinition, "parameter `\(p.name)` is listed twice", at: p.range)
        }
        guard declare(d.name, .function(functions.count)) else { return }
        functions.append(Function(decl: d))
        // Check the body once on its own so mistakes that don't depend on the
        // arguments are reported even if the function is never called.
        var env = Env()
        env.generic = true
        env.calling = [d.name.name]
        for p in d.parameters { env.params[p.name] = TExpr(.error, .error, p.range) }
        _ = checkExpr(d.body, env)
    }

    mutating func reportUnused(_ s: StrategyDecl) {
        for m in s.members {
            switch m {
            case .input(let d) where !used.contains(d.name.name) && scope[d.name.name] != nil:
                diags.error(.unusedInput, "input `\(d.name.name)` is never used", at: d.name.range)
            case .binding(let d):
                for n in d.names where !used.contains(n.name) && scope[n.name] != nil && !n.name.hasPrefix("_") {
                    diags.error(.unusedLet, "`\(n.name)` is never used", at: n.range,
                                fixIts: d.names.count == 1 ? [FixIt(range: n.range, replacement: "_\(n.name)")] : [])
                }
            case .function(let d) where !used.contains(d.name.name) && scope[d.name.name] != nil:
                diags.error(.unusedFunction, "function `\(d.name.name)` is never called", at: d.name.range)
            default: break
            }
        }
    }
}

func fmt(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
}

/// Edit distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}
