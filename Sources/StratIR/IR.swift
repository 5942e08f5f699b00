import StratSema
import StratSyntax

/// The compiled form of a strategy: flat, typed, serialisable. Nodes are in
/// topological order (every argument index is smaller than the node's own), so a
/// runtime evaluates a bar with one forward pass over `nodes`. Identical nodes are
/// stored once (common-subexpression elimination); constant subtrees are folded.
public struct IRProgram: Codable, Sendable, Equatable {
    public var format = "strat-ir/1"
    public var strategies: [IRStrategy]
}

public struct IRStrategy: Codable, Sendable, Equatable {
    public var name: String
    public var market: IRMarket
    /// Symbols the strategy trades; empty means "the one symbol the data provides".
    public var universe: [String]
    /// Other symbols read with `@$SYMBOL`.
    public var referencedSymbols: [String]
    /// Base timeframe in seconds; nil takes the data's timeframe.
    public var timeframe: Int64?
    /// `timeframe 1M`: calendar months as the base timeframe (`timeframe` is nil).
    public var timeframeMonths: Int?
    /// Every timeframe the nodes run on, base first.
    public var timeframes: [Int64]
    public var inputs: [IRInput]
    public var nodes: [IRNode]
    /// Named values (`let`s), for the REPL, debugging and reports.
    public var lets: [IRNamed]
    public var rules: [IRRule]
    /// `universe top N by …`: the node that is true for the symbols in the
    /// universe on a bar; nil for a fixed universe.
    public var membership: Int?
    /// Seconds between re-rankings of a dynamic universe; nil: every bar.
    public var rebalance: Int64?
    /// Calendar months between re-rankings (`every month` 1, `quarter` 3, `year` 12).
    public var rebalanceMonths: Int?
    /// `pyramiding N`: entries that may add to an open position; nil: none.
    public var pyramiding: Int?
    public var risk: IRRisk
    public var warmup: IRWarmup
    /// SHA-256 of the strategy's canonical JSON without source locations (so moving
    /// code or editing comments keeps the hash).
    public var hash: String = ""
}

/// The market a strategy trades (typed: the engine picks its portfolio from it).
public struct IRMarket: Codable, Sendable, Equatable {
    public var kind: MarketKind
    public var leverage: Double
    public var margin: MarginMode
    /// Perpetuals: one-way (nil, the default) or hedge.
    public var mode: PositionMode?

    public init(kind: MarketKind, leverage: Double, margin: MarginMode, mode: PositionMode? = nil) {
        self.kind = kind
        self.leverage = leverage
        self.margin = margin
        self.mode = mode
    }
}

public struct IRInput: Codable, Sendable, Equatable {
    public var name: String
    public var type: String
    public var defaultValue: Double
    public var min: Double?
    public var max: Double?
    public var step: Double?
}

/// A value known before the run.
public enum IRParam: Codable, Sendable, Hashable {
    case const(Double)
    case input(Int)
    /// An input-qualified node (e.g. `fast * 2`), computed once before the first bar.
    case node(Int)

    enum Keys: String, CodingKey { case input, node }
    public init(from decoder: Decoder) throws {
        if let v = try? decoder.singleValueContainer().decode(Double.self) { self = .const(v); return }
        let c = try decoder.container(keyedBy: Keys.self)
        if let i = try c.decodeIfPresent(Int.self, forKey: .input) { self = .input(i) } else {
            self = .node(try c.decode(Int.self, forKey: .node))
        }
    }
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .const(let v): var c = encoder.singleValueContainer(); try c.encode(v)
        case .input(let i): var c = encoder.container(keyedBy: Keys.self); try c.encode(i, forKey: .input)
        case .node(let i): var c = encoder.container(keyedBy: Keys.self); try c.encode(i, forKey: .node)
        }
    }
}

public enum IROp: String, Codable, Sendable, Hashable {
    case const, input, field
    case neg, not, add, sub, mul, div, eq, ne, lt, le, gt, ge, and, or
    case select       // args: condition, then, else
    case history      // args: value; params: offset
    case call         // name: builtin; args: series; params: lengths and numbers
    case output       // args: multi-output call; index: which output
}

public struct IRType: Codable, Sendable, Hashable {
    public var qualifier: String   // "const" | "input" | "series"
    public var dim: String         // "Price", "Bool", …, "Tuple"
    /// Timeframe in seconds the node advances on; nil is the base timeframe.
    public var clock: Int64?
}

public struct IRNode: Codable, Sendable, Hashable {
    public var op: IROp
    public var type: IRType
    public var args: [Int] = []
    public var params: [IRParam] = []
    /// Constant value (Bool as 0/1).
    public var value: Double?
    /// Field, builtin or symbol-constant name.
    public var name: String?
    /// Input index, or output index of a multi-output call.
    public var index: Int?
    /// Evaluate for this symbol instead of the current one (`@$ETHUSDT`).
    public var symbol: String?
}

public struct IRNamed: Codable, Sendable, Equatable {
    public var name: String
    public var node: Int
}

public struct IRSource: Codable, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
}

public struct IRRule: Codable, Sendable, Equatable {
    public var condition: Int
    public var actions: [IRAction]
    public var source: IRSource?
}

public struct IRAction: Codable, Sendable, Equatable {
    /// `cancel` with a side cancels that side's resting entries, without one
    /// both sides' (`cancel entries`); `cancelAll` cancels every resting order.
    public enum Kind: String, Codable, Sendable { case enter, exit, flatten, cancel, cancelAll = "cancel_all" }
    public var kind: Kind
    /// nil for `flatten`, `cancel entries` and `cancel all`.
    public var side: Side?
    public var order: IROrder?
    /// The line that produced the order; the engine reports it with each trade.
    public var source: IRSource?
}

public struct IROrder: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case market, limit, stop, stopLimit = "stop_limit" }
    public var type: Kind
    /// Limit price (limit), trigger price (stop, stop_limit).
    public var price: Int?
    /// The limit of a stop-limit.
    public var limitPrice: Int?
    public var size: IRSizing
    public var stop: IRPriceSpec?
    public var take: IRPriceSpec?
    public var trail: IRPriceSpec?
    public var tif: TimeInForce
    public var expireBars: IRParam?
    public var expireSeconds: IRParam?
    public var reduceOnly: Bool
    public var postOnly: Bool
    /// An iceberg's visible quantity (node).
    public var display: Int?
    /// Stops trigger on the mark price (`trigger mark`), not the last price.
    public var triggerOnMark: Bool?
}

extension IRRule {
    /// The rule with every node reference passed through `f`: the one walk over a
    /// rule's references, used to collect them and to renumber them.
    public func mapNodes(_ f: (Int) -> Int) -> IRRule {
        var r = self
        r.condition = f(condition)
        r.actions = actions.map { a in
            var a = a
            guard var o = a.order else { return a }
            o.price = o.price.map(f)
            o.limitPrice = o.limitPrice.map(f)
            func spec(_ x: IRPriceSpec?) -> IRPriceSpec? { x.map { IRPriceSpec(kind: $0.kind, node: f($0.node)) } }
            o.stop = spec(o.stop)
            o.take = spec(o.take)
            o.trail = spec(o.trail)
            o.display = o.display.map(f)
            o.size.args = o.size.args.map(f)
            func param(_ x: IRParam?) -> IRParam? { if case .node(let i) = x { .node(f(i)) } else { x } }
            o.expireBars = param(o.expireBars)
            o.expireSeconds = param(o.expireSeconds)
            a.order = o
            return a
        }
        return r
    }
}

public struct IRSizing: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case allIn = "all_in", qty, notional, equity, risk, volatility, kelly, position }
    public var kind: Kind
    /// Node arguments: qty/notional/equity/position: [value]; risk: [fraction, stop?];
    /// volatility: [fraction, distance]; kelly: [fraction, cap?].
    public var args: [Int]
}

public struct IRPriceSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case price, percent }
    public var kind: Kind
    public var node: Int
}

public struct IRRisk: Codable, Sendable, Equatable {
    public var maxDrawdown: IRParam?
    /// "halt", or "scale" with `drawdownScale`.
    public var drawdownAction: String?
    public var drawdownScale: IRParam?
    public var maxLeverage: IRParam?
    public var maxPosition: IRParam?
    public var maxExposure: IRParam?
    public var maxCorrelation: IRParam?
    public var correlationBars: IRParam?
    public var maxDailyLoss: IRParam?
    /// `over 30d` (seconds): the drawdown is measured from the window's high-water mark.
    public var drawdownWindow: IRParam?
    /// `then halt for 5d` (seconds).
    public var haltPause: IRParam?
    public var maxTradeRisk: IRParam?
    public var maxOpenRisk: IRParam?

    /// Whether the block sets any limit.
    public var isEmpty: Bool {
        [maxDrawdown, maxLeverage, maxPosition, maxExposure, maxCorrelation, maxDailyLoss, maxTradeRisk, maxOpenRisk].allSatisfy { $0 == nil }
    }
}

/// Bars of the base timeframe before the first possible signal.
public struct IRWarmup: Codable, Sendable, Equatable {
    public init(atDefaults: Int, atMaximum: Int) { self.atDefaults = atDefaults; self.atMaximum = atMaximum }
    public var atDefaults: Int
    /// The largest warm-up over the inputs' declared ranges.
    public var atMaximum: Int
}
