import StratMarket

/// A USDⓈ-M linear perpetual-futures account, modelled on Binance's: a wallet
/// balance in the quote currency; per symbol a signed position (one-way mode)
/// with its average entry price; unrealised PnL, margins and liquidation
/// valued at the mark price; maintenance margin from dated leverage brackets.
///
/// - Isolated margin: each position holds its own margin — notional / leverage
///   at each opening fill, less what reductions release — and its funding;
///   its margin balance is that margin plus its unrealised PnL.
/// - Cross margin: the wallet backs every position; the margin balance is the
///   wallet plus all unrealised PnL.
///
/// Docs/Perps.md states every rule; the liquidation price is Binance's
/// one-way formula (`liquidationPrice`).
public final class PerpPortfolio: Portfolio {
    public enum Margin: Sendable { case isolated, cross }
    public let initialCash: Double
    /// The wallet balance: deposits, realised PnL, fees and funding.
    public private(set) var wallet: Double
    public var cash: Double { wallet }
    public private(set) var feesPaid = 0.0
    public private(set) var fundingPaid = 0.0
    public private(set) var fundingReceived = 0.0
    /// Losses liquidations could not take from the account (the insurance fund's).
    public private(set) var insuranceFundCovered = 0.0
    public let leverage: Double
    public let margin: Margin
    let data: PerpData
    public private(set) var symbols: [String] = []
    var slots: [String: Int] = [:]
    var held: [Position] = []
    var marks: [Double] = []
    /// Isolated margin per position (0 in cross mode).
    var isolated: [Double] = []
    /// The moment the account is at (the bar being traded), for dated brackets.
    public var now: Int64 = 0

    public init(cash: Double, leverage: Double, margin: Margin, data: PerpData = PerpData(), symbols: [String] = []) {
        initialCash = cash
        wallet = cash
        self.leverage = max(1, leverage)
        self.margin = margin
        self.data = data
        for s in symbols { _ = slot(s) }
    }

    public func slot(_ symbol: String) -> Int {
        if let i = slots[symbol] { return i }
        slots[symbol] = symbols.count
        symbols.append(symbol)
        held.append(Position())
        marks.append(.nan)
        isolated.append(0)
        return symbols.count - 1
    }

    public func position(_ symbol: String) -> Double { slots[symbol].map { held[$0].quantity } ?? 0 }
    public func position(slot: Int) -> Double { held[slot].quantity }
    public func entryPrice(_ symbol: String) -> Double { slots[symbol].map { held[$0].averageCost } ?? 0 }
    public func isolatedMargin(_ symbol: String) -> Double { slots[symbol].map { isolated[$0] } ?? 0 }
    public func mark(_ symbol: String, price: Double) { marks[slot(symbol)] = price }
    public func mark(slot: Int, price: Double) { marks[slot] = price }
    public func latestPrice(_ symbol: String) -> Double? { slots[symbol].flatMap { latest($0) } }
    public func latestPrice(slot: Int) -> Double? { latest(slot) }
    func latest(_ i: Int) -> Double? { marks[i].isNaN ? nil : marks[i] }
    func markOf(_ i: Int) -> Double { latest(i) ?? held[i].averageCost }

    /// Unrealised PnL of a position at the mark.
    func unrealized(_ i: Int) -> Double { held[i].quantity * (markOf(i) - held[i].averageCost) }

    public var equity: Double {
        var e = wallet
        for i in held.indices where held[i].quantity != 0 { e += unrealized(i) }
        return e
    }

    public var grossExposure: Double {
        var g = 0.0
        for i in held.indices where held[i].quantity != 0 { g += abs(held[i].quantity) * markOf(i) }
        return g
    }

    // MARK: Brackets and margins

    /// The bracket table of a symbol now; without one, a single tier that allows
    /// the strategy's leverage with a maintenance rate of 0.5% (about Binance's
    /// first tier for the majors; the backtest warns that it stands in).
    public func table(_ symbol: String) -> BracketTable {
        data.brackets(symbol, at: now) ?? BracketTable(validFrom: .min, brackets: [
            LeverageBracket(notionalFloor: 0, notionalCap: .infinity, maxLeverage: leverage, maintenanceRate: Self.defaultMaintenanceRate, maintenanceAmount: 0),
        ])
    }

    public static let defaultMaintenanceRate = 0.005

    /// Maintenance margin of a notional: notional × MMR − maintenance amount, of its bracket.
    public func maintenance(_ symbol: String, notional: Double) -> Double {
        let b = table(symbol).bracket(for: notional)
        return max(0, notional * b.maintenanceRate - b.maintenanceAmount)
    }

    /// The initial margin the open positions hold: their isolated margins, or
    /// (cross) notional at the mark / leverage.
    var heldInitialMargin: Double {
        var m = 0.0
        for i in held.indices where held[i].quantity != 0 {
            m += margin == .isolated ? isolated[i] : abs(held[i].quantity) * markOf(i) / leverage
        }
        return m
    }

    /// What new positions may use: the wallet (plus unrealised PnL in cross
    /// margin) less the initial margin already held.
    public var availableBalance: Double {
        (margin == .cross ? equity : wallet) - heldInitialMargin
    }

    // MARK: Portfolio

    public func check(symbol: String, side: OrderSide, quantity: Double, price: Double, fee: Double) -> String? {
        guard quantity > 0, price > 0 else { return "quantity and price must be positive" }
        let q = position(symbol)
        let signed = side.sign * quantity
        let after = q + signed
        // The part of the fill that opens (adds to, or flips into) a position.
        let opening = (q == 0 || (q > 0) == (signed > 0)) ? quantity : max(0, quantity - abs(q))
        guard opening > 0 else { return nil }
        let notional = abs(after) * price
        let bracket = table(symbol).bracket(for: notional)
        if bracket.maxLeverage < leverage {
            return "a position of \(NumberText.readable(notional)) in \(symbol) allows at most \(NumberText.readable(bracket.maxLeverage))x "
                + "(its leverage bracket), not \(NumberText.readable(leverage))x"
        }
        // What a flip releases is free before the new side is margined.
        let released = (q != 0 && (q > 0) != (signed > 0)) ? (margin == .isolated ? isolated[slots[symbol]!] : abs(q) * price / leverage) : 0
        let needed = opening * price / leverage + fee
        let available = availableBalance + released
        if needed > available * (1 + 1e-12) {
            return "insufficient margin: \(NumberText.readable(opening)) \(symbol) at \(NumberText.readable(leverage))x needs "
                + "\(NumberText.readable(needed)) (initial margin and fee), available \(NumberText.readable(available))"
        }
        return nil
    }

    public func affordable(symbol: String, side: OrderSide, price: Double, feeRate: Double) -> Double {
        let q = position(symbol)
        let closing = (q > 0) != (side == .buy) ? abs(q) : 0
        let free = availableBalance + (closing > 0 ? abs(q) * price / leverage : 0)
        return closing + max(0, free / (price / leverage + price * feeRate))
    }

    public func apply(_ fill: Fill) {
        let i = slot(fill.symbol)
        var p = held[i]
        let signed = fill.side.sign * fill.quantity
        var cost = fill.fee
        feesPaid += fill.fee
        p.fees += fill.fee
        if p.quantity == 0 || (p.quantity > 0) == (signed > 0) {
            // Opening or adding: the entry price averages; isolated margin is set aside.
            let total = p.quantity + signed
            p.averageCost = (p.averageCost * abs(p.quantity) + fill.price * abs(signed)) / abs(total)
            p.quantity = total
            if margin == .isolated { isolated[i] += fill.quantity * fill.price / leverage }
        } else {
            let closed = min(abs(signed), abs(p.quantity))
            let pnl = closed * (fill.price - p.averageCost) * (p.quantity > 0 ? 1 : -1)
            p.realizedPnL += pnl
            cost -= pnl
            let share = closed / abs(p.quantity)
            let released = isolated[i] * share
            if fill.liquidation {
                // A liquidation takes at most what backs the position: its isolated
                // margin, or (cross) the wallet. The insurance fund covers the rest.
                let backing = margin == .isolated ? released : wallet
                if cost > backing { insuranceFundCovered += cost - backing; cost = backing }
            }
            if margin == .isolated { isolated[i] -= released }
            let total = p.quantity + signed
            if abs(total) < 1e-12 * max(1, abs(p.quantity)) {
                p.quantity = 0
                p.averageCost = 0
                if margin == .isolated { isolated[i] = 0 }
            } else if (total > 0) != (p.quantity > 0) {
                // Flipped: the rest opens the other side at this price.
                p.quantity = total
                p.averageCost = fill.price
                if margin == .isolated { isolated[i] = abs(total) * fill.price / leverage }
            } else {
                p.quantity = total
            }
        }
        wallet -= cost
        held[i] = p
        if marks[i].isNaN { marks[i] = fill.price }
    }

    /// A funding payment at `time`: the position held then pays (or receives)
    /// mark × size × rate; a positive rate makes longs pay shorts. In isolated
    /// margin it moves the position's margin as well as the wallet. Returns the
    /// amount paid (negative: received).
    @discardableResult
    public func fund(_ symbol: String, rate: Double, mark: Double) -> Double {
        guard let i = slots[symbol], held[i].quantity != 0 else { return 0 }
        let pay = held[i].quantity * mark * rate
        wallet -= pay
        if margin == .isolated { isolated[i] -= pay }
        if pay > 0 { fundingPaid += pay } else { fundingReceived -= pay }
        return pay
    }

    /// The cash the fills, funding and insurance imply (for the ledger check).
    public func replayWallet(_ fills: [Fill], funding: Double) -> Double {
        initialCash - fills.reduce(0) { $0 + $1.fee } + realizedTotal - funding + insuranceFundCovered
    }
    var realizedTotal: Double { held.reduce(0) { $0 + $1.realizedPnL } }

    // MARK: Liquidation

    /// The mark price at which a position would be liquidated, by Binance's
    /// one-way formula
    ///
    ///     LP = (WB − TMM1 + UPNL1 + cum − side·Q·EP) / (Q·MMR − side·Q)
    ///
    /// with WB the position's isolated margin (isolated) or the wallet (cross),
    /// TMM1 and UPNL1 the other positions' maintenance margin and unrealised
    /// PnL (cross only), and MMR and cum those of the bracket of the notional at
    /// LP itself (iterated until the bracket no longer changes). Nil without a
    /// position, or when no positive price liquidates it.
    public func liquidationPrice(_ symbol: String) -> Double? {
        guard let i = slots[symbol], held[i].quantity != 0 else { return nil }
        let q = abs(held[i].quantity), side: Double = held[i].quantity > 0 ? 1 : -1, ep = held[i].averageCost
        var wb = isolated[i], tmm = 0.0, upnl = 0.0
        if margin == .cross {
            wb = wallet
            for j in held.indices where j != i && held[j].quantity != 0 {
                tmm += maintenance(symbols[j], notional: abs(held[j].quantity) * markOf(j))
                upnl += unrealized(j)
            }
        }
        return Self.liquidationPrice(quantity: q, side: side, entry: ep, wallet: wb, otherMaintenance: tmm, otherUnrealized: upnl,
                                     table: table(symbol), start: abs(held[i].quantity) * markOf(i))
    }

    /// The formula alone (see `liquidationPrice(_:)`); `start`: the notional whose
    /// bracket the iteration starts from.
    public static func liquidationPrice(quantity q: Double, side: Double, entry ep: Double, wallet wb: Double, otherMaintenance tmm: Double,
                                        otherUnrealized upnl: Double, table: BracketTable, start: Double) -> Double? {
        var bracket = table.bracket(for: start)
        var tried: [LeverageBracket] = []
        for _ in 0..<(table.brackets.count + 2) {
            let lp = (wb - tmm + upnl + bracket.maintenanceAmount - side * q * ep) / (q * bracket.maintenanceRate - side * q)
            guard lp.isFinite else { return nil }
            let at = table.bracket(for: q * max(0, lp))
            if at == bracket || tried.contains(at) { return lp > 0 ? lp : nil }
            tried.append(bracket)
            bracket = at
        }
        return nil
    }
}
