import StratSyntax

/// The checker's output: a typed tree with names resolved and user functions
/// inlined at each call. Lowering turns it into the IR.

public enum ConstValue: Hashable, Sendable {
    case number(Double)
    case bool(Bool)
    case symbol(String)
}

/// A parameter known before the run: a constant, or an input the batch runner may sweep.
public enum ParamValue: Hashable, Sendable, Codable {
    case const(Double)
    case input(Int)
}

public struct TExpr: Sendable {
    public var kind: Kind
    public var type: SType
    public var range: SourceRange

    public indirect enum Kind: Sendable {
        case constant(ConstValue)
        case input(Int)
        case field(BarField)
        /// A reference to `let` number i (its value lives once, in `CheckedStrategy.lets`).
        case binding(Int)
        /// A reference to value i of `CheckedStrategy.shared`: the result of a
        /// call of a user function, or an argument of one, kept once however
        /// often it is used.
        case shared(Int)
        case unary(UnaryOp, TExpr)
        /// A run of binary operators, folded left as in `Expr.Kind.binary`; each
        /// step carries the type of the value so far. Flat, so a long chain is
        /// walked (and freed) without recursion.
        case binary(TExpr, [TBinaryStep])
        case conditional(TExpr, TExpr, TExpr)
        /// Arguments in parameter order, defaults filled in.
        case builtin(String, [TExpr])
        case history(TExpr, offset: TExpr)
        case member(TExpr, Int)
        /// Evaluate the inner expression on another timeframe and/or symbol.
        case context(TExpr, timeframe: Int64?, symbol: String?)
        case error
    }

    public init(_ kind: Kind, _ type: SType, _ range: SourceRange) {
        self.kind = kind; self.type = type; self.range = range
    }

    /// A value small enough to copy wherever it is used: a constant (or a
    /// negated one), an input, a bar field, a reference, or an error.
    public var isLeaf: Bool {
        switch kind {
        case .constant, .input, .field, .binding, .shared, .error: true
        case .unary(.negate, let x): x.constantNumber != nil
        default: false
        }
    }

    /// The input this is, when it is one.
    public var inputIndex: Int? { if case .input(let i) = kind { i } else { nil } }

    public var constantNumber: Double? {
        if case .constant(.number(let v)) = kind { return v }
        if case .unary(.negate, let x) = kind, let v = x.constantNumber { return -v }
        return nil
    }
}

/// One step of a binary run: `op rhs`, and the type of the value after it.
public struct TBinaryStep: Sendable {
    public var op: BinaryOp
    public var rhs: TExpr
    public var type: SType
    public init(op: BinaryOp, rhs: TExpr, type: SType) { self.op = op; self.rhs = rhs; self.type = type }
}

public struct CheckedInput: Sendable {
    public var name: String
    public var dim: Dimension
    public var defaultValue: Double
    public var lower: Double?
    public var upper: Double?
    public var step: Double?
    public var range: SourceRange
}

public struct CheckedLet: Sendable {
    public var name: String
    public var value: TExpr
    public var range: SourceRange
}

public enum MarginMode: String, Sendable, Codable { case none, isolated, cross }

/// A perpetual's position mode: one net position per symbol, or a long and a
/// short leg apart (`market perp(…, mode: hedge)`).
public enum PositionMode: String, Sendable, Codable { case oneWay = "one_way", hedge }

public struct CheckedMarket: Sendable {
    public var kind: MarketKind = .spot
    public var leverage: Double = 1
    public var margin: MarginMode = .none
    public var mode: PositionMode = .oneWay
    /// Spot accounts may sell short only with `market spot(margin: true)`.
    public var allowsShort: Bool { kind == .perp || margin != .none }
}

public enum TOrderType: Sendable {
    case market
    case limit(TExpr)
    case stop(TExpr)
    case stopLimit(stop: TExpr, limit: TExpr)
}

public enum TSizing: Sendable {
    /// No `size`: all the equity the account can commit.
    case allIn
    case qty(TExpr)
    case notional(TExpr)
    case equity(TExpr)
    case risk(TExpr, stop: TExpr?)
    case volatility(TExpr, distance: TExpr)
    case kelly(TExpr, cap: TExpr?)
    /// For exits: a fraction of the open position.
    case position(TExpr)
}

/// A stop or take: an absolute price, or a distance in percent of the fill price.
public enum TPriceSpec: Sendable {
    case price(TExpr)
    case percent(TExpr)
}

public struct TOrder: Sendable {
    public var side: Side
    public var isEntry: Bool
    public var type: TOrderType = .market
    public var size: TSizing = .allIn
    public var stop: TPriceSpec?
    public var take: TPriceSpec?
    /// A trailing stop: a price distance (e.g. `3 * atr(14)`, re-read every bar) or a percent.
    public var trail: TPriceSpec?
    public var tif: TimeInForce = .gtc
    public var expireBars: TExpr?
    public var expireAfter: TExpr?
    public var reduceOnly = false
    public var postOnly = false
    /// An iceberg's visible quantity (`display Q`).
    public var display: TExpr?
    /// `trigger mark` (true) or `trigger last` (false); nil when not written.
    public var triggerOnMark: Bool?
    public var range: SourceRange
}

public enum TAction: Sendable {
    case order(TOrder)
    case flatten(SourceRange)
    case cancel(Side?, SourceRange)
    case cancelAll(SourceRange)
}

public struct CheckedRule: Sendable {
    public var condition: TExpr
    public var actions: [TAction]
    public var range: SourceRange
}

public enum DrawdownResponse: Sendable, Hashable, Codable {
    /// Halt, for good or (`halt for 5d`) for this many seconds.
    case halt(pause: ParamValue?)
    /// Scale new entries by this fraction.
    case scale(ParamValue)
}

public struct CheckedRisk: Sendable {
    public var maxDrawdown: (limit: ParamValue, then: DrawdownResponse)?
    /// `over 30d`: the high-water mark of a rolling window, in seconds.
    public var drawdownWindow: ParamValue?
    public var maxTradeRisk: ParamValue?
    public var maxOpenRisk: ParamValue?
    public var maxLeverage: ParamValue?
    public var maxPosition: ParamValue?
    public var maxExposure: ParamValue?
    public var maxCorrelation: (limit: ParamValue, bars: ParamValue)?
    public var maxDailyLoss: ParamValue?
}

public struct CheckedStrategy: Sendable {
    public var name: String
    public var range: SourceRange
    public var market = CheckedMarket()
    public var universe: [String] = []
    /// `universe top N by EXPR`: true on a bar for the symbols among the N largest
    /// EXPR across the data (`rank(EXPR) <= N`); nil for a fixed universe.
    public var membership: TExpr?
    /// `… every PERIOD`: seconds between re-rankings (at UTC period starts,
    /// weeks from Monday); nil re-ranks on every bar.
    public var rebalance: Int64?
    /// `… every month|quarter|year`: calendar months between re-rankings (1, 3, 12).
    public var rebalanceMonths: Int?
    /// Base timeframe in seconds; nil when the strategy takes the data's timeframe.
    public var timeframe: Int64?
    /// `timeframe 1M`: a base timeframe of whole calendar months (timeframe nil).
    public var timeframeMonths: Int?
    /// `pyramiding N`: entries that may add to an open position (0: none).
    public var pyramiding = 0
    public var inputs: [CheckedInput] = []
    public var lets: [CheckedLet] = []
    /// Values referenced by `.shared(i)`: what calls of user functions return and
    /// what they are given (see `Checker.callUserFunction`). A value refers only
    /// to lets and shared values made before it.
    public var shared: [TExpr] = []
    public var rules: [CheckedRule] = []
    public var risk = CheckedRisk()
    /// `test` blocks, for `strat test` only: never lowered into the IR.
    public var tests: [CheckedTest] = []
}
