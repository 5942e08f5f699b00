/// The syntax tree. Names follow the productions of Grammar/strat.ebnf; every node
/// carries its `SourceRange`. Broken input yields `.error` nodes so the tree stays whole.

public struct Identifier: Hashable, Sendable {
    public var name: String
    public var range: SourceRange
    public init(_ name: String, _ range: SourceRange) { self.name = name; self.range = range }
}

public struct Program: Sendable {
    public var file: SourceFile
    public var strategies: [StrategyDecl]
    public var comments: [Comment]
}

public struct StrategyDecl: Sendable {
    public var name: Identifier
    public var members: [Member]
    public var range: SourceRange
}

public enum Member: Sendable {
    case market(MarketDecl)
    case universe(UniverseDecl)
    case timeframe(TimeframeDecl)
    case input(InputDecl)
    case binding(LetDecl)
    case function(FnDecl)
    case rule(WhenRule)
    case risk(RiskBlock)
    case pyramiding(PyramidingDecl)
    case test(TestBlock)
    case error(SourceRange)

    public var range: SourceRange {
        switch self {
        case .pyramiding(let d): d.range
        case .test(let d): d.range
        case .market(let d): d.range
        case .universe(let d): d.range
        case .timeframe(let d): d.range
        case .input(let d): d.range
        case .binding(let d): d.range
        case .function(let d): d.range
        case .rule(let d): d.range
        case .risk(let d): d.range
        case .error(let r): r
        }
    }
}

public enum MarketKind: String, Sendable, Codable { case spot, perp }

public struct CallArgument: Sendable {
    public var label: Identifier?
    public var value: Expr
    public var range: SourceRange { label.map { $0.range.union(value.range) } ?? value.range }
}

public struct MarketDecl: Sendable {
    public var kind: MarketKind
    public var kindRange: SourceRange
    public var arguments: [CallArgument]
    public var range: SourceRange
}

public struct UniverseDecl: Sendable {
    public var symbols: [Identifier]      // names as written, without `$`
    /// `universe top 10 by EXPR`: the N symbols with the largest EXPR on each bar.
    public var top: Expr? = nil
    public var by: Expr? = nil
    /// `… every 1w`: membership is re-ranked only at the start of each period.
    public var every: Expr? = nil
    public var range: SourceRange
}

/// `pyramiding N`: how many entries may add to an open position in their
/// direction (0, the default: none).
public struct PyramidingDecl: Sendable {
    public var value: Expr
    public var range: SourceRange
}

public struct TimeframeDecl: Sendable {
    public var value: Expr
    public var range: SourceRange
}

public struct TypeName: Sendable {
    public var name: Identifier
}

public struct InputDecl: Sendable {
    public var name: Identifier
    public var type: TypeName?
    public var defaultValue: Expr
    public var lower: Expr?
    public var upper: Expr?
    public var step: Expr?
    public var range: SourceRange
}

public struct LetDecl: Sendable {
    /// One name, or several for `let (a, b) = …` destructuring.
    public var names: [Identifier]
    public var isTuple: Bool
    public var type: TypeName?
    public var value: Expr
    public var range: SourceRange
}

public struct FnDecl: Sendable {
    public var name: Identifier
    public var parameters: [Identifier]
    public var body: Expr
    public var range: SourceRange
}

/// `test "name" { bars "FILE.csv" from DATE to DATE; expect … }`: a check the
/// strategy carries, run by `strat test` and ignored by every other command.
public struct TestBlock: Sendable {
    public var name: String
    public var nameRange: SourceRange
    public var items: [TestItem]
    public var range: SourceRange
}

public enum TestItem: Sendable {
    /// `bars "FILE.csv" [from DATE] [to DATE]`: the data, relative to the strategy file.
    case bars(path: String, pathRange: SourceRange, from: Expr?, to: Expr?, range: SourceRange)
    case expect(Expectation)
    /// `session "Mon-Fri 14:30-21:00"`: the run's trading session, which `inSession` reads.
    case session(String, SourceRange)

    public var range: SourceRange {
        switch self {
        case .bars(_, _, _, _, let r): r
        case .expect(let e): e.range
        case .session(_, let r): r
        }
    }
}

public struct Expectation: Sendable {
    public enum Kind: Sendable {
        /// `expect trades == 3`, `expect trade(1).entry_time == 2005-03-02`: about the run's trades.
        case run(Expr)
        /// `expect COND always`: a Bool series true on every bar where it is not na.
        case always(Expr)
        /// `expect X between LO and HI always`: LO <= X <= HI on every bar where X is not na.
        case between(Expr, Expr, Expr)
        /// `expect no position while COND`: flat throughout every bar where COND is true.
        case noPositionWhile(Expr)
    }
    public var kind: Kind
    public var range: SourceRange
}

public struct WhenRule: Sendable {
    public var condition: Expr
    public var actions: [Action]
    public var range: SourceRange
}

public enum Side: String, Sendable, Codable { case long, short }

public enum Action: Sendable {
    case enter(OrderAction)
    case exit(OrderAction)
    case flatten(SourceRange)
    /// `cancel long`, `cancel short` (that side's resting entries), or
    /// `cancel entries` (side nil: the resting entries of both sides).
    case cancel(side: Side?, range: SourceRange)
    /// `cancel all`: every resting order, the open position's stops and takes too.
    case cancelAll(SourceRange)
    case error(SourceRange)

    public var range: SourceRange {
        switch self {
        case .enter(let o), .exit(let o): o.range
        case .flatten(let r), .cancel(_, let r), .cancelAll(let r), .error(let r): r
        }
    }
}

public enum OrderType: Sendable {
    case market
    case limit(Expr)
    case stop(Expr)
    case stopLimit(stop: Expr, limit: Expr)
}

public enum TimeInForce: String, Sendable, Codable, CaseIterable { case gtc, ioc, fok, day, gtd }

public enum OrderClause: Sendable {
    case stop(Expr)
    case take(Expr)
    case trail(Expr)
    case tif(TimeInForce)
    /// `expire after 5 bars` (inBars) or `expire after 12h`.
    case expire(Expr, inBars: Bool)
    case reduceOnly
    case postOnly
    /// `display Q`: an iceberg, showing (and filling) at most Q per bar.
    case display(Expr)
    /// `trigger mark` (true) or `trigger last` (false, the default): which
    /// price a perpetual's stop prices are compared with.
    case trigger(mark: Bool)
}

public struct ClauseNode: Sendable {
    public var clause: OrderClause
    public var keyword: SourceRange
    public var range: SourceRange
}

public struct OrderAction: Sendable {
    public var side: Side
    public var sideRange: SourceRange
    public var orderType: OrderType
    public var orderTypeRange: SourceRange?
    public var size: Expr?
    public var clauses: [ClauseNode]
    public var range: SourceRange
    /// Range of the `enter`/`exit` keyword.
    public var keyword: SourceRange
}

public struct RiskBlock: Sendable {
    public var limits: [RiskLimit]
    public var range: SourceRange
}

public enum DrawdownAction: Sendable {
    /// `then halt`, or `then halt for 5d` (a pause).
    case halt(for: Expr?)
    case reduce(Expr)
}

public enum RiskLimitKind: Sendable {
    /// `max drawdown 20% [over 30d] then …`: from the all-time high-water mark, or a window's.
    case drawdown(Expr, over: Expr?, then: DrawdownAction)
    case leverage(Expr)
    case position(Expr)          // % of equity
    case exposure(Expr)          // gross, % of equity
    case correlation(Expr, over: Expr)
    case dailyLoss(Expr)
    /// `max trade risk 1%`: an entry's loss to its stop, as a share of equity.
    case tradeRisk(Expr)
    /// `max open risk 5%`: all positions' losses to their stops, as a share of equity.
    case openRisk(Expr)
}

public struct RiskLimit: Sendable {
    public var kind: RiskLimitKind
    public var name: String       // "drawdown", "leverage", …
    public var range: SourceRange
}

public enum UnaryOp: String, Sendable, Codable { case negate = "-", not }

public enum BinaryOp: String, Sendable, Codable, CaseIterable {
    case add = "+", sub = "-", mul = "*", div = "/"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case and, or

    public var isComparison: Bool {
        switch self { case .eq, .ne, .lt, .le, .gt, .ge: true; default: false }
    }
    public var isLogical: Bool { self == .and || self == .or }
}

public enum Literal: Sendable, Equatable {
    case integer(Int64)
    case float(Double)
    /// Stored as a fraction: `2%` is 0.02; `5bps` is 0.0005.
    case percent(Double)
    case multiplier(Double)
    case duration(seconds: Int64)
    /// `1M`, `3M`: whole calendar months (a timeframe, not a fixed duration).
    case months(Int)
    case bool(Bool)
    case symbol(String)
    /// `2005-01-01`: midnight UTC of that day, in seconds since 1970 (a Time).
    case date(seconds: Int64)
}

/// One step of a binary run: the operator and its right operand.
public struct BinaryOperand: Sendable {
    public var op: BinaryOp
    public var opRange: SourceRange
    public var rhs: Expr
    public init(op: BinaryOp, opRange: SourceRange, rhs: Expr) { self.op = op; self.opRange = opRange; self.rhs = rhs }
}

public struct Expr: Sendable {
    /// Unique within a program; semantic passes keep side tables indexed by it.
    public var id: Int
    public var kind: Kind
    public var range: SourceRange

    public indirect enum Kind: Sendable {
        case literal(Literal, text: String)
        case name(String)
        case unary(UnaryOp, Expr)
        /// A run of binary operators: `first op₁ x₁ op₂ x₂ …` means
        /// `((first op₁ x₁) op₂ x₂) …`, a left fold in the order written (the
        /// parser makes a tighter-binding run an operand: `a + b * c - d` is
        /// `a`, `+ (b * c)`, `- d`). Kept flat so a chain of any length is walked
        /// with a loop; as a nested tree, 100,000 terms overflow the stack when
        /// the tree is walked, and even when it is freed.
        case binary(Expr, [BinaryOperand])
        case call(Identifier, [CallArgument])
        case history(Expr, offset: Expr)
        case member(Expr, Identifier)
        /// `expr @ 4h`, `expr @ $ETHUSDT`: evaluate `expr` on another timeframe or symbol.
        case context(Expr, Expr)
        case conditional(Expr, Expr, Expr)
        case paren(Expr)
        case error
    }
}
