/// A round trip: from flat to flat in one symbol, or in hedge mode one leg
/// (adding to a position averages its entry; partial exits average its exit).
public struct Trade: Codable, Sendable, Equatable {
    public var symbol: String
    public var side: String               // "long" | "short"
    public var qty: Double
    public var entryTime: Int64
    public var entryPrice: Double
    public var exitTime: Int64?
    public var exitPrice: Double?
    public var pnl: Double?
    public var returnPct: Double?
    public var fees: Double
    public var barsHeld: Int
    public var entryLine: Int?
    public var exitLine: Int?
    /// The risk limit that cut the entry's size, if one did.
    public var riskLimit: String?
    /// Funding paid over the trade's life (negative: received); perpetuals.
    public var funding = 0.0
    /// Interest paid on the borrowed asset of a spot margin short.
    public var interest = 0.0
    /// What closed it: `signal`, `stop`, `take`, `trail`, `flatten`, `reverse`,
    /// `universe`, `risk` or `liquidation`.
    public var exitReason: String?
    /// The orders whose fills opened it and last reduced it (for `strat explain`).
    public var entryOrder: Int? = nil
    public var exitOrder: Int? = nil
    /// Maximum adverse and favourable excursion: the worst and best price the
    /// trade's bars reached, as a signed fraction of the entry price in the
    /// trade's direction (MAE ≤ 0 ≤ MFE): its fill prices and the whole range of
    /// every bar it was still open at the close of (the entry bar's included, as
    /// a bar gives no order inside it).
    public var mae = 0.0
    public var mfe = 0.0
}

/// Wins and losses of the closed trades (for Kelly sizing).
public struct TradeStats: Sendable, Equatable {
    public var closed = 0
    public var wins = 0
    public var losses = 0
    public var grossWin = 0.0
    public var grossLoss = 0.0

    /// Kelly's W − (1 − W)/R (W the share of winners, R the average win over the
    /// average loss); nil until there is a win and a loss.
    public var kelly: Double? {
        guard wins > 0, losses > 0 else { return nil }
        let w = Double(wins) / Double(closed)
        let r = (grossWin / Double(wins)) / (grossLoss / Double(losses))
        return w - (1 - w) / r
    }
}

/// Builds round-trip trades from fills as they happen.
public struct TradeBook {
    public private(set) var trades: [Trade] = []
    /// Room for about `n` trades, made at once.
    public mutating func reserve(trades n: Int) {
        trades.reserveCapacity(n)
        exits.reserveCapacity(n)
    }
    public private(set) var stats = TradeStats()
    /// The open trades, one per symbol (per leg, in hedge mode), with their
    /// index in `trades`. (A list, not a dictionary: it holds a trade or two,
    /// and is read at every fill and bar.)
    var open: [(key: Key, trade: Int)] = []
    struct Key: Equatable { var symbol: String; var leg: PositionSide? }
    /// Per trade, beside `trades`: how it is being exited so far, and where it began.
    var exits: [Exit] = []
    struct Exit {
        var entryBar: Int          // the symbol's bar index at entry
        var quantity = 0.0
        var price: Double?         // average exit price so far
    }

    func openTrade(_ key: Key) -> Int? { open.first { $0.key == key }?.trade }

    public init() {}

    /// `line`: the source line of the rule that sent the order; `bar`: the index
    /// of the symbol's bar the fill happened in (for bars held).
    public mutating func record(_ f: Fill, line: Int?, positionAfter: Double, bar: Int, riskLimit: String? = nil, reason: String? = nil) {
        let signed = f.side.sign * f.quantity
        if let i = openTrade(Key(symbol: f.symbol, leg: f.leg)) {
            let long = trades[i].side == "long"
            if (signed > 0) == long {
                // Adding to the position.
                let entryPrice = trades[i].entryPrice
                trades[i].qty += f.quantity
                trades[i].entryPrice = average(entryPrice, f.price, f.quantity, total: trades[i].qty)
                trades[i].fees += f.fee
                if trades[i].riskLimit == nil { trades[i].riskLimit = riskLimit }
            } else {
                let closing = min(f.quantity, trades[i].qty - exits[i].quantity)
                exits[i].quantity += closing
                exits[i].price = average(exits[i].price ?? f.price, f.price, closing, total: exits[i].quantity)
                trades[i].fees += f.fee * closing / f.quantity
                trades[i].exitLine = line
                trades[i].exitReason = reason
                trades[i].exitOrder = f.order
                excursion(i, high: f.price, low: f.price)
                if positionAfter == 0 || (positionAfter > 0) != long {
                    close(i, at: f.time, bar: bar)
                    if positionAfter != 0 {
                        // Flipped: the rest of the fill opens the other side.
                        start(f, quantity: f.quantity - closing, fee: f.fee * (f.quantity - closing) / f.quantity, line: line, bar: bar,
                              riskLimit: riskLimit)
                    }
                }
            }
        } else if positionAfter != 0 {
            start(f, quantity: f.quantity, fee: f.fee, line: line, bar: bar, riskLimit: riskLimit)
        }
    }

    mutating func start(_ f: Fill, quantity: Double, fee: Double, line: Int?, bar: Int, riskLimit: String?) {
        exits.append(Exit(entryBar: bar))
        open.append((Key(symbol: f.symbol, leg: f.leg), trades.count))
        trades.append(Trade(symbol: f.symbol, side: f.side == .buy ? "long" : "short", qty: quantity, entryTime: f.time,
                            entryPrice: f.price, exitTime: nil, exitPrice: nil, pnl: nil, returnPct: nil, fees: fee,
                            barsHeld: 0, entryLine: line, exitLine: nil, riskLimit: riskLimit, entryOrder: f.order))
        excursion(trades.count - 1, high: f.price, low: f.price)
    }

    /// A bar of `symbol` closed: its open trades' excursions take in its range.
    public mutating func mark(_ symbol: String, high: Double, low: Double) {
        guard !open.isEmpty else { return }
        for (key, i) in open where key.symbol == symbol { excursion(i, high: high, low: low) }
    }

    mutating func excursion(_ i: Int, high: Double, low: Double) {
        // (Fields read one by one: a copy of the trade retains and releases its strings.)
        let long = trades[i].side == "long", entry = trades[i].entryPrice
        let up = (high - entry) / entry, down = (low - entry) / entry
        trades[i].mfe = max(trades[i].mfe, long ? up : -down)
        trades[i].mae = min(trades[i].mae, long ? down : -up)
    }

    mutating func close(_ i: Int, at time: Int64, bar: Int) {
        let t = trades[i]
        trades[i].barsHeld = bar - exits[i].entryBar
        let exit = exits[i].price!
        let gross = (exit - t.entryPrice) * t.qty * (t.side == "long" ? 1 : -1)
        trades[i].exitTime = time
        trades[i].exitPrice = exit
        let pnl = gross - t.fees - t.funding - t.interest
        trades[i].pnl = pnl
        trades[i].returnPct = pnl / (t.entryPrice * t.qty)
        stats.closed += 1
        if pnl > 0 { stats.wins += 1; stats.grossWin += pnl } else if pnl < 0 { stats.losses += 1; stats.grossLoss -= pnl }
        open.removeAll { $0.trade == i }
    }

    /// A running average that is exact when every price is the same.
    func average(_ current: Double, _ price: Double, _ quantity: Double, total: Double) -> Double {
        current + (price - current) * (quantity / total)
    }

    /// At the end: an open trade has been held through every bar since its
    /// entry, the last one included. `lastBar`: the last bar index per symbol.
    public mutating func finish(lastBar: (String) -> Int) {
        for (key, i) in open { trades[i].barsHeld = lastBar(key.symbol) - exits[i].entryBar + 1 }
    }

    /// Borrow interest on the symbol's open (short) trade (it counts in its PnL).
    public mutating func recordInterest(_ symbol: String, _ amount: Double) {
        if let i = openTrade(Key(symbol: symbol, leg: nil)) { trades[i].interest += amount }
    }

    /// A funding payment on the open trade of a symbol (of its leg) (it counts in its PnL).
    public mutating func recordFunding(_ symbol: String, leg: PositionSide? = nil, _ amount: Double) {
        if let i = openTrade(Key(symbol: symbol, leg: leg)) { trades[i].funding += amount }
    }

    /// How much of trade `i` has been exited so far, at what average price (an
    /// open trade may be partly closed).
    public func exited(_ i: Int) -> (quantity: Double, price: Double) { (exits[i].quantity, exits[i].price ?? 0) }
}
