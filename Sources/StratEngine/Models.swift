import StratMarket

/// The models the simulated exchange executes with, each a small protocol with
/// the configured behaviour as its default, so one can be swapped without
/// touching the engine:
///
///     var models = ExecutionModels(config)
///     models.fill = DepthFillModel(books: ["BTCUSDT": book])   // fills walk L2 snapshots
///     let exchange = SimulatedExchange(config: config, portfolio: portfolio, models: models)
public struct ExecutionModels {
    public var fill: any FillModel
    public var slippage: any SlippageModel
    public var fees: any FeeModel
    public var latency: any LatencyModel

    /// The models `config` describes.
    public init(_ config: ExecutionConfig) {
        fill = PathFillModel()
        slippage = config.slippage
        fees = MakerTakerFees(maker: config.makerFee, taker: config.takerFee)
        latency = FixedLatency(milliseconds: config.latency)
    }
}

/// Price moved against the trader on a taker fill, as a fraction of the price.
public protocol SlippageModel: Sendable {
    func fraction(quantity: Double, barVolume: Double) -> Double
}

/// Whether a fill added liquidity (a resting limit order) or took it.
public enum Liquidity: String, Codable, Sendable { case maker, taker }

/// What a fill costs in fees.
public protocol FeeModel: Sendable {
    /// The fee rate (a fraction of the traded value).
    func rate(_ liquidity: Liquidity, symbol: String) -> Double
}

/// Maker and taker fees as fractions of the traded value (`--maker-fees`, `--taker-fees`).
public struct MakerTakerFees: FeeModel {
    public var maker: Double
    public var taker: Double
    public init(maker: Double, taker: Double) { self.maker = maker; self.taker = taker }
    public func rate(_ liquidity: Liquidity, symbol: String) -> Double { liquidity == .maker ? maker : taker }
}

/// How long after it is sent an order becomes active.
public protocol LatencyModel: Sendable {
    func delay(for order: Order) -> Int64
}

/// The same delay for every order (`--latency`).
public struct FixedLatency: LatencyModel {
    public var milliseconds: Int64
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public func delay(for order: Order) -> Int64 { milliseconds }
}

/// A taker order the exchange is about to fill: how much, against what price
/// on the bar's path, and when.
public struct TakerRequest {
    public var symbol: String
    public var side: OrderSide
    public var quantity: Double
    /// The price on the bar's path where the order trades.
    public var reference: Double
    /// When the order meets that price (its active time for a new order).
    public var time: Int64
    public var bar: Bar
    /// Half the bid–ask spread (a fraction), from the data or `--half-spread`.
    public var halfSpread: Double
    public var slippage: any SlippageModel
    /// Whether the rest of what the book cannot take carries over (`--participation`).
    public var capped: Bool
}

/// How a taker order fills: at what price (before fees and tick rounding) and how much.
public protocol FillModel {
    func take(_ r: TakerRequest) -> (price: Double, quantity: Double)
}

/// The default: the whole quantity at the path's price, moved against the
/// trader by the half-spread and the slippage.
public struct PathFillModel: FillModel {
    public init() {}
    public func take(_ r: TakerRequest) -> (price: Double, quantity: Double) {
        let slip = r.slippage.fraction(quantity: r.quantity, barVolume: r.bar.volume)
        return (r.reference * (1 + r.side.sign * (r.halfSpread + slip)), r.quantity)
    }
}
