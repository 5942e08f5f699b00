/// The side of a position.
public enum PositionSide: String, Codable, Sendable {
    case long, short
    /// The side of an order that opens (or adds to) the position.
    public var entry: OrderSide { self == .long ? .buy : .sell }
    /// The side of an order that closes it.
    public var exit: OrderSide { self == .long ? .sell : .buy }
}

/// How large an order should be: the language's sizing forms, with their
/// arguments evaluated when the rule fired.
public enum SizeRule: Sendable, Equatable {
    /// As much as the account allows (entries), or the whole position (exits).
    case allIn
    case quantity(Double)
    /// A value in the quote currency: `notional(1000)`.
    case notional(Double)
    /// A fraction of equity: `size 10%`.
    case equity(Double)
    /// Lose `fraction` of equity if the price reaches `stop`.
    case risk(fraction: Double, stop: Double)
    /// `fraction` of equity per `distance` of price (e.g. an ATR).
    case volatility(fraction: Double, distance: Double)
    /// `fraction` × Kelly's W − (1 − W)/R over the closed trades, at most `cap`.
    case kelly(fraction: Double, cap: Double)
    /// A fraction of the position (exits: `size 50%`).
    case position(Double)
}

/// A stop or take price: absolute, or an offset from a base price (the entry's
/// fill for a bracket, the signal's close for an exit) as a fraction (−0.02: 2% below).
public enum ProtectivePrice: Sendable, Equatable {
    case price(Double)
    case offset(Double)
}

/// What a rule asks for, as a value: the driver maps the strategy's actions
/// to intents; sizing gives them a quantity, the risk engine reviews them, and
/// the order router turns what is accepted into exchange commands.
///
///     var i = OrderIntent(.enter(.long), symbol: "BTCUSDT", reference: close, time: now)
///     i.size = .equity(0.1)
///     i.stop = .offset(-0.02)
///     router.handle(i)
public struct OrderIntent: Sendable {
    public enum Action: Sendable, Equatable {
        case enter(PositionSide)
        case exit(PositionSide)
        /// Cancel every order of the symbol and close the position.
        case flatten
        /// Cancel the resting entries of one side (or of both: nil).
        case cancelEntries(PositionSide?)
        /// Cancel every resting order, the open position's protection too.
        case cancelAll
    }
    public var action: Action
    public var symbol: String
    public var type: OrderType = .market
    public var limitPrice: Double?
    public var stopPrice: Double?
    public var size: SizeRule = .allIn
    /// Set by sizing; nil for an all-in entry (sized at its fill) or a whole-position exit.
    public var quantity: Double?
    /// What the quantity was before the risk engine cut it.
    public var requestedQuantity: Double?
    /// At most what the all-in entry may be worth at its fill (set when risk resizes one).
    public var notionalCap: Double?
    /// The risk limit that cut the quantity, if one did.
    public var riskLimit: String?
    public var stop: ProtectivePrice?
    public var take: ProtectivePrice?
    public var trail: TrailDistance?
    /// The driver's handle on a trailing distance that follows a series (it
    /// updates such trails every bar through `OrderRouter.updateTrails`).
    public var trailSource: Int?
    public var timeInForce: TimeInForce = .gtc
    public var expireAt: Int64?
    public var postOnly = false
    public var reduceOnly = false
    /// Its stop prices (an `at stop` order's, its stop and trail legs') are met
    /// by the mark price (perpetuals' `trigger mark`).
    public var triggerOnMark = false
    public var display: Double?
    /// The price the intent was decided at: the signal bar's close.
    public var reference: Double
    /// When it was decided (the signal bar's close) and the bar it was decided on.
    public var time: Int64
    public var barTime: Int64
    /// The rule and source line that asked for it.
    public var rule: Int?
    public var line: Int?
    /// Why, for closes that are not the strategy's own (leaving the universe, a risk halt).
    public var reason: String?

    public init(_ action: Action, symbol: String, reference: Double, time: Int64, barTime: Int64? = nil) {
        self.action = action
        self.symbol = symbol
        self.reference = reference
        self.time = time
        self.barTime = barTime ?? time
    }

    /// What of the intent is na (or not a usable number), if anything.
    public var naPart: String? {
        if let p = limitPrice, !p.isFinite { return "the limit price is na" }
        if let p = stopPrice, !p.isFinite { return "the stop price is na" }
        if let d = display, !d.isFinite { return "the display is na" }
        func bad(_ p: ProtectivePrice?) -> String? {
            switch p {
            case .price(let v)?: v.isFinite ? (v > 0 ? nil : "not positive") : "na"
            case .offset(let v)?: v.isFinite ? nil : "na"
            case nil: nil
            }
        }
        if let b = bad(stop) { return "the stop is \(b)" }
        if let b = bad(take) { return "the take is \(b)" }
        switch trail {
        case .absolute(let d)?, .percent(let d)?: if !(d.isFinite && d > 0) { return "the trailing distance is \(d.isNaN ? "na" : "not positive")" }
        case nil: break
        }
        return nil
    }

    /// Whether this intent protects its position with a stop, take or trail.
    public var hasProtection: Bool { stop != nil || take != nil || trail != nil }
}
