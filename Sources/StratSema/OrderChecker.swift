import StratSyntax

extension Checker {
    // MARK: Rules

    mutating func checkRule(_ r: WhenRule) {
        let env = Env()
        var cond = scalarValue(checkExpr(r.condition, env))
        if !cond.type.isError, cond.type.dim != .bool {
            diags.error(.expectedBool, "a `when` condition must be a Bool, but this is a \(cond.type.dim.name)", at: r.condition.range,
                        notes: cond.type.dim.isNumeric ? [Note("compare it, as in `… > 0`")] : [])
            cond = TExpr(.error, .error, r.condition.range)
        } else if cond.type.qualifier == .const, case .constant(.bool(let b)) = cond.kind {
            diags.error(.constantCondition, "this condition is always \(b); the rule fires \(b ? "on every bar" : "never")", at: r.condition.range)
        }
        var actions: [TAction] = []
        for a in r.actions {
            switch a {
            case .enter(let o): if let t = checkOrder(o, isEntry: true, env) { actions.append(.order(t)) }
            case .exit(let o): if let t = checkOrder(o, isEntry: false, env) { actions.append(.order(t)) }
            case .flatten(let range): actions.append(.flatten(range))
            case .cancel(let side, let range): actions.append(.cancel(side, range))
            case .cancelAll(let range): actions.append(.cancelAll(range))
            case .error: break
            }
        }
        strategy.rules.append(CheckedRule(condition: cond, actions: actions, range: r.range))
    }

    /// `exit short` in a strategy with no `enter short` can never do anything.
    mutating func checkExits(_ s: StrategyDecl) {
        for m in s.members {
            guard case .rule(let r) = m else { continue }
            for case .exit(let o) in r.actions {
                let entered = o.side == .long ? sawLongEntry : sawShortEntry
                if !entered {
                    diags.error(.exitWithoutEntry, "this strategy never enters \(o.side.rawValue), so `exit \(o.side.rawValue)` can never fire",
                                at: o.keyword.union(o.sideRange),
                                notes: [Note(o.side == .short && !strategy.market.allowsShort
                                             ? "a spot market without margin can't hold a short position"
                                             : "add an `enter \(o.side.rawValue)` rule, or exit the other side")])
                }
            }
        }
    }

    /// A price-valued order field: Price (or an untyped number).
    mutating func priceExpr(_ e: Expr, _ what: String, _ env: Env) -> TExpr? {
        var t = scalarValue(checkExpr(e, env))
        if t.type.isError { return nil }
        if t.type.untyped, t.type.dim.isNumeric { t.type.dim = .price; t.type.untyped = false }
        guard t.type.dim == .price else {
            diags.error(.orderPriceType, "\(what) must be a Price, not a \(t.type.dim.name)", at: e.range)
            return nil
        }
        return t
    }

    /// A stop or take: a Price, or a percentage distance from the fill.
    mutating func priceSpec(_ e: Expr, _ what: String, _ env: Env, code: DiagnosticCode = .orderPriceType) -> TPriceSpec? {
        var t = scalarValue(checkExpr(e, env))
        if t.type.isError { return nil }
        if t.type.dim == .ratio { return .percent(t) }
        if t.type.untyped, t.type.dim.isNumeric { t.type.dim = .price; t.type.untyped = false }
        guard t.type.dim == .price else {
            diags.error(code, "\(what) is a Price or a percentage such as `2%`, not a \(t.type.dim.name)", at: e.range)
            return nil
        }
        return .price(t)
    }

    mutating func checkOrder(_ o: OrderAction, isEntry: Bool, _ env: Env) -> TOrder? {
        var order = TOrder(side: o.side, isEntry: isEntry, range: o.range)
        if isEntry {
            if o.side == .long { sawLongEntry = true } else { sawShortEntry = true }
            if o.side == .short, !strategy.market.allowsShort {
                diags.error(.shortOnSpot, "a spot market can't sell short", at: o.keyword.union(o.sideRange),
                            notes: [Note("declare `market perp(…)`, or `market spot(margin: true)` to borrow")])
            }
        }
        let buys = (o.side == .long) == isEntry
        switch o.orderType {
        case .market: order.type = .market
        case .limit(let p):
            guard let t = priceExpr(p, "a limit price", env) else { return nil }
            order.type = .limit(t)
        case .stop(let p):
            guard let t = priceExpr(p, "a stop price", env) else { return nil }
            order.type = .stop(t)
            if case .below = compare(t, toClose: ()), buys {
                diags.error(.limitWrongSide, "a buy stop below the close triggers at once; use `at limit` to buy below the market",
                            at: p.range, fixIts: [FixIt(range: o.orderTypeRange ?? p.range, replacement: "at limit \(sourceText(p))")])
            } else if case .above = compare(t, toClose: ()), !buys {
                diags.error(.limitWrongSide, "a sell stop above the close triggers at once; use `at limit` to sell above the market",
                            at: p.range)
            }
        case .stopLimit(let s, let l):
            guard let st = priceExpr(s, "a stop price", env), let lt = priceExpr(l, "a limit price", env) else { return nil }
            order.type = .stopLimit(stop: st, limit: lt)
            let rel = relation(lt, st)
            if (buys && rel == .below) || (!buys && rel == .above) {
                diags.error(.stopLimitWrongSide,
                            "a \(buys ? "buy" : "sell") stop-limit needs its limit \(buys ? "at or above" : "at or below") its stop, or it can never fill",
                            at: l.range, highlights: [s.range])
            }
        }
        if let size = o.size {
            guard let s = checkSizing(size, isEntry: isEntry, env) else { return nil }
            order.size = s
        }
        var seenClauses = Set<String>()
        var triggerClause: ClauseNode?
        for c in o.clauses {
            switch c.clause {
            case .stop(let e):
                guard let spec = priceSpec(e, "a stop", env) else { continue }
                order.stop = spec
                checkProtectiveSide(spec, e, order, isStop: true, o)
            case .take(let e):
                guard let spec = priceSpec(e, "a take-profit", env) else { continue }
                order.take = spec
                checkProtectiveSide(spec, e, order, isStop: false, o)
            case .trail(let e):
                guard let spec = priceSpec(e, "a trailing distance", env, code: .trailType) else { continue }
                if case .price(let t) = spec, let v = t.constantNumber, v <= 0 {
                    diags.error(.trailType, "a trailing distance must be greater than zero", at: e.range)
                }
                if case .percent(let t) = spec, let v = t.constantNumber, v <= 0 || v >= 1 {
                    diags.error(.trailType, "a trailing percentage must lie between 0% and 100%", at: e.range)
                }
                order.trail = spec
            case .tif(let t): order.tif = t; seenClauses.insert("tif")
            case .expire(let e, let inBars):
                let t = scalarValue(checkExpr(e, env))
                if t.type.isError { continue }
                if t.type.qualifier == .series {
                    diags.error(.lifetimeType, "an order's lifetime must be known when it is sent: a constant or an input", at: e.range)
                } else if inBars {
                    if t.type.dim != .int {
                        diags.error(.lifetimeType, "`expire after N bars` needs a whole number of bars, not a \(t.type.dim.name)", at: e.range)
                    } else if let v = t.constantNumber, v < 1 {
                        diags.error(.lifetimeType, "an order must live at least 1 bar", at: e.range)
                    } else if checkLimit(t, Double(Limits.maxLifetimeBars), "an order's lifetime", unit: "bars", at: e.range) {
                        order.expireBars = t
                    }
                } else if t.type.dim != .duration {
                    diags.error(.lifetimeType, "`expire after` takes a duration such as `12h` or a bar count such as `5 bars`, not a \(t.type.dim.name)",
                                at: e.range, fixIts: t.type.dim == .int ? [FixIt(range: SourceRange(e.range.end, e.range.end), replacement: " bars")] : [])
                } else if checkLimit(t, Double(Limits.maxLifetimeSeconds), "an order's lifetime", unit: "(100 years)", at: e.range,
                                     show: Self.seconds) {
                    order.expireAfter = t
                }
            case .reduceOnly: order.reduceOnly = true
            case .display(let e):
                var t = scalarValue(checkExpr(e, env))
                if t.type.isError { continue }
                if t.type.untyped, t.type.dim.isNumeric { t.type.dim = .qty; t.type.untyped = false }
                if t.type.dim != .qty {
                    diags.error(.displayQuantity, "`display` shows a quantity of the order at a time, not a \(t.type.dim.name)", at: e.range)
                } else if let v = t.constantNumber, !(v > 0) {
                    diags.error(.displayQuantity, "an iceberg must show more than zero", at: e.range)
                } else { order.display = t }
            case .trigger(let mark):
                order.triggerOnMark = mark
                triggerClause = c
            case .postOnly:
                order.postOnly = true
                if case .market = order.type {
                    diags.error(.postOnlyMarket, "a market order always takes liquidity, so it can't be `post only`", at: c.range,
                                notes: [Note("post only applies to limit orders: `at limit PRICE`")])
                }
            }
        }
        if let c = triggerClause { checkTrigger(c, order) }
        let hasLifetime = order.expireBars != nil || order.expireAfter != nil
        if hasLifetime, order.tif == .ioc || order.tif == .fok {
            diags.error(.lifetimeConflict, "`tif \(order.tif.rawValue)` orders never rest on the book, so `expire after` has no meaning", at: o.range)
        } else if order.tif == .gtd, !hasLifetime {
            diags.error(.lifetimeConflict, "`tif gtd` needs a lifetime: add `expire after 12h` or `expire after 5 bars`", at: o.range)
        } else if hasLifetime, order.tif == .gtc, !seenClauses.contains("tif") {
            order.tif = .gtd   // an explicit lifetime makes the order good-till-date
        }
        if case .risk(_, stop: nil) = order.size, order.stop == nil {
            diags.error(.riskSizingWithoutStop, "risk sizing needs a stop: give `risk(…, stop: PRICE)` or a `stop` clause",
                        at: o.size!.range)
        }
        if !isEntry, order.take != nil || order.stop != nil, case .market = order.type {
            // An exit with a stop and/or take rests as an OCO pair instead of a market order.
        }
        return order
    }

    /// `trigger mark|last` chooses the price a stop price is compared with, so
    /// the order needs one; only a perpetual has a mark price.
    mutating func checkTrigger(_ c: ClauseNode, _ order: TOrder) {
        let mark = order.triggerOnMark == true
        var hasStop = order.stop != nil || order.trail != nil
        switch order.type {
        case .stop, .stopLimit: hasStop = true
        case .market, .limit: break
        }
        guard hasStop else {
            diags.error(.triggerWithoutStop, "`trigger \(mark ? "mark" : "last")` chooses the price a stop is compared with, but this order has no stop price",
                        at: c.range, notes: [Note("give it one: `at stop PRICE`, or a `stop` or `trail` leg")])
            return
        }
        if strategy.market.kind != .perp {
            diags.error(.triggerOffPerp, mark ? "a spot market has no mark price: its stops trigger on the last price"
                                              : "`trigger last` only matters on a perpetual; spot stops always trigger on the last price",
                        at: c.range, notes: [Note("`trigger mark` applies to `market perp(…)`")])
        }
    }

    // MARK: Sizing

    mutating func checkSizing(_ e: Expr, isEntry: Bool, _ env: Env) -> TSizing? {
        func arg(_ args: [CallArgument], _ i: Int, _ label: String) -> CallArgument? {
            args.first { $0.label?.name == label } ?? (i < args.count && args[i].label == nil ? args[i] : nil)
        }
        func value(_ a: CallArgument?, _ dims: [Dimension], _ what: String, _ code: DiagnosticCode = .sizingArgument) -> TExpr? {
            guard let a else { return nil }
            var t = scalarValue(checkExpr(a.value, env))
            if t.type.isError { return nil }
            // A bare number takes a unit, but never becomes a percentage: `2` is not `2%`.
            if t.type.untyped, t.type.dim.isNumeric, let d = dims.first(where: { $0 != .ratio }) {
                t.type.dim = d; t.type.untyped = false
            }
            guard dims.contains(t.type.dim), !t.type.untyped else {
                let percent = dims == [.ratio] && t.type.untyped
                diags.error(code, "\(what) must be a \(dims.map(\.name).joined(separator: " or ")), not a \(t.type.dim.name)", at: a.value.range,
                            notes: percent ? [Note("write a percentage, as in `\(diags.file.text(of: a.value.range))%`")] : [],
                            fixIts: percent ? [FixIt(range: a.value.range, replacement: diags.file.text(of: a.value.range) + "%")] : [])
                return nil
            }
            return t
        }
        if case .call(let f, let args) = e.kind, let form = SizingForm(rawValue: f.name) {
            let labels: [SizingForm: [String]] = [.qty: ["qty"], .notional: ["amount"], .equity: ["fraction"],
                                                  .risk: ["fraction", "stop"], .volatility: ["fraction", "distance"],
                                                  .kelly: ["fraction", "cap"]]
            let allowed = labels[form]!
            for (i, a) in args.enumerated() {
                if let l = a.label, !allowed.contains(l.name) {
                    diags.error(.unknownArgumentLabel, "`\(form.rawValue)` has no parameter `\(l.name)`; it takes \(allowed.joined(separator: ", "))", at: l.range)
                    return nil
                }
                if a.label == nil, i >= allowed.count {
                    diags.error(.wrongArgumentCount, "too many arguments to `\(form.rawValue)`; it takes \(allowed.joined(separator: ", "))", at: a.value.range)
                    return nil
                }
            }
            let required: [SizingForm: Int] = [.qty: 1, .notional: 1, .equity: 1, .risk: 1, .volatility: 2, .kelly: 1]
            let given = Set(args.enumerated().map { $0.element.label?.name ?? allowed[min($0.offset, allowed.count - 1)] })
            if let missing = allowed.prefix(required[form]!).first(where: { !given.contains($0) }) {
                diags.error(.wrongArgumentCount, "`\(form.rawValue)` needs its `\(missing)` argument", at: e.range)
                return nil
            }
            if !isEntry, form != .qty {
                diags.error(.exitSizeType, "an exit is sized as a share of the position (`size 50%`) or a quantity (`size qty(…)`)", at: e.range)
                return nil
            }
            switch form {
            case .qty: return value(arg(args, 0, "qty"), [.qty], "a quantity").map { .qty($0) }
            case .notional: return value(arg(args, 0, "amount"), [.money], "a notional").map { .notional($0) }
            case .equity: return value(arg(args, 0, "fraction"), [.ratio], "a fraction of equity").map { .equity($0) }
            case .risk:
                guard let f = value(arg(args, 0, "fraction"), [.ratio], "the risk per trade") else { return nil }
                let stopArg = arg(args, 1, "stop")
                if stopArg != nil {
                    guard let s = priceExpr(stopArg!.value, "the stop of `risk`", env) else { return nil }
                    return .risk(f, stop: s)
                }
                return .risk(f, stop: nil)
            case .volatility:
                guard let f = value(arg(args, 0, "fraction"), [.ratio], "the target risk"),
                      let d = value(arg(args, 1, "distance"), [.price], "the volatility distance") else { return nil }
                return .volatility(f, distance: d)
            case .kelly:
                guard let f = value(arg(args, 0, "fraction"), [.ratio, .float], "the Kelly fraction") else { return nil }
                if let v = f.constantNumber, v <= 0 || v > 1 {
                    diags.error(.sizingArgument, "the Kelly fraction lies in (0, 1]; half Kelly is `kelly(0.5, cap: 20%)`", at: args[0].value.range)
                    return nil
                }
                let cap = arg(args, 1, "cap").flatMap { value($0, [.ratio], "the cap") }
                return .kelly(f, cap: cap)
            }
        }
        let t = scalarValue(checkExpr(e, env))
        if t.type.isError { return nil }
        if t.type.dim == .ratio {
            if let v = t.constantNumber, v <= 0 || (!isEntry && v > 1) {
                diags.error(.sizingArgument, isEntry ? "a size must be greater than 0%" : "an exit closes between 0% and 100% of the position", at: e.range)
                return nil
            }
            return isEntry ? .equity(t) : .position(t)
        }
        if t.type.dim == .qty { return .qty(t) }
        if !isEntry {
            diags.error(.exitSizeType, "an exit is sized as a share of the position (`size 50%`) or a quantity (`size qty(…)`), not a \(t.type.dim.name)", at: e.range)
            return nil
        }
        diags.error(.invalidSizing,
                    "expected a size: `10%` of equity, `qty(…)`, `notional(…)`, `equity(…)`, `risk(…)`, `volatility(…)` or `kelly(…)`; this is a \(t.type.dim.name)",
                    at: e.range, fixIts: t.type.untyped ? [FixIt(range: e.range, replacement: "qty(\(sourceText(e)))")] : [])
        return nil
    }

    // MARK: Which side of the entry

    enum Relation { case above, below, unknown }

    /// The entry price an order's stop and take are measured from: its limit or stop
    /// price, else (a market order) the close it is decided on.
    func entryReference(_ order: TOrder) -> TExpr? {
        switch order.type {
        case .market: nil
        case .limit(let p): p
        case .stop(let p): p
        case .stopLimit(_, let l): l
        }
    }

    mutating func checkProtectiveSide(_ spec: TPriceSpec, _ e: Expr, _ order: TOrder, isStop: Bool, _ o: OrderAction) {
        // Exits protect the position being closed: `exit long stop X` guards a long.
        let long = order.side == .long
        let wantBelow = long == isStop
        let rel: Relation
        switch spec {
        case .percent(let p):
            rel = p.constantNumber.map { $0 <= 0 ? (wantBelow ? .above : .below) : (wantBelow ? .below : .above) } ?? .unknown
            if rel != .unknown, (rel == .below) != wantBelow {
                diags.error(isStop ? .stopWrongSide : .takeWrongSide,
                            "a \(isStop ? "stop" : "take") distance must be a positive percentage; its side follows from the position",
                            at: e.range)
            }
            return
        case .price(let p):
            if let ref = entryReference(order), order.isEntry {
                rel = relation(p, ref)
            } else if order.isEntry {
                rel = compare(p, toClose: ())
            } else {
                rel = .unknown
            }
        }
        let wrong = (wantBelow && rel == .above) || (!wantBelow && rel == .below)
        guard wrong else { return }
        let name = isStop ? "stop" : "take"
        let side = long ? "long" : "short"
        diags.error(isStop ? .stopWrongSide : .takeWrongSide,
                    "this \(name) is \(rel == .above ? "above" : "below") the entry of a \(side), so it would \(isStop ? "stop out" : "take profit") at once",
                    at: e.range,
                    notes: [Note("a \(side)'s \(name) goes \(wantBelow ? "below" : "above") its entry, as in `\(name) close \(wantBelow ? "-" : "+") 2 * atr(14)`")])
    }

    func compare(_ p: TExpr, toClose: ()) -> Relation {
        relation(p, TExpr(.field(.close), SType(.series, .price), p.range))
    }

    /// Whether `a` is surely above or below `b`: both constants, or `a` written as
    /// `b ± d` with `d` surely positive (a positive constant, ATR, a standard deviation…).
    /// Looks through references to lets. These are hints, so they look only
    /// `Self.hintDepth` levels deep (a chain of lets can be any length) and
    /// answer "unknown" below that.
    func resolved(_ e: TExpr) -> TExpr {
        var e = e
        while true {
            switch e.kind {
            case .binding(let i): e = strategy.lets[i].value
            case .shared(let i): e = strategy.shared[i]
            default: return e
            }
        }
    }

    static let hintDepth = 32

    func relation(_ a0: TExpr, _ b0: TExpr) -> Relation {
        let a = resolved(a0), b = resolved(b0)
        if let x = a.constantNumber, let y = b.constantNumber {
            return x > y ? .above : x < y ? .below : .unknown
        }
        // `a` is `l op r`: its run without the last step, and that step.
        guard case .binary(let head, let steps) = a.kind, let last = steps.last else { return .unknown }
        let l = steps.count == 1 ? head : TExpr(.binary(head, Array(steps.dropLast())), steps[steps.count - 2].type, a.range)
        let op = last.op, r = last.rhs
        if op == .add || op == .sub, sameValue(l, b) {
            switch sign(r) {
            case 1: return op == .add ? .above : .below
            case -1: return op == .add ? .below : .above
            default: return .unknown
            }
        }
        if op == .add, sameValue(r, b) {
            switch sign(l) { case 1: return .above; case -1: return .below; default: return .unknown }
        }
        return .unknown
    }

    /// 1 when surely positive, -1 when surely negative, 0 when unknown.
    func sign(_ e0: TExpr, depth: Int = 0) -> Int {
        guard depth < Self.hintDepth else { return 0 }
        let e = resolved(e0)
        if let v = e.constantNumber { return v > 0 ? 1 : v < 0 ? -1 : 0 }
        switch e.kind {
        case .input(let i):
            if let lo = strategy.inputs[i].lower, lo > 0 { return 1 }
            if let hi = strategy.inputs[i].upper, hi < 0 { return -1 }
            return 0
        case .builtin(let name, _) where ["atr", "natr", "trange", "stddev", "variance"].contains(name):
            return 1
        case .unary(.negate, let x): return -sign(x, depth: depth + 1)
        case .binary(let head, let steps):
            var s = sign(head, depth: depth + 1)
            for step in steps where s != 0 {
                let r = sign(step.rhs, depth: depth + 1)
                switch step.op {
                case .mul, .div: s *= r
                case .add: s = s == r ? s : 0
                default: s = 0
                }
            }
            return s
        case .context(let x, _, _): return sign(x, depth: depth + 1)
        default: return 0
        }
    }

    /// Structural equality of two typed expressions.
    func sameValue(_ a0: TExpr, _ b0: TExpr, depth: Int = 0) -> Bool {
        if case .binding(let i) = a0.kind, case .binding(let j) = b0.kind, i == j { return true }
        guard depth < Self.hintDepth else { return false }
        let a = resolved(a0), b = resolved(b0)
        func same(_ x: TExpr, _ y: TExpr) -> Bool { sameValue(x, y, depth: depth + 1) }
        switch (a.kind, b.kind) {
        case (.constant(let x), .constant(let y)): return x == y
        case (.input(let x), .input(let y)): return x == y
        case (.field(let x), .field(let y)): return x == y && a.type.clock == b.type.clock
        case (.unary(let o1, let x), .unary(let o2, let y)): return o1 == o2 && same(x, y)
        case (.binary(let h1, let s1), .binary(let h2, let s2)):
            return s1.count == s2.count && same(h1, h2) && zip(s1, s2).allSatisfy { $0.op == $1.op && same($0.rhs, $1.rhs) }
        case (.builtin(let f, let xs), .builtin(let g, let ys)):
            return f == g && xs.count == ys.count && zip(xs, ys).allSatisfy { same($0, $1) }
        case (.history(let x, let o1), .history(let y, let o2)): return same(x, y) && same(o1, o2)
        case (.member(let x, let i), .member(let y, let j)): return i == j && same(x, y)
        case (.context(let x, let t1, let s1), .context(let y, let t2, let s2)): return t1 == t2 && s1 == s2 && same(x, y)
        default: return false
        }
    }

    func sourceText(_ e: Expr) -> String { diags.file.text(of: e.range) }

    // MARK: Risk block

    mutating func checkRisk(_ b: RiskBlock) {
        var seen: [String: SourceRange] = [:]
        func param(_ e: Expr, _ dims: [Dimension], _ what: String, range lo: Double, _ hi: Double,
                   loOpen: Bool = true, hiOpen: Bool = false) -> ParamValue? {
            var t = scalarValue(checkExpr(e, Env()))
            if t.type.isError { return nil }
            if t.type.qualifier == .series {
                diags.error(.seriesRiskLimit, "a risk limit must be known before the run (a constant or an input)", at: e.range)
                return nil
            }
            if t.type.untyped, let d = dims.first(where: { $0 != .ratio }) { t.type.dim = d }
            guard dims.contains(t.type.dim) else {
                diags.error(.riskLimitType, "\(what) is a \(dims.map(\.name).joined(separator: " or ")), not a \(t.type.dim.name)", at: e.range,
                            notes: dims.contains(.ratio) && t.type.untyped ? [Note("write a percentage, as in `20%`")] : [],
                            fixIts: dims.contains(.ratio) && t.type.untyped ? [FixIt(range: e.range, replacement: sourceText(e) + "%")] : [])
                return nil
            }
            if let v = t.constantNumber {
                let below = loOpen ? v <= lo : v < lo
                let above = hiOpen ? v >= hi : v > hi
                if below || above {
                    let show = { (x: Double) in dims == [.ratio] ? "\(fmt(x * 100))%" : fmt(x) }
                    diags.error(.riskLimitRange, "\(what) must lie in \(loOpen ? "(" : "[")\(show(lo)), \(show(hi))\(hiOpen ? ")" : "]"), not \(show(v))",
                                at: e.range)
                    return nil
                }
                return .const(v)
            }
            if case .input(let i) = t.kind { return .input(i) }
            return nil
        }
        for l in b.limits {
            if let first = seen[l.name] {
                diags.error(.duplicateRiskLimit, "`max \(l.name)` is given twice", at: l.range, notes: [Note("first given here", at: first)])
                continue
            }
            seen[l.name] = l.range
            switch l.kind {
            case .drawdown(let v, let over, let then):
                guard let limit = param(v, [.ratio], "the drawdown limit", range: 0, 1, hiOpen: true) else { continue }
                var response = DrawdownResponse.halt(pause: nil)
                switch then {
                case .reduce(let s):
                    guard let f = param(s, [.ratio], "the scale after a drawdown", range: 0, 1, hiOpen: true) else { continue }
                    response = .scale(f)
                case .halt(let pause?):
                    guard let d = param(pause, [.duration], "the pause after a drawdown", range: 0, 100 * 365 * 86_400) else { continue }
                    response = .halt(pause: d)
                case .halt(nil): break
                }
                if let over {
                    guard let w = param(over, [.duration], "the drawdown window", range: 0, 100 * 365 * 86_400) else { continue }
                    strategy.risk.drawdownWindow = w
                }
                strategy.risk.maxDrawdown = (limit, response)
            case .leverage(let v):
                strategy.risk.maxLeverage = param(v, [.float], "the leverage limit", range: 0, 125)
                if case .const(let x)? = strategy.risk.maxLeverage, x > 1, strategy.market.kind == .spot, !strategy.market.allowsShort {
                    diags.error(.leverageWithoutMargin, "a spot account without margin never borrows, so a leverage limit above 1x never binds",
                                at: l.range, notes: [Note("`market spot(margin: true)` borrows to sell short; a perp takes leverage")])
                }
            case .position(let v):
                strategy.risk.maxPosition = param(v, [.ratio], "the position limit", range: 0, 100)
            case .exposure(let v):
                strategy.risk.maxExposure = param(v, [.ratio], "the gross exposure limit", range: 0, 1000)
            case .correlation(let v, let over):
                guard let c = param(v, [.float, .ratio], "the correlation limit", range: 0, 1),
                      let n = param(over, [.int], "the correlation window", range: 2, 100_000, loOpen: false) else { continue }
                strategy.risk.maxCorrelation = (c, n)
                if strategy.universe.count <= 1, strategy.membership == nil {
                    diags.error(.correlationOneSymbol, "a correlation limit compares symbols held together, and this strategy trades one symbol",
                                at: l.range, notes: [Note("declare a `universe` of two or more symbols, or drop the limit")])
                }
            case .dailyLoss(let v):
                strategy.risk.maxDailyLoss = param(v, [.ratio], "the daily loss limit", range: 0, 1, hiOpen: true)
            case .tradeRisk(let v):
                strategy.risk.maxTradeRisk = param(v, [.ratio], "the risk per trade", range: 0, 1)
            case .openRisk(let v):
                strategy.risk.maxOpenRisk = param(v, [.ratio], "the open risk limit", range: 0, 10)
            }
        }
    }
}
