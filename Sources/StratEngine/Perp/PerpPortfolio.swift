import StratMarket

/// A USDⓈ-M linear perpetual-futures account, modelled on Binance's: a wallet
/// balance in the quote currency; per symbol a signed position (one-way mode)
/// or a long and a short leg (hedge mode), each with its average entry price;
/// unrealised PnL, margins and liquidation valued at the mark price;
/// maintenance margin from dated leverage brackets.
///
/// - Isolated margin: each position holds its own margin — notional / leverage
///   at each opening fill, less what reductions release — and its funding;
///   its margin balance is that margin plus its unrealised PnL.
/// - Cross margin: the wallet backs every position; the margin balance is the
///   wallet plus all unrealised PnL.
///
/// Docs/Perps.md states every rule; the liquidation price is Binance's
/// formula (`liquidationPrice`).
public final class PerpPortfolio: LiquidatingPortfolio {
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
    /// What the insurance fund covered of each liquidation fill, in order.
    public private(set) var shortfalls: [Double] = []
    public let leverage: Double
    public let margin: Margin
    /// Hedge mode: a long and a short leg per symbol, margined and liquidated
    /// apart in isolated margin, under one liquidation price per symbol in cross.
    public let hedged: Bool
    let data: PerpData
    public private(set) var symbols: [String] = []
    var slots = SymbolSlots()
    /// Two positions per symbol slot k: [2k] the one-way position or the long
    /// leg, [2k + 1] the short leg (hedge mode only).
    var held: [Position] = []
    /// Isolated margin per position (0 in cross mode).
    var isolated: [Double] = []
    var marks: [Double] = []
    /// The moment the account is at (the bar being traded), for dated brackets.
    public private(set) var now: Int64 = .min
    /// When a later bracket table of some symbol comes into force, ascending.
    let tableChanges: [Int64]
    var nextTableChange = 0

    public init(cash: Double, leverage: Double, margin: Margin, hedged: Bool = false, data: PerpData = PerpData(), symbols: [String] = []) {
        initialCash = cash
        wallet = cash
        self.leverage = max(1, leverage)
        self.margin = margin
        self.hedged = hedged
        self.data = data
        tableChanges = Array(Set(data.brackets.values.flatMap { $0.dropFirst().map(\.validFrom) })).sorted()
        for s in symbols { _ = slot(s) }
    }

    /// Moves the account to `time` (a bar's open); true when a new bracket table
    /// came into force since, which moves margins and liquidation prices.
    public func advance(to time: Int64) -> Bool {
        now = time
        var changed = false
        while nextTableChange < tableChanges.count, tableChanges[nextTableChange] <= time {
            nextTableChange += 1
            changed = true
        }
        return changed
    }

    public func slot(_ symbol: String) -> Int {
        let i = slots.register(symbol)
        guard i == symbols.count else { return i }
        symbols.append(symbol)
        held += [Position(), Position()]
        isolated += [0, 0]
        marks.append(.nan)
        return symbols.count - 1
    }

    /// The index in `held` of a symbol slot's position (or, in hedge mode, leg).
    func at(_ k: Int, _ leg: PositionSide?) -> Int { hedged && leg == .short ? 2 * k + 1 : 2 * k }
    /// The leg a position index holds (nil in one-way mode).
    func leg(_ j: Int) -> PositionSide? { hedged ? (j % 2 == 0 ? .long : .short) : nil }

    public func position(_ symbol: String) -> Double { slots.find(symbol).map(position(slot:)) ?? 0 }
    public func position(slot k: Int) -> Double { held[2 * k].quantity + held[2 * k + 1].quantity }
    public func position(_ symbol: String, leg: PositionSide?) -> Double {
        guard let k = slots.find(symbol) else { return 0 }
        guard hedged, let leg else {
            let q = position(slot: k)
            return leg == nil ? q : leg == .long ? max(0, q) : min(0, q)
        }
        return held[at(k, leg)].quantity
    }
    public func entryPrice(_ symbol: String, leg: PositionSide? = nil) -> Double { slots.find(symbol).map { held[at($0, leg)].averageCost } ?? 0 }
    public func isolatedMargin(_ symbol: String, leg: PositionSide? = nil) -> Double { slots.find(symbol).map { isolated[at($0, leg)] } ?? 0 }
    public func mark(_ symbol: String, price: Double) { marks[slot(symbol)] = price }
    public func mark(slot: Int, price: Double) { marks[slot] = price }
    public func latestPrice(_ symbol: String) -> Double? { slots.find(symbol).flatMap { latest($0) } }
    public func latestPrice(slot: Int) -> Double? { latest(slot) }
    func latest(_ k: Int) -> Double? { marks[k].isNaN ? nil : marks[k] }
    /// The mark of position j's symbol.
    func markOf(_ j: Int) -> Double { latest(j / 2) ?? held[j].averageCost }

    /// Unrealised PnL of a position at the mark.
    func unrealized(_ j: Int) -> Double { held[j].quantity * (markOf(j) - held[j].averageCost) }

    public var equity: Double {
        var e = wallet
        for j in held.indices where held[j].quantity != 0 { e += unrealized(j) }
        return e
    }

    /// Σ |position| × mark, both legs counted in hedge mode.
    public var grossExposure: Double {
        var g = 0.0
        for j in held.indices where held[j].quantity != 0 { g += abs(held[j].quantity) * markOf(j) }
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
        for j in held.indices where held[j].quantity != 0 {
            m += margin == .isolated ? isolated[j] : abs(held[j].quantity) * markOf(j) / leverage
        }
        return m
    }

    /// What new positions may use: the wallet (plus unrealised PnL in cross
    /// margin) less the initial margin already held.
    public var availableBalance: Double {
        (margin == .cross ? equity : wallet) - heldInitialMargin
    }

    // MARK: Portfolio

    public func check(symbol: String, side: OrderSide, quantity: Double, price: Double, fee: Double, leg: PositionSide?) -> String? {
        guard quantity > 0, price > 0 else { return "quantity and price must be positive" }
        let j = at(slot(symbol), leg)
        let q = held[j].quantity
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
        let released = (q != 0 && (q > 0) != (signed > 0)) ? (margin == .isolated ? isolated[j] : abs(q) * price / leverage) : 0
        let needed = opening * price / leverage + fee
        let available = availableBalance + released
        if needed > available * (1 + 1e-12) {
            return "insufficient margin: \(NumberText.readable(opening)) \(symbol) at \(NumberText.readable(leverage))x needs "
                + "\(NumberText.readable(needed)) (initial margin and fee), available \(NumberText.readable(available))"
        }
        return nil
    }

    public func affordable(symbol: String, side: OrderSide, price: Double, feeRate: Double, leg: PositionSide?) -> Double {
        let q = held[at(slot(symbol), leg)].quantity
        let closing = q != 0 && (q > 0) != (side == .buy) ? abs(q) : 0
        let free = availableBalance + (closing > 0 ? abs(q) * price / leverage : 0)
        return closing + max(0, free / (price / leverage + price * feeRate))
    }

    public func apply(_ fill: Fill) {
        let k = slot(fill.symbol), j = at(k, fill.leg)
        var p = held[j]
        let signed = fill.side.sign * fill.quantity
        var cost = fill.fee
        feesPaid += fill.fee
        p.fees += fill.fee
        if p.quantity == 0 || (p.quantity > 0) == (signed > 0) {
            // Opening or adding: the entry price averages; isolated margin is set aside.
            let total = p.quantity + signed
            p.averageCost = (p.averageCost * abs(p.quantity) + fill.price * abs(signed)) / abs(total)
            p.quantity = total
            if margin == .isolated { isolated[j] += fill.quantity * fill.price / leverage }
        } else {
            let closed = min(abs(signed), abs(p.quantity))
            let pnl = closed * (fill.price - p.averageCost) * (p.quantity > 0 ? 1 : -1)
            p.realizedPnL += pnl
            cost -= pnl
            let share = closed / abs(p.quantity)
            let released = isolated[j] * share
            if fill.liquidation {
                // A liquidation takes at most what backs the position: its isolated
                // margin, or (cross) the wallet. The insurance fund covers the rest.
                let backing = margin == .isolated ? released : max(0, wallet)
                let shortfall = max(0, cost - backing)
                insuranceFundCovered += shortfall
                shortfalls.append(shortfall)
                cost -= shortfall
            }
            if margin == .isolated { isolated[j] -= released }
            let total = p.quantity + signed
            if abs(total) < 1e-12 * max(1, abs(p.quantity)) {
                p.quantity = 0
                p.averageCost = 0
                if margin == .isolated { isolated[j] = 0 }
            } else if (total > 0) != (p.quantity > 0) {
                // Flipped (one-way mode): the rest opens the other side at this price.
                p.quantity = total
                p.averageCost = fill.price
                if margin == .isolated { isolated[j] = abs(total) * fill.price / leverage }
            } else {
                p.quantity = total
            }
        }
        wallet -= cost
        held[j] = p
        if marks[k].isNaN { marks[k] = fill.price }
    }

    /// A funding payment at `time`: each position held then pays (or receives)
    /// mark × size × rate; a positive rate makes longs pay shorts. In isolated
    /// margin it moves the position's margin as well as the wallet. Returns
    /// what each position paid (negative: received), by leg.
    @discardableResult
    public func fund(_ symbol: String, rate: Double, mark: Double) -> [(leg: PositionSide?, paid: Double)] {
        guard let k = slots.find(symbol) else { return [] }
        var paid: [(leg: PositionSide?, paid: Double)] = []
        for j in [2 * k, 2 * k + 1] where held[j].quantity != 0 {
            let pay = held[j].quantity * mark * rate
            wallet -= pay
            if margin == .isolated { isolated[j] -= pay }
            if pay > 0 { fundingPaid += pay } else { fundingReceived -= pay }
            paid.append((leg(j), pay))
        }
        return paid
    }

    /// The cash the fills, funding and insurance imply (for the ledger check).
    public func replayWallet(_ fills: [Fill], funding: Double) -> Double {
        initialCash - fills.reduce(0) { $0 + $1.fee } + realizedTotal - funding + insuranceFundCovered
    }
    var realizedTotal: Double { held.reduce(0) { $0 + $1.realizedPnL } }

    // MARK: Liquidation

    /// One position in the liquidation formula: size, side (+1 long, −1 short),
    /// entry price and bracket table.
    public struct Exposure: Sendable {
        public var quantity: Double
        public var side: Double
        public var entry: Double
        public var table: BracketTable
        public init(quantity: Double, side: Double, entry: Double, table: BracketTable) {
            self.quantity = quantity
            self.side = side
            self.entry = entry
            self.table = table
        }
    }

    /// The mark price at which a position (or, in hedge mode, a leg) would be
    /// liquidated; nil without one, or when no positive price liquidates it.
    public func liquidationPrice(_ symbol: String, leg: PositionSide? = nil) -> Double? {
        guard let k = slots.find(symbol) else { return nil }
        return liquidation(k, leg).map(\.price)
    }

    /// The liquidation of symbol slot k's position (isolated hedge mode: of one
    /// leg; cross hedge mode: of both legs together), by Binance's formula
    ///
    ///     LP = (WB − TMM1 + UPNL1 + Σ cum − Σ side·Q·EP) / (Σ Q·MMR − Σ side·Q)
    ///
    /// with WB the position's isolated margin (isolated) or the wallet (cross),
    /// TMM1 and UPNL1 the other symbols' maintenance margin and unrealised PnL
    /// (cross only), and the sums over the legs it closes, each with the MMR and
    /// cum of its notional's bracket at LP (iterated until no bracket changes).
    public var sharesMargin: Bool { margin == .cross }
    /// Cross margin with more than one symbol held: the others' marks move each price.
    public var marksMoveLiquidations: Bool {
        guard margin == .cross else { return false }
        var open = 0
        for k in symbols.indices where held[2 * k].quantity != 0 || held[2 * k + 1].quantity != 0 {
            open += 1
            if open > 1 { return true }
        }
        return false
    }

    public func liquidation(_ k: Int, _ leg: PositionSide? = nil) -> LiquidationTrigger? {
        let legs = margin == .cross ? [2 * k, 2 * k + 1] : [at(k, leg)]
        let open = legs.filter { held[$0].quantity != 0 }
        guard !open.isEmpty else { return nil }
        let wb = margin == .isolated ? isolated[open[0]] : wallet
        var tmm = 0.0, upnl = 0.0
        if margin == .cross {
            for j in held.indices where j / 2 != k && held[j].quantity != 0 {
                tmm += maintenance(symbols[j / 2], notional: abs(held[j].quantity) * markOf(j))
                upnl += unrealized(j)
            }
        }
        let table = table(symbols[k])
        let exposures = open.map { Exposure(quantity: abs(held[$0].quantity), side: held[$0].quantity > 0 ? 1 : -1, entry: held[$0].averageCost, table: table) }
        guard let (price, falling) = Self.liquidation(exposures, wallet: wb, otherMaintenance: tmm, otherUnrealized: upnl, mark: markOf(open[0])) else { return nil }
        return LiquidationTrigger(price: price, falling: falling)
    }

    /// The formula alone for one position (see `liquidation(_:_:)`); `start`:
    /// the notional whose bracket the iteration starts from.
    public static func liquidationPrice(quantity q: Double, side: Double, entry ep: Double, wallet wb: Double, otherMaintenance tmm: Double,
                                        otherUnrealized upnl: Double, table: BracketTable, start: Double) -> Double? {
        liquidation([Exposure(quantity: q, side: side, entry: ep, table: table)], wallet: wb, otherMaintenance: tmm, otherUnrealized: upnl,
                    mark: start / q)?.price
    }

    /// The formula over one or two legs, brackets iterated from those of the
    /// notionals at `mark`. The margin balance less maintenance is A + B·P in
    /// the mark P: with B > 0 (long) it falls to zero as the price falls.
    public static func liquidation(_ legs: [Exposure], wallet wb: Double, otherMaintenance tmm: Double, otherUnrealized upnl: Double,
                                   mark: Double) -> (price: Double, falling: Bool)? {
        var brackets = legs.map { $0.table.bracket(for: $0.quantity * mark) }
        var tried: [[LeverageBracket]] = []
        let rounds = (legs.map(\.table.brackets.count).max() ?? 0) * legs.count + 2
        for _ in 0..<rounds {
            var a = wb - tmm + upnl, b = 0.0
            for (x, br) in zip(legs, brackets) {
                a += br.maintenanceAmount - x.side * x.quantity * x.entry
                b += x.side * x.quantity - x.quantity * br.maintenanceRate
            }
            let lp = -a / b
            guard lp.isFinite else { return nil }
            let at = legs.map { $0.table.bracket(for: $0.quantity * max(0, lp)) }
            if at == brackets || tried.contains(at) { return lp > 0 ? (lp, b > 0) : nil }
            tried.append(brackets)
            brackets = at
        }
        return nil
    }
}
