/// Buy or sell. A long entry buys; its exit sells.
public enum OrderSide: String, Codable, Sendable {
    case buy, sell
    public var sign: Double { self == .buy ? 1 : -1 }
    public var opposite: OrderSide { self == .buy ? .sell : .buy }
}

public enum OrderType: String, Codable, Sendable {
    case market, limit, stop
    case stopLimit = "stop_limit"
    case trailingStop = "trailing_stop"
}

public enum TimeInForce: String, Codable, Sendable {
    /// Good till cancelled.
    case gtc
    /// Immediate or cancel: what fills on the first bar the order is active fills; the rest is cancelled.
    case ioc
    /// Fill or kill: all of it on the first bar it is active, or nothing.
    case fok
    /// Good till a date (`expireAt`).
    case gtd
    /// Until the end of the trading day (the session's close; UTC midnight when trading is 24/7).
    case day
}

/// How far a trailing stop sits behind the best price since it became active.
public enum TrailDistance: Codable, Sendable, Equatable {
    /// A price distance. For a distance that follows a series (`trail 3 * atr(14)`)
    /// the driver updates it on every bar close.
    case absolute(Double)
    /// A fraction of the best price (0.02 = 2%).
    case percent(Double)

    func stop(anchor: Double, side: OrderSide) -> Double {
        switch self {
        case .absolute(let d): side == .sell ? anchor - d : anchor + d
        case .percent(let p): side == .sell ? anchor * (1 - p) : anchor * (1 + p)
        }
    }
}

/// The lifecycle of an order. Every change goes through `Order.transition`,
/// which checks it against the transition table (`OrderState.allows`).
public enum OrderState: String, Codable, Sendable, CaseIterable {
    /// Child of a bracket, waiting for its parent's fill.
    case held
    /// Sent, not yet active (latency).
    case pending
    /// Active on the book.
    case working
    /// A stop whose trigger price was reached; it now trades as a market or limit order.
    case triggered
    case partiallyFilled = "partially_filled"
    case filled, cancelled, rejected, expired

    /// The transition table: whether this state may move to `next`. (A switch,
    /// not a lookup: asked at every order event, and hashing a state hashes its name.)
    public func allows(_ next: OrderState) -> Bool {
        switch (self, next) {
        case (.held, .pending), (.held, .working), (.held, .cancelled), (.held, .rejected),
             (.pending, .working), (.pending, .rejected), (.pending, .cancelled), (.pending, .expired),
             (.working, .working), (.working, .triggered), (.working, .partiallyFilled), (.working, .filled),
             (.working, .cancelled), (.working, .expired), (.working, .rejected),
             (.triggered, .partiallyFilled), (.triggered, .filled), (.triggered, .cancelled), (.triggered, .expired),
             (.triggered, .rejected),
             (.partiallyFilled, .partiallyFilled), (.partiallyFilled, .filled), (.partiallyFilled, .cancelled),
             (.partiallyFilled, .expired):
            true
        default: false   // filled, cancelled, rejected and expired are final
        }
    }

    /// The table as sets: the states each state may move to.
    public static let allowed: [OrderState: Set<OrderState>] =
        Dictionary(uniqueKeysWithValues: allCases.map { s in (s, Set(allCases.filter(s.allows))) })

    /// Nothing follows (the table's empty rows; a switch, not a lookup: asked on every bar).
    public var isTerminal: Bool {
        switch self {
        case .filled, .cancelled, .rejected, .expired: true
        case .held, .pending, .working, .triggered, .partiallyFilled: false
        }
    }
    /// Whether the order can trade now.
    public var isLive: Bool { self == .working || self == .triggered || self == .partiallyFilled }
}

public struct IllegalTransition: Error, CustomStringConvertible, Equatable {
    public var order: Int
    public var from: OrderState
    public var to: OrderState
    public var description: String { "order \(order): illegal transition \(from.rawValue) → \(to.rawValue)" }
}

/// One step of an order's history.
public struct OrderEvent: Codable, Sendable, Equatable {
    public var time: Int64
    public var state: OrderState
    public var reason: String?
}

/// Where an order came from: the rule's source line, for reports.
public struct OrderTag: Codable, Sendable, Equatable {
    /// What an order is for in the strategy.
    public enum Role: String, Codable, Sendable {
        /// `enter long|short`.
        case entry
        /// `exit long|short` at market, limit or stop.
        case exit
        /// A stop, take or trailing stop: an entry's bracket, or armed by an exit.
        case protection
        /// Closing the whole position: `flatten`, a reversal, leaving the universe.
        case close
        /// The risk engine's own orders (the drawdown stop).
        case risk
        /// A perpetual position's liquidation, at its liquidation price on the mark.
        case liquidation
    }
    public var rule: Int?
    public var line: Int?
    public var action: String?
    public var role: Role
    /// The risk limit that cut this order's size, if one did.
    public var riskLimit: String?
    public var isEntry: Bool { role == .entry }
    public init(rule: Int? = nil, line: Int? = nil, action: String? = nil, role: Role = .close) {
        self.rule = rule
        self.line = line
        self.action = action
        self.role = role
    }
}

public struct Order: Codable, Sendable, Equatable {
    public var id: Int
    public var symbol: String
    public var side: OrderSide
    public var type: OrderType
    /// Quantity in base units. `nil` sizes the order when it fills, with all the
    /// cash available at the fill price (whole lots), like backtesting.py's default.
    public var quantity: Double?
    public var limitPrice: Double?
    public var stopPrice: Double?
    public var trail: TrailDistance?
    public var timeInForce: TimeInForce = .gtc
    public var expireAt: Int64?
    public var reduceOnly = false
    public var postOnly = false
    /// Iceberg: at most this much is visible (fills) per bar.
    public var displayQuantity: Double?
    /// Stops trigger on the mark price (perpetuals' `trigger mark`; liquidations).
    public var triggerOnMark = false
    /// Hedge mode: the position leg the order trades (an order that sells the
    /// long leg, or buys the short one, only reduces it); nil: the symbol's one
    /// position.
    public var leg: PositionSide?
    /// For an order sized at its fill ("all in"): at most this much value
    /// (what the risk engine allowed).
    public var notionalCap: Double?
    /// Orders of one OCO group cancel each other when one fills.
    public var ocoGroup: Int?
    /// A bracket child becomes active when this order fills.
    public var parent: Int?
    public var tag = OrderTag()

    public private(set) var state: OrderState = .pending
    public private(set) var history: [OrderEvent] = []
    public var filledQuantity = 0.0
    public var averageFillPrice = 0.0
    /// When the order was sent and when it becomes active (sent + latency).
    public var sentAt: Int64 = 0
    public var activeAt: Int64 = 0
    /// Bracket children priced from the entry's fill: stop and limit prices as
    /// fractions added to the fill price (−0.02: 2% below), fixed when it fills.
    public var entryOffsets: (stop: Double?, limit: Double?) {
        get { (stopOffset, limitOffset) }
        set { stopOffset = newValue.stop; limitOffset = newValue.limit }
    }
    public var stopOffset: Double?
    public var limitOffset: Double?
    /// Best price since a trailing stop became active.
    public var trailAnchor: Double?
    /// A trailing stop's current level: it only ever moves in the position's
    /// favour, even when a distance that follows a series widens.
    public var trailLevel: Double?
    /// When the order became active (working).
    public var activatedAt: Int64?

    public init(id: Int, symbol: String, side: OrderSide, type: OrderType, quantity: Double?) {
        self.id = id
        self.symbol = symbol
        self.side = side
        self.type = type
        self.quantity = quantity
    }

    public var remaining: Double? { quantity.map { max(0, $0 - filledQuantity) } }

    /// Moves to `to` if the table allows it, recording the event (unless `recording` is false).
    public mutating func transition(to: OrderState, at time: Int64, reason: String? = nil, recording: Bool = true) throws {
        guard state.allows(to) else { throw IllegalTransition(order: id, from: state, to: to) }
        state = to
        if recording { history.append(OrderEvent(time: time, state: to, reason: reason)) }
    }

    /// Records the initial state (held or pending) when the order is submitted.
    mutating func start(_ initial: OrderState, at time: Int64, recording: Bool = true) {
        state = initial
        history = []
        guard recording else { return }
        // Room for the usual life (sent, active, filled or cancelled) in one allocation.
        history.reserveCapacity(4)
        history.append(OrderEvent(time: time, state: initial, reason: nil))
    }
}

/// One execution.
public struct Fill: Codable, Sendable, Equatable {
    public var order: Int
    public var symbol: String
    public var side: OrderSide
    public var quantity: Double
    public var price: Double
    public var fee: Double
    public var time: Int64
    /// Maker (a resting limit order) or taker.
    public var liquidity: Liquidity
    /// The signed position (of `leg` in hedge mode) right after this fill (what
    /// the trade book follows, so fills of one bar are attributed one by one).
    public var positionAfter = 0.0
    /// Hedge mode: the leg traded (nil: the symbol's one position).
    public var leg: PositionSide?
    /// The price on the bar's path before spread, slippage and tick rounding.
    public var reference = 0.0
    /// A liquidation (at the liquidation price, with the clearance fee).
    public var liquidation = false

    public init(order: Int, symbol: String, side: OrderSide, quantity: Double, price: Double, fee: Double, time: Int64,
                liquidity: Liquidity, positionAfter: Double = 0, reference: Double = 0) {
        self.order = order
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.price = price
        self.fee = fee
        self.time = time
        self.liquidity = liquidity
        self.positionAfter = positionAfter
        self.reference = reference
    }
}
