import StratSyntax

extension Checker {
    // MARK: Expressions

    /// Checks one expression. Counts its level (a run of binary operators is
    /// one level, as in the parser) and, inside calls, its size, and gives an
    /// error node past `Limits.maxExpandedDepth` or `Limits.maxInlinedNodes`;
    /// the outermost call reports it (`callUserFunction`).
    mutating func checkExpr(_ e: Expr, _ env: Env) -> TExpr {
        if case .binary(let first, let rest) = e.kind { return checkBinaryRun(first, rest, e.range, env) }
        if callDepth > 0 {
            expandedNodes += 1
            if expandedNodes > Limits.maxInlinedNodes {
                if expansionStop == nil { expansionStop = (.expansionTooLarge, e.range) }
                return TExpr(.error, .error, e.range)
            }
        }
        depth += 1
        defer { depth -= 1 }
        if depth > Limits.maxExpandedDepth {
            if callDepth == 0 {
                // Not reached from source the parser accepts (it nests 256 levels
                // at most); reported here so an error node never goes unexplained.
                diags.error(.expansionTooDeep, "expressions nest more than \(Limits.maxExpandedDepth) levels deep here", at: e.range)
            } else if expansionStop == nil {
                expansionStop = (.expansionTooDeep, e.range)
            }
            return TExpr(.error, .error, e.range)
        }
        return checkNode(e, env)
    }

    /// One case per construct, each in its own method: a debug build gives a
    /// function one stack frame for all its cases, and this recursion runs once
    /// per level of nesting (see `DeepStack`).
    mutating func checkNode(_ e: Expr, _ env: Env) -> TExpr {
        switch e.kind {
        case .literal(.months, _):
            diags.error(.invalidTimeframe, "calendar months are a timeframe (`timeframe 1M`, `every 3M`), not a fixed duration to compute with",
                        at: e.range)
            return TExpr(.error, .error, e.range)
        case .literal(let lit, _): return checkLiteral(lit, e.range)
        case .name(let n): return checkName(n, e.range, env)
        case .paren(let x):
            var t = checkExpr(x, env)
            t.range = e.range
            return t
        case .unary(let op, let x): return checkUnary(op, x, e, env)
        case .binary(let first, let rest): return checkBinaryRun(first, rest, e.range, env)
        case .conditional(let c, let a, let b): return checkConditional(c, a, b, e, env)
        case .call(let f, let args): return checkCall(f, args, e.range, env)
        case .history(let x, let offset): return checkHistory(x, offset, e, env)
        case .member(let x, let name): return checkMember(x, name, e, env)
        case .context(let x, let ctx): return checkContext(x, ctx, e.range, env)
        case .error: return TExpr(.error, .error, e.range)
        }
    }

    mutating func checkUnary(_ op: UnaryOp, _ x: Expr, _ e: Expr, _ env: Env) -> TExpr {
        let t = scalarValue(checkExpr(x, env))
        if t.type.isError { return t }
        switch op {
        case .not:
            guard t.type.dim == .bool else {
                diags.error(.expectedBool, "`not` needs a Bool, but this is a \(t.type.dim.name)", at: x.range)
                return TExpr(.error, .error, e.range)
            }
        case .negate:
            guard t.type.dim.isNumeric else {
                diags.error(.notNumeric, "can't negate a \(t.type.dim.name)", at: x.range)
                return TExpr(.error, .error, e.range)
            }
        }
        return TExpr(.unary(op, t), t.type, e.range)
    }

    mutating func checkConditional(_ c: Expr, _ a: Expr, _ b: Expr, _ e: Expr, _ env: Env) -> TExpr {
        let ct = scalarValue(checkExpr(c, env))
        if !ct.type.isError, ct.type.dim != .bool {
            diags.error(.expectedBool, "the condition of `if` must be a Bool, but this is a \(ct.type.dim.name)", at: c.range)
        }
        var l = scalarValue(checkExpr(a, env)), r = scalarValue(checkExpr(b, env))
        if l.type.isError || r.type.isError { return TExpr(.error, .error, e.range) }
        guard let dim = unify(&l.type, &r.type) else {
            diags.error(.branchMismatch, "the branches of `if` differ: \(l.type.dim.name) and \(r.type.dim.name)",
                        at: a.range.union(b.range), highlights: [a.range, b.range])
            return TExpr(.error, .error, e.range)
        }
        var type = SType(max(ct.type.qualifier, l.type.qualifier, r.type.qualifier), dim,
                         untyped: l.type.untyped && r.type.untyped)
        type.clock = finest(ct.type, l.type, r.type)
        return TExpr(.conditional(ct, l, r), type, e.range)
    }

    mutating func checkHistory(_ x: Expr, _ offset: Expr, _ e: Expr, _ env: Env) -> TExpr {
        let t = checkExpr(x, env)
        let o = checkExpr(offset, env)
        if t.type.isError || o.type.isError { return TExpr(.error, .error, e.range) }
        if o.type.qualifier == .series {
            diags.error(.seriesOffset, "a history offset must be known before the run (a constant or an input); a value that changes bar by bar could look into the future",
                        at: offset.range)
            return TExpr(.error, .error, e.range)
        }
        if !(o.type.dim == .int) {
            diags.error(.fractionalOffset, "a history offset counts bars, so it must be a whole number (Int), not a \(o.type.dim.name)",
                        at: offset.range)
            return TExpr(.error, .error, e.range)
        }
        if let v = o.constantNumber, v < 0 {
            diags.error(.negativeOffset, "`[\(fmt(v))]` would read a future bar; offsets count back from the current bar and start at 0",
                        at: offset.range, fixIts: [FixIt(range: offset.range, replacement: fmt(-v))])
            return TExpr(.error, .error, e.range)
        }
        if case .input(let i) = o.kind, let lo = strategy.inputs[i].lower, lo < 0 {
            diags.error(.negativeOffset, "input `\(strategy.inputs[i].name)` may be negative (its range starts at \(fmt(lo))), which would read a future bar",
                        at: offset.range)
            return TExpr(.error, .error, e.range)
        }
        guard checkLimit(o, Double(Limits.maxOffset), "a history offset", unit: "bars", at: offset.range) else {
            return TExpr(.error, .error, e.range)
        }
        if case .tuple = t.type.dim { return tupleMisuse(t, x.range) }
        return TExpr(.history(t, offset: o), t.type, e.range)
    }

    mutating func checkMember(_ x: Expr, _ name: Identifier, _ e: Expr, _ env: Env) -> TExpr {
        let t = checkExpr(x, env)
        if t.type.isError { return t }
        guard case .tuple(let names, let dims) = t.type.dim else {
            diags.error(.unknownMember, "a \(t.type.dim.name) has no member `.\(name.name)`; only values with several outputs (such as `macd(…)`) do",
                        at: name.range)
            return TExpr(.error, .error, e.range)
        }
        guard let i = names.firstIndex(of: name.name) else {
            let best = names.min { editDistance($0, name.name) < editDistance($1, name.name) }
            diags.error(.unknownMember, "no output named `\(name.name)`; the outputs are \(names.map { "`\($0)`" }.joined(separator: ", "))",
                        at: name.range, fixIts: best.map { [FixIt(range: name.range, replacement: $0)] } ?? [])
            return TExpr(.error, .error, e.range)
        }
        return TExpr(.member(t, i), SType(t.type.qualifier, dims[i], clock: t.type.clock), e.range)
    }

    func checkLiteral(_ lit: Literal, _ range: SourceRange) -> TExpr {
        switch lit {
        case .integer(let v): TExpr(.constant(.number(Double(v))), SType(.const, .int, untyped: true), range)
        case .float(let v): TExpr(.constant(.number(v)), SType(.const, .float, untyped: true), range)
        case .percent(let v): TExpr(.constant(.number(v)), SType(.const, .ratio), range)
        case .multiplier(let v): TExpr(.constant(.number(v)), SType(.const, .float), range)
        case .duration(let s): TExpr(.constant(.number(Double(s))), SType(.const, .duration), range)
        case .bool(let b): TExpr(.constant(.bool(b)), SType(.const, .bool), range)
        case .symbol(let s): TExpr(.constant(.symbol(s)), SType(.const, .symbol), range)
        case .date(let s): TExpr(.constant(.number(Double(s))), SType(.const, .time), range)
        case .months: TExpr(.error, .error, range)   // reported by checkExpr
        }
    }

    mutating func checkName(_ n: String, _ range: SourceRange, _ env: Env) -> TExpr {
        if let p = env.params[n] { return TExpr(p.kind, p.type, range) }
        if let f = BarField(rawValue: n) {
            return TExpr(.field(f), SType(.series, f.dimension, clock: env.clock), range)
        }
        if let entity = scope[n] {
            used.insert(n)
            switch entity {
            case .input(let i):
                return TExpr(.input(i), SType(.input, strategy.inputs[i].dim), range)
            case .binding(let i):
                // A constant (a literal, or a negated one) is copied, so its value
                // stays visible to range checks; anything else is referenced, so a
                // chain of lets stays linear in size and depth.
                var v = strategy.lets[i].value
                if !v.isLeaf { v = TExpr(.binding(i), v.type, range) }
                v.range = range
                return v
            case .function:
                diags.error(.functionAsValue, "`\(n)` is a function; call it with arguments, as in `\(n)(…)`", at: range)
                return TExpr(.error, .error, range)
            }
        }
        if Builtin.all[n] != nil {
            diags.error(.functionAsValue, "`\(n)` is a built-in function; call it with arguments, as in `\(n)(…)`", at: range)
            return TExpr(.error, .error, range)
        }
        undefined(n, range, env)
        return TExpr(.error, .error, range)
    }

    mutating func undefined(_ n: String, _ range: SourceRange, _ env: Env) {
        if let later = declaredLater[n] {
            diags.error(.usedBeforeDefinition, "`\(n)` is used before it is defined", at: range,
                        notes: [Note("defined here; move the definition above its first use", at: later)])
            return
        }
        // Past the error cap nothing is kept, so the suggestion is not worth its
        // search; a name more than the allowed distance longer or shorter can't
        // be it, which skips most of a large scope cheaply.
        guard diags.acceptsErrors else { return }
        let allowed = max(1, n.count / 3)
        let candidates = Array(scope.keys) + Array(env.params.keys) + BarField.allCases.map(\.rawValue) + Array(Builtin.all.keys)
        let best = candidates.filter { abs($0.count - n.count) <= allowed }.map { ($0, editDistance($0, n)) }.filter { $0.1 <= allowed }
            .min { ($0.1, $0.0) < ($1.1, $1.0) }
        diags.error(.undefinedName, "`\(n)` is not defined" + (best.map { "; did you mean `\($0.0)`?" } ?? ""), at: range,
                    fixIts: best.map { [FixIt(range: range, replacement: $0.0)] } ?? [])
    }

    /// A multi-output value used where one value is needed.
    mutating func tupleMisuse(_ t: TExpr, _ range: SourceRange) -> TExpr {
        if case .tuple(let names, _) = t.type.dim {
            diags.error(.tupleAsValue, "this gives \(names.count) values (\(names.joined(separator: ", "))); pick one, as in `.\(names[0])`",
                        at: range, fixIts: [FixIt(range: SourceRange(range.end, range.end), replacement: ".\(names[0])")])
        }
        return TExpr(.error, .error, t.range)
    }

    mutating func scalarValue(_ t: TExpr) -> TExpr {
        if case .tuple = t.type.dim { return tupleMisuse(t, t.range) }
        return t
    }

    /// The finest clock among series operands (nil, the base timeframe, is finest).
    func finest(_ types: SType...) -> Int64? {
        var result: Int64?
        var any = false
        for t in types where t.qualifier == .series {
            guard let c = t.clock else { return nil }
            result = any ? min(result!, c) : c
            any = true
        }
        return result
    }

    /// Makes an untyped literal take the other side's dimension. Returns the common
    /// dimension, or nil when the two can't meet.
    func unify(_ a: inout SType, _ b: inout SType) -> Dimension? {
        if a.dim == b.dim { return a.dim }
        if a.untyped, b.dim.isNumeric, !b.untyped { a.dim = b.dim; a.untyped = false; return b.dim }
        if b.untyped, a.dim.isNumeric, !a.untyped { b.dim = a.dim; b.untyped = false; return a.dim }
        if a.dim.isScalar, b.dim.isScalar { return scalarJoin(a.dim, b.dim) }
        return nil
    }

    func scalarJoin(_ a: Dimension, _ b: Dimension) -> Dimension {
        if a == .ratio || b == .ratio { return .ratio }
        if a == .float || b == .float { return .float }
        return .int
    }

    /// `first op₁ x₁ op₂ x₂ …`, checked step by step in a loop (see
    /// `Expr.Kind.binary`). Every operand is checked, so each mistake in a run is
    /// reported, but a step after a mistake is not.
    mutating func checkBinaryRun(_ first: Expr, _ rest: [BinaryOperand], _ range: SourceRange, _ env: Env) -> TExpr {
        var head = scalarValue(checkExpr(first, env))
        var steps: [TBinaryStep] = []
        steps.reserveCapacity(rest.count)
        var failed = head.type.isError
        var sofar = first.range
        for o in rest {
            let rhs = scalarValue(checkExpr(o.rhs, env))
            defer { sofar = sofar.union(o.rhs.range) }
            if failed { continue }
            if rhs.type.isError { failed = true; continue }
            var l = Operand(type: steps.last?.type ?? head.type, range: sofar, input: steps.isEmpty ? head.inputIndex : nil)
            var r = Operand(type: rhs.type, range: rhs.range, input: rhs.inputIndex)
            guard let type = checkBinary(o.op, &l, &r, range: sofar.union(o.rhs.range), opRange: o.opRange) else {
                failed = true
                continue
            }
            // An untyped side takes the other's unit (`close > 100` compares Prices).
            if steps.isEmpty { head.type = l.type } else { steps[steps.count - 1].type = l.type }
            var right = rhs
            right.type = r.type
            steps.append(TBinaryStep(op: o.op, rhs: right, type: type))
        }
        if failed { return TExpr(.error, .error, range) }
        return TExpr(.binary(head, steps), steps[steps.count - 1].type, range)
    }

    /// What `checkBinary` needs of an operand: its type (which unification may
    /// change), its range, and the input it is, for a hint.
    struct Operand {
        var type: SType
        var range: SourceRange
        var input: Int?
    }

    /// The type of `l op r`, or nil after reporting why it has none.
    mutating func checkBinary(_ op: BinaryOp, _ l: inout Operand, _ r: inout Operand, range: SourceRange, opRange: SourceRange) -> SType? {
        let q = max(l.type.qualifier, r.type.qualifier)
        let untyped = l.type.untyped && r.type.untyped
        var clock = finest(l.type, r.type)
        if q != .series { clock = nil }
        func result(_ dim: Dimension, untyped: Bool = false) -> SType {
            SType(q, dim, untyped: untyped, clock: clock)
        }
        let ld = l.type.dim, rd = r.type.dim
        let both = [l.range, r.range]
        switch op {
        case .and, .or:
            for side in [l, r] where side.type.dim != .bool {
                diags.error(.expectedBool, "`\(op.rawValue)` joins conditions, but this is a \(side.type.dim.name)", at: side.range)
                return nil
            }
            return result(.bool)
        case .eq, .ne, .lt, .le, .gt, .ge:
            if ld == .bool, rd == .bool, op == .eq || op == .ne { return result(.bool) }
            guard ld.isNumeric || ld == .time, rd.isNumeric || rd == .time, unify(&l.type, &r.type) != nil else {
                var notes: [Note] = []
                if Set([ld, rd]) == [.ratio, .price] {
                    notes.append(Note("a price can't be compared with a percentage; compare `close / open - 1 > 2%` instead"))
                }
                diags.error(.incomparable, "can't compare \(ld.name) with \(rd.name)", at: opRange,
                            highlights: both, notes: notes)
                return nil
            }
            return result(.bool)
        case .add, .sub:
            let verb = op == .add ? "add" : "subtract"
            guard ld.isNumeric || ld == .time, rd.isNumeric || rd == .time else {
                diags.error(.notNumeric, "can't \(verb) \(ld.name) and \(rd.name)", at: opRange, highlights: both)
                return nil
            }
            if ld == .time, rd == .time, op == .sub { return result(.duration) }
            if ld == .time, rd == .duration { return result(.time) }
            if ld == .duration, rd == .time, op == .add { return result(.time) }
            if let dim = unify(&l.type, &r.type), dim != .time { return result(dim, untyped: untyped) }
            var notes: [Note] = []
            if Set([ld, rd]) == [.price, .volume] {
                notes.append(Note("did you mean `\(op == .add ? "close * volume" : "…")` (Money)? Prices and volumes have different units"))
            } else if ld == .price, rd == .ratio {
                notes.append(Note("to move a price by a percentage, multiply: `close * (1 \(op.rawValue) 2%)`"))
            } else if let i = (l.type.untyped ? r : l).input {
                notes.append(Note("give the input a unit: `input \(strategy.inputs[i].name): \(l.type.untyped ? ld.name : rd.name) = …`"))
            } else if let i = r.input {
                notes.append(Note("give the input a unit: `input \(strategy.inputs[i].name): \(ld.name) = …`"))
            }
            diags.error(.incompatibleOperands, "can't \(verb) \(ld.name) and \(rd.name)", at: opRange, highlights: both, notes: notes)
            return nil
        case .mul:
            guard ld.isNumeric, rd.isNumeric else {
                diags.error(.notNumeric, "can't multiply \(ld.name) and \(rd.name)", at: opRange, highlights: both)
                return nil
            }
            if ld.isScalar, rd.isScalar { return result(scalarJoin(ld, rd), untyped: untyped) }
            if ld.isScalar { return result(rd) }
            if rd.isScalar { return result(ld) }
            switch (ld, rd) {
            case (.price, .qty), (.qty, .price), (.price, .volume), (.volume, .price): return result(.money)
            default:
                diags.error(.invalidProduct, "\(ld.name) × \(rd.name) has no meaning here", at: opRange, highlights: both,
                            notes: ld == rd ? [Note("a \(ld.name) can be multiplied by a number, a Ratio, or (for Price) a Qty")] : [])
                return nil
            }
        case .div:
            guard ld.isNumeric, rd.isNumeric else {
                diags.error(.notNumeric, "can't divide \(ld.name) by \(rd.name)", at: opRange, highlights: both)
                return nil
            }
            if ld.isScalar, rd.isScalar {
                return result(ld == .ratio || rd == .ratio ? .ratio : .float, untyped: untyped)
            }
            if rd.isScalar { return result(ld) }
            if ld == rd { return result(.ratio) }
            switch (ld, rd) {
            case (.money, .price): return result(.qty)
            case (.money, .qty), (.money, .volume): return result(.price)
            default:
                diags.error(.invalidQuotient, "\(ld.name) ÷ \(rd.name) has no meaning here", at: opRange, highlights: both,
                            notes: ld.isScalar ? [Note("a number divided by a \(rd.name) has no unit Strat knows; divide a \(rd.name) by a \(rd.name) for a Ratio")] : [])
                return nil
            }
        }
    }

    mutating func checkContext(_ x: Expr, _ ctx: Expr, _ range: SourceRange, _ env: Env) -> TExpr {
        var inner = env
        var timeframe: Int64?
        var symbol: String?
        switch ctx.kind {
        case .literal(.duration(let secs), _):
            guard secs > 0 else {
                diags.error(.invalidTimeframe, "a timeframe must be longer than zero", at: ctx.range)
                return TExpr(.error, .error, range)
            }
            if let months = strategy.timeframeMonths {
                diags.error(.timeframeNotClosed, "\(formatDuration(secs)) bars are finer than the strategy's \(months)M timeframe; only the same or longer timeframes can be read",
                            at: ctx.range)
                return TExpr(.error, .error, range)
            }
            if let base = strategy.timeframe {
                if secs < base {
                    diags.error(.timeframeNotClosed, "\(formatDuration(secs)) bars are finer than the strategy's \(formatDuration(base)) timeframe; only the same or longer timeframes can be read",
                                at: ctx.range)
                    return TExpr(.error, .error, range)
                }
                if secs % base != 0 {
                    diags.error(.timeframeNotClosed, "\(formatDuration(secs)) bars don't close on \(formatDuration(base)) boundaries, so some would be read before they close; use a whole multiple of \(formatDuration(base))",
                                at: ctx.range)
                    return TExpr(.error, .error, range)
                }
            }
            guard checkTimeframeLimit(secs, at: ctx.range) else { return TExpr(.error, .error, range) }
            timeframe = secs
            inner.clock = secs
        case .literal(.months, _):
            diags.error(.invalidTimeframe, "calendar timeframes can't follow `@` yet; read monthly bars by running the strategy on `timeframe 1M`",
                        at: ctx.range)
            return TExpr(.error, .error, range)
        case .literal(.symbol(let s), _):
            symbol = s
        default:
            if case .error = ctx.kind { return TExpr(.error, .error, range) }
            diags.error(.invalidContext, "`@` takes a timeframe such as `4h` or a symbol such as `$ETHUSDT`", at: ctx.range)
            return TExpr(.error, .error, range)
        }
        let t = checkExpr(x, inner)
        if t.type.isError { return t }
        var type = t.type
        if let timeframe, type.qualifier == .series, type.clock == nil || type.clock! < timeframe { type.clock = timeframe }
        return TExpr(.context(t, timeframe: timeframe, symbol: symbol), type, range)
    }

    // MARK: Calls

    mutating func checkCall(_ f: Identifier, _ args: [CallArgument], _ range: SourceRange, _ env: Env) -> TExpr {
        if env.calling.contains(f.name) || expanding.contains(f.name) {
            diags.error(.recursion, "`\(f.name)` calls itself; functions can't be recursive, so every bar's cost stays bounded",
                        at: f.range)
            return TExpr(.error, .error, range)
        }
        if let entity = scope[f.name], env.params[f.name] == nil {
            used.insert(f.name)
            guard case .function(let index) = entity else {
                diags.error(.notAFunction, "`\(f.name)` is a value, not a function", at: f.range)
                return TExpr(.error, .error, range)
            }
            return callUserFunction(index, f, args, range, env)
        }
        if let b = Builtin.all[f.name] { return callBuiltin(b, f, args, range, env) }
        return callUnknown(f, args, range, env)
    }

    /// A call of a name that is no function: reported, and its arguments still
    /// checked for their own mistakes.
    mutating func callUnknown(_ f: Identifier, _ args: [CallArgument], _ range: SourceRange, _ env: Env) -> TExpr {
        if SizingForm(rawValue: f.name) != nil {
            diags.error(.invalidSizing, "`\(f.name)(…)` is a sizing form; it is only used after `size` in an order", at: f.range)
        } else if BarField(rawValue: f.name) != nil || env.params[f.name] != nil {
            diags.error(.notAFunction, "`\(f.name)` is a value, not a function", at: f.range)
        } else {
            undefined(f.name, f.range, env)
        }
        for a in args { _ = checkExpr(a.value, env) }
        return TExpr(.error, .error, range)
    }

    /// Expands a call of a user function: its body is checked with the
    /// arguments' types (a function is generic over units). Arguments become
    /// leaves (shared values) and each distinct call is checked once and shared,
    /// so `fn f1(x) = f0(x) + f0(x)` … `f22(close)` costs 23 expansions, not 2²²;
    /// what calls with distinct arguments can still expand is bounded by
    /// `Limits.maxInlinedNodes`, and their nesting by `Limits.maxExpandedDepth`.
    mutating func callUserFunction(_ index: Int, _ f: Identifier, _ args: [CallArgument], _ range: SourceRange, _ env: Env) -> TExpr {
        let decl = functions[index].decl
        functions[index].used = true
        var values = args.map { checkExpr($0.value, env) }
        guard argumentsFit(decl, f, args, range) else { return TExpr(.error, .error, range) }
        if values.contains(where: { $0.type.isError }) || expansionStop != nil { return TExpr(.error, .error, range) }
        for i in values.indices where !values[i].isLeaf { values[i] = share(values[i]) }
        let key = CallKey(function: index, clock: env.clock, arguments: values.map(ArgumentKey.init))
        if var known = calls[key] {
            known.range = range
            return known
        }
        var inner = Env()
        inner.clock = env.clock
        for (p, v) in zip(decl.parameters, values) { inner.params[p.name] = v }
        callDepth += 1
        expanding.insert(f.name)
        var body = checkExpr(decl.body, inner)
        expanding.remove(f.name)
        callDepth -= 1
        if callDepth == 0, let stop = expansionStop {
            // Reported here, at the call written outside any function body.
            reportExpansion(stop, f, range)
            expansionStop = (stop.code, range)   // later calls give errors, not more reports
            calls[key] = TExpr(.error, .error, range)
            return TExpr(.error, .error, range)
        }
        if !body.isLeaf { body = share(body) }
        calls[key] = body
        body.range = range
        return body
    }

    /// False after reporting labels or a wrong count of arguments.
    mutating func argumentsFit(_ decl: FnDecl, _ f: Identifier, _ args: [CallArgument], _ range: SourceRange) -> Bool {
        if let l = args.first(where: { $0.label != nil })?.label {
            diags.error(.unknownArgumentLabel, "arguments of user functions are not labelled", at: l.range)
        }
        guard args.count == decl.parameters.count else {
            diags.error(.wrongArgumentCount, "`\(f.name)` takes \(decl.parameters.count) argument\(decl.parameters.count == 1 ? "" : "s") but \(args.count) \(args.count == 1 ? "was" : "were") given",
                        at: range, notes: [Note("`\(f.name)` is defined here", at: decl.name.range)])
            return false
        }
        return true
    }

    mutating func reportExpansion(_ stop: (code: DiagnosticCode, at: SourceRange), _ f: Identifier, _ range: SourceRange) {
        let note = Note("the limit is passed here, inside a function", at: stop.at)
        if stop.code == .expansionTooDeep {
            diags.error(.expansionTooDeep, "this call of `\(f.name)` expands to expressions nested more than \(Limits.maxExpandedDepth) levels deep (each call nests its function's body)",
                        at: range, notes: [note, Note("compute an inner part in a `let`, or let fewer functions call each other in a chain")])
        } else {
            diags.error(.expansionTooLarge, "calls of user functions expand to more than \(Limits.maxInlinedNodes) expressions; this call of `\(f.name)` passes the limit",
                        at: range, notes: [note, Note("a function calling another several times with different arguments doubles the expansion at each level; compute shared parts in `let`s")])
        }
    }

    /// Keeps `value` once in `strategy.shared` and returns a reference to it.
    mutating func share(_ value: TExpr) -> TExpr {
        strategy.shared.append(value)
        return TExpr(.shared(strategy.shared.count - 1), value.type, value.range)
    }

    /// A call of a built-in: its arguments bound and checked, then the call typed
    /// (two methods, so the large frame of the second is not on the stack while
    /// the arguments recurse).
    mutating func callBuiltin(_ b: Builtin, _ f: Identifier, _ args: [CallArgument], _ range: SourceRange, _ env: Env) -> TExpr {
        guard let (values, ranges) = bindArguments(b, args, range, env) else { return TExpr(.error, .error, range) }
        return typeBuiltinCall(b, values, ranges, range, env)
    }

    /// Binds arguments to parameters (positional first, then by label) and
    /// fills in defaults; nil after reporting a mistake (or when an argument has one).
    mutating func bindArguments(_ b: Builtin, _ args: [CallArgument], _ range: SourceRange, _ env: Env) -> ([TExpr], [SourceRange?])? {
        var bound = [TExpr?](repeating: nil, count: b.params.count)
        var ranges = [SourceRange?](repeating: nil, count: b.params.count)
        var failed = false
        var position = 0
        let signature = "\(b.name)(\(b.params.map(\.name).joined(separator: ", ")))"
        for a in args {
            let value = checkExpr(a.value, env)
            let slot: Int
            if let label = a.label {
                guard let i = b.params.firstIndex(where: { $0.name == label.name }) else {
                    diags.error(.unknownArgumentLabel, "`\(b.name)` has no parameter `\(label.name)`; its parameters are \(signature)",
                                at: label.range)
                    failed = true
                    continue
                }
                slot = i
            } else {
                slot = position
                position += 1
            }
            guard slot < b.params.count else {
                diags.error(.wrongArgumentCount, "too many arguments: `\(b.name)` is \(signature)", at: a.value.range)
                failed = true
                break
            }
            if bound[slot] != nil {
                diags.error(.wrongArgumentCount, "`\(b.params[slot].name)` is given twice", at: a.range)
                failed = true
            }
            bound[slot] = value
            ranges[slot] = a.value.range
        }
        var values: [TExpr] = []
        for (i, p) in b.params.enumerated() {
            if let v = bound[i] { values.append(v); continue }
            if let d = p.defaultValue {
                let dim: Dimension = p.kind == .number ? p.dimension ?? .float : .int
                values.append(TExpr(.constant(.number(d)), SType(.const, dim, untyped: p.dimension == nil), range))
                ranges[i] = range
                continue
            }
            if !failed {
                diags.error(.wrongArgumentCount, "missing argument `\(p.name)`: `\(b.name)` is \(signature)",
                            at: SourceRange(range.end - 1, range.end))
            }
            failed = true
        }
        if failed || values.contains(where: { $0.type.isError }) { return nil }
        return (values, ranges)
    }

    mutating func typeBuiltinCall(_ b: Builtin, _ arguments: [TExpr], _ ranges: [SourceRange?], _ range: SourceRange, _ env: Env) -> TExpr {
        var values = arguments

        var qualifier: Qualifier = b.category == .math ? .const : .series
        var seriesTypes: [SType] = []
        for (i, p) in b.params.enumerated() {
            var v = values[i]
            let r = ranges[i] ?? range
            if case .tuple = v.type.dim { return tupleMisuse(v, r) }
            switch p.kind {
            case .series(let rule):
                switch rule {
                case .bool:
                    guard v.type.dim == .bool else {
                        diags.error(.argumentType, "`\(p.name)` of `\(b.name)` must be a Bool condition, not a \(v.type.dim.name)", at: r)
                        return TExpr(.error, .error, range)
                    }
                case .numeric:
                    guard v.type.dim.isNumeric else {
                        diags.error(.argumentType, "`\(p.name)` of `\(b.name)` must be a number, not a \(v.type.dim.name)", at: r)
                        return TExpr(.error, .error, range)
                    }
                case .scalar:
                    guard v.type.dim.isScalar else {
                        diags.error(.needsDimensionless, "`\(b.name)` needs a plain number, but this is a \(v.type.dim.name)", at: r,
                                    notes: [Note("divide first to remove the unit, e.g. `\(b.name)(close / close[1])`")])
                        return TExpr(.error, .error, range)
                    }
                case .time:
                    guard v.type.dim == .time else {
                        diags.error(.expectedTime, "`\(b.name)` reads a Time (`time` or a date such as `2024-01-31`), not a \(v.type.dim.name)",
                                    at: r, notes: [Note("the calendar functions take a bar's time: `\(b.name)(time)`, UTC")])
                        return TExpr(.error, .error, range)
                    }
                case .sameAsFirst:
                    var first = values[0]
                    guard v.type.dim.isNumeric, unify(&first.type, &v.type) != nil else {
                        diags.error(.argumentType, "`\(p.name)` of `\(b.name)` must be a \(values[0].type.dim.name) like `\(b.params[0].name)`, not a \(v.type.dim.name)",
                                    at: r)
                        return TExpr(.error, .error, range)
                    }
                    values[0] = first
                }
                qualifier = max(qualifier, v.type.qualifier)
                if v.type.qualifier == .series { seriesTypes.append(v.type) }
            case .length(let minimum):
                if v.type.qualifier == .series {
                    diags.error(.seriesParameter, "the `\(p.name)` of `\(b.name)` must be known before the run (a constant or an input), not a series",
                                at: r, notes: [Note("window lengths fix how much history an indicator keeps; they can't change bar by bar")])
                    return TExpr(.error, .error, range)
                }
                guard v.type.dim == .int else {
                    diags.error(.argumentType, "the `\(p.name)` of `\(b.name)` is a whole number of bars (Int), not a \(v.type.dim.name)", at: r)
                    return TExpr(.error, .error, range)
                }
                if let n = v.constantNumber, n < Double(minimum) {
                    diags.error(.parameterOutOfRange, "the `\(p.name)` of `\(b.name)` must be at least \(minimum), not \(fmt(n))", at: r)
                    return TExpr(.error, .error, range)
                }
                if case .input(let k) = v.kind, let lo = strategy.inputs[k].lower, lo < Double(minimum) {
                    diags.error(.parameterOutOfRange, "input `\(strategy.inputs[k].name)` may be \(fmt(lo)), but the `\(p.name)` of `\(b.name)` must be at least \(minimum)",
                                at: r)
                    return TExpr(.error, .error, range)
                }
                guard checkLimit(v, Double(Limits.maxWindow), "the `\(p.name)` of `\(b.name)`", unit: "bars", at: r) else {
                    return TExpr(.error, .error, range)
                }
            case .number:
                if v.type.qualifier == .series {
                    diags.error(.seriesParameter, "the `\(p.name)` of `\(b.name)` must be known before the run (a constant or an input), not a series", at: r)
                    return TExpr(.error, .error, range)
                }
                if let dim = p.dimension {
                    guard v.type.dim == dim else {
                        diags.error(.argumentType, "the `\(p.name)` of `\(b.name)` is a \(dim.name) such as `1d` or `1w`, not a \(v.type.dim.name)", at: r)
                        return TExpr(.error, .error, range)
                    }
                } else if !v.type.dim.isScalar {
                    diags.error(.argumentType, "the `\(p.name)` of `\(b.name)` is a plain number, not a \(v.type.dim.name)", at: r)
                    return TExpr(.error, .error, range)
                }
                if let minimum = p.minimum {
                    if let n = v.constantNumber, !(n >= minimum) {
                        diags.error(.parameterOutOfRange, "the `\(p.name)` of `\(b.name)` must be at least \(fmt(minimum)), not \(fmt(n))", at: r)
                        return TExpr(.error, .error, range)
                    }
                    if case .input(let k) = v.kind, let lo = strategy.inputs[k].lower, lo < minimum {
                        diags.error(.parameterOutOfRange, "input `\(strategy.inputs[k].name)` may be \(fmt(lo)), but the `\(p.name)` of `\(b.name)` must be at least \(fmt(minimum))",
                                    at: r)
                        return TExpr(.error, .error, range)
                    }
                }
            }
            values[i] = v
        }
        let dim: Dimension
        switch b.result {
        case .fixed(let d): dim = d
        case .sameAs(let i): dim = values[i].type.dim
        case .tuple(let names, let d): dim = .tuple(names, Array(repeating: d ?? values[0].type.dim, count: names.count))
        case .tupleOf(let names, let dims): dim = .tuple(names, dims)
        }
        var type = SType(qualifier, dim)
        if b.category == .math {
            type.untyped = values.allSatisfy(\.type.untyped) && dim.isScalar
        }
        if qualifier == .series {
            let implicitClock: [SType] = b.implicitFields.isEmpty ? [] : [SType(.series, .price, clock: env.clock)]
            let all = seriesTypes + implicitClock
            type.clock = all.isEmpty ? env.clock : all.dropFirst().reduce(all[0].clock) { acc, t in
                guard let a = acc, let c = t.clock else { return nil }
                return min(a, c)
            }
        }
        return TExpr(.builtin(b.name, values), type, range)
    }
}
