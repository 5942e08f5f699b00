import StratMarket

/// A fill model that walks an order book (`--depth SYMBOL=FILE.csv`): a taker
/// order takes the levels of the latest snapshot at or before the moment it
/// trades, best first, and fills at the volume-weighted price of what it
/// consumed. What the book cannot take fills at its last level plus slippage —
/// or, under `--participation`, is carried over as the rest of a partial fill.
/// Symbols without a book fill as the path model does.
///
///     var models = ExecutionModels(config)
///     models.fill = DepthFillModel(books: ["BTCUSDT": try DepthCSV.read(path: "btc_l2.csv")])
public struct DepthFillModel: FillModel {
    public var books: [String: [BookSnapshot]]
    let fallback = PathFillModel()

    public init(books: [String: [BookSnapshot]]) { self.books = books }

    /// The latest snapshot at or before `time` (nil before the first).
    public func snapshot(_ symbol: String, at time: Int64) -> BookSnapshot? {
        guard let book = books[symbol], !book.isEmpty else { return nil }
        let later = book.partitioningIndex { $0.time > time }    // the first snapshot after `time`
        return later > 0 ? book[later - 1] : nil
    }

    public func take(_ r: TakerRequest) -> (price: Double, quantity: Double) {
        guard let snap = snapshot(r.symbol, at: r.time) else { return fallback.take(r) }
        let levels = r.side == .buy ? snap.asks : snap.bids
        guard let best = levels.first else { return fallback.take(r) }
        // An estimate for nothing (sizing an all-in order): the best level.
        guard r.quantity > 0 else { return (best.price, 0) }
        var left = r.quantity, cost = 0.0, last = best.price
        for level in levels where left > 0 {
            let q = min(left, level.quantity)
            cost += q * level.price
            left -= q
            last = level.price
        }
        let taken = r.quantity - left
        if left <= 1e-12 * r.quantity { return (cost / r.quantity, r.quantity) }
        if r.capped { return (cost / taken, taken) }
        // Beyond the book: the rest at the last level, moved by the slippage of that rest.
        let beyond = last * (1 + r.side.sign * r.slippage.fraction(quantity: left, barVolume: r.bar.volume))
        return ((cost + left * beyond) / r.quantity, r.quantity)
    }
}
