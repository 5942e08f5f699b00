import Foundation
import StratBacktest
import StratEngine
import StratMarket
import Testing

/// One tier: MMR 0.5%, no maintenance amount, up to 20×.
let flatTier = [BracketTable(validFrom: 0, brackets: [
    LeverageBracket(notionalFloor: 0, notionalCap: .infinity, maxLeverage: 20, maintenanceRate: 0.005, maintenanceAmount: 0),
])]

/// Perpetual futures on hand-built bars (issue 13), every number worked out beside it.
@Suite struct PerpTests {
    func perpRun(_ body: String, margin: String = "isolated", mode: String = "oneway", leverage: Int = 10, _ data: [BarSeries], perp: PerpData,
                 capital: Double = 1_000) throws -> BacktestResult {
        try backtest(body, data, header: "market perp(leverage: \(leverage)x, margin: \(margin), mode: \(mode))\n  timeframe 1h", perp: perp) {
            $0.capital = capital
            $0.execution.lotSize = nil
        }
    }

    /// A 10× isolated long is liquidated inside a bar, on the mark, at
    /// LP = (WB + cum − Q·EP) / (Q·MMR − Q) = (100 − 1000) / (0.005 − 1) = 904.5226…
    @Test func isolatedLongLiquidatedInsideABar() throws {
        let bars = hourly([(1000, 1001, 999, 1000), (1000, 1005, 995, 1000), (990, 995, 890, 900), (900, 900, 900, 900)])
        var perp = PerpData(brackets: ["X": flatTier], liquidationFee: ["X": 0.0025])
        perp.marks["X"] = bars.bars
        let r = try perpRun("  when close == 1000 and open == 1000 {\n    enter long size qty(1)\n  }", [bars], perp: perp)
        let lp = (100.0 - 1000) / (0.005 - 1)
        #expect(r.fills.count == 2)
        #expect(r.fills[0].price == 1000 && r.fills[0].side == .buy)
        // Bar 2 runs 990 → 995 → 890 → 900 (the high nearer): the mark reaches LP going down.
        let liq = try #require(r.fills.last)
        #expect(liq.liquidation && liq.side == .sell && abs(liq.price - lp) < 1e-9)
        #expect(abs(liq.fee - lp * 0.0025) < 1e-12)
        #expect(liq.time == bars.bars[2].time)
        // The loss (1000 − LP) and the fee come out of the position's 100 of margin: the wallet keeps the rest.
        let wallet = 1_000 - (1_000 - lp) - lp * 0.0025
        #expect(abs(r.equity.last!.equity - wallet) < 1e-9)
        #expect(r.trades.map(\.exitReason) == ["liquidation"])
        let p = try #require(r.perp)
        #expect(p.liquidations.count == 1 && p.insuranceFund == 0)
    }

    /// Brackets are dated: a table that comes into force during the run moves the
    /// liquidation price from the open of its first bar. Long 1 @ 1000 at 10×
    /// (WB 100): LP = (100 − 1000) / (MMR − 1) — 904.52 at 0.5%, 947.37 at 5%
    /// (from 03:00). Bar 2 (low 930) passes under the 5% price but not the 0.5%
    /// one; bar 3 (low 940) reaches only the 5% one.
    @Test func aNewBracketTableMovesTheLiquidationPrice() throws {
        let bars = hourly([(1000, 1001, 999, 1000), (1000, 1005, 995, 1000), (990, 995, 930, 960), (960, 965, 940, 950), (950, 950, 950, 950)])
        let later = BracketTable(validFrom: bars.bars[3].time, brackets: [
            LeverageBracket(notionalFloor: 0, notionalCap: .infinity, maxLeverage: 20, maintenanceRate: 0.05, maintenanceAmount: 0),
        ])
        var perp = PerpData(brackets: ["X": flatTier + [later]], liquidationFee: ["X": 0])
        perp.marks["X"] = bars.bars
        let r = try perpRun("  when close == 1000 and open == 1000 {\n    enter long size qty(1)\n  }", [bars], perp: perp)
        let liq = try #require(r.fills.last)
        #expect(liq.liquidation && liq.time == bars.bars[3].time, "\(r.fills)")
        #expect(abs(liq.price - (100.0 - 1000) / (0.05 - 1)) < 1e-9)
    }

    /// Under cross margin the wallet backs both positions: X falls 11% (the
    /// isolated run liquidates it) and stays open, Y's margin keeping it alive.
    @Test func crossMarginKeepsAPositionAlive() throws {
        let x = hourly([(1000, 1001, 999, 1000), (1000, 1005, 995, 1000), (990, 995, 890, 900), (900, 900, 900, 900)], symbol: "X")
        let y = hourly([(1000, 1001, 999, 1000), (1000, 1005, 995, 1000), (1000, 1001, 999, 1000), (1000, 1000, 1000, 1000)], symbol: "Y")
        let perp = PerpData(brackets: ["X": flatTier, "Y": flatTier], liquidationFee: ["X": 0.0025, "Y": 0.0025])
        let body = "  universe X, Y\n  when close == 1000 and open == 1000 and high == 1001 {\n    enter long size qty(1)\n  }"
        let isolated = try perpRun(body, [x, y], perp: perp)
        #expect(isolated.perp?.liquidations.map(\.symbol) == ["X"])
        let cross = try perpRun(body, margin: "cross", [x, y], perp: perp)
        // Cross: LP of X = (1000 − MM of Y (5) + 0 − 1000) / (0.005 − 1) = 5.025…: far below.
        #expect(cross.perp?.liquidations.isEmpty == true)
        #expect(cross.trades.filter { $0.pnl == nil }.count == 2)
        // Equity: the wallet (1000, no fees) plus X's unrealised −100 at the last mark (900).
        #expect(abs(cross.equity.last!.equity - 900) < 1e-9)
    }

    /// Funding at 00:00 (flat), 02:00 and 04:00 (long 2) and 08:00 (flat again):
    /// only the two paid while the position is held count, at their marks.
    @Test func fundingIsPaidOnlyWhileHeld() throws {
        let bars = hourly((0..<9).map { k in k == 0 ? (100, 101, 99, 101) : k == 5 ? (100, 100, 99, 99.5) : (100, 100, 100, 100) })
        var perp = PerpData(brackets: ["X": flatTier])
        perp.funding["X"] = [FundingRate(time: bars.bars[0].time, rate: 0.0005, mark: 100),
                             FundingRate(time: bars.bars[2].time, rate: 0.0001, mark: 100.5),
                             FundingRate(time: bars.bars[4].time, rate: -0.0002, mark: 101),
                             FundingRate(time: bars.bars[8].time, rate: 0.0003, mark: 100)]
        // Enter at bar 1's open (signal: bar 0 closes up); exit at bar 6's open (signal: bar 5 closes down).
        let r = try perpRun("  when close > open {\n    enter long size qty(2)\n  }\n  when close < open {\n    exit long\n  }", [bars], perp: perp)
        #expect(r.fills.map(\.time) == [bars.bars[1].time, bars.bars[6].time])
        let paid = 2 * 100.5 * 0.0001, received = 2 * 101 * 0.0002
        #expect(abs(r.perp!.fundingPaid - paid) < 1e-12 && abs(r.perp!.fundingReceived - received) < 1e-12)
        #expect(abs(r.trades[0].funding - (paid - received)) < 1e-12)
        // The trade's PnL is its price move (0) less the funding it paid (net received here).
        #expect(abs(r.trades[0].pnl! - (received - paid)) < 1e-12)
        #expect(abs(r.equity.last!.equity - (1_000 + received - paid)) < 1e-9)
    }

    /// An order whose notional needs more leverage than its bracket allows is refused.
    @Test func bracketsCapLeverage() throws {
        let bars = hourly([(1000, 1001, 999, 1000), (1000, 1001, 999, 1000), (1000, 1000, 1000, 1000)])
        let tiers = [BracketTable(validFrom: 0, brackets: [
            LeverageBracket(notionalFloor: 0, notionalCap: 5_000, maxLeverage: 20, maintenanceRate: 0.005, maintenanceAmount: 0),
            LeverageBracket(notionalFloor: 5_000, notionalCap: .infinity, maxLeverage: 5, maintenanceRate: 0.01, maintenanceAmount: 25),
        ])]
        let r = try perpRun("  when close == 1000 and open == 1000 {\n    enter long size qty(6)\n  }", [bars],
                            perp: PerpData(brackets: ["X": tiers]), capital: 100_000)
        #expect(r.fills.isEmpty)
        #expect(r.orders[0].history.last?.reason == "a position of 6000 in X allows at most 5x (its leverage bracket), not 10x")
    }

    /// Binance's formula with a bracket change: the iteration settles on the
    /// bracket of the notional at the liquidation price itself.
    @Test func theLiquidationPriceIteratesOverBrackets() throws {
        let table = BracketTable(validFrom: 0, brackets: [
            LeverageBracket(notionalFloor: 0, notionalCap: 50_000, maxLeverage: 125, maintenanceRate: 0.004, maintenanceAmount: 0),
            LeverageBracket(notionalFloor: 50_000, notionalCap: 250_000, maxLeverage: 100, maintenanceRate: 0.005, maintenanceAmount: 50),
        ])
        // Long 2 at 30,000 (notional 60,000: the second tier) with 3,000 of margin:
        // at the second tier LP = (3000 + 50 − 60000) / (2·0.005 − 2) = 28,618.09…, whose notional
        // (57,236) is still in the second tier.
        let lp = try #require(PerpPortfolio.liquidationPrice(quantity: 2, side: 1, entry: 30_000, wallet: 3_000, otherMaintenance: 0,
                                                           otherUnrealized: 0, table: table, start: 60_000))
        #expect(abs(lp - (3_000 + 50 - 60_000) / (2 * 0.005 - 2)) < 1e-9)
        // Long 1.8 at 30,000 (54,000: second tier at entry) with 20,000 of margin: at the second
        // tier LP ≈ 19,120, notional 34,416 — the first tier; there LP = (20000 − 54000)/(1.8·0.004 − 1.8).
        let lp2 = try #require(PerpPortfolio.liquidationPrice(quantity: 1.8, side: 1, entry: 30_000, wallet: 20_000, otherMaintenance: 0,
                                                            otherUnrealized: 0, table: table, start: 54_000))
        #expect(abs(lp2 - (20_000 - 54_000) / (1.8 * 0.004 - 1.8)) < 1e-9)
    }

    // MARK: Binance's worked example

    /// The bracket tables of Binance's FAQ example (2020–21), the rows it uses and those around them.
    static let btc2020 = BracketTable(validFrom: 0, brackets: [
        LeverageBracket(notionalFloor: 0, notionalCap: 50_000, maxLeverage: 125, maintenanceRate: 0.004, maintenanceAmount: 0),
        LeverageBracket(notionalFloor: 50_000, notionalCap: 250_000, maxLeverage: 100, maintenanceRate: 0.005, maintenanceAmount: 50),
        LeverageBracket(notionalFloor: 250_000, notionalCap: 1_000_000, maxLeverage: 50, maintenanceRate: 0.01, maintenanceAmount: 1_300),
        LeverageBracket(notionalFloor: 1_000_000, notionalCap: 5_000_000, maxLeverage: 20, maintenanceRate: 0.025, maintenanceAmount: 16_300),
        LeverageBracket(notionalFloor: 5_000_000, notionalCap: 20_000_000, maxLeverage: 10, maintenanceRate: 0.05, maintenanceAmount: 141_300),
    ])
    static let eth2020 = BracketTable(validFrom: 0, brackets: [
        LeverageBracket(notionalFloor: 0, notionalCap: 10_000, maxLeverage: 100, maintenanceRate: 0.005, maintenanceAmount: 0),
        LeverageBracket(notionalFloor: 10_000, notionalCap: 100_000, maxLeverage: 75, maintenanceRate: 0.0065, maintenanceAmount: 15),
        LeverageBracket(notionalFloor: 100_000, notionalCap: 500_000, maxLeverage: 50, maintenanceRate: 0.01, maintenanceAmount: 365),
        LeverageBracket(notionalFloor: 500_000, notionalCap: 1_000_000, maxLeverage: 25, maintenanceRate: 0.02, maintenanceAmount: 5_365),
        LeverageBracket(notionalFloor: 1_000_000, notionalCap: 2_000_000, maxLeverage: 10, maintenanceRate: 0.05, maintenanceAmount: 35_365),
        LeverageBracket(notionalFloor: 2_000_000, notionalCap: 5_000_000, maxLeverage: 5, maintenanceRate: 0.1, maintenanceAmount: 135_365),
        LeverageBracket(notionalFloor: 5_000_000, notionalCap: 10_000_000, maxLeverage: 4, maintenanceRate: 0.125, maintenanceAmount: 260_365),
    ])

    static func cents(_ x: Double?) -> Double? { x.map { ($0 * 100).rounded() / 100 } }

    /// Binance's FAQ example (as freqtrade's tests reproduce it): wallet
    /// 1,535,443.01; BTCUSDT long 109.488 at 32,481.98 (mark 31,967.27), ETHUSDT
    /// long 3,683.979 at 1,456.84 (mark 1,335.18). ETH's bracket at entry
    /// (12.5%) is not the one at its liquidation price (10%): the iteration moves.
    @Test func binanceWorkedExampleToTheCent() throws {
        let wb = 1_535_443.01
        // Isolated (the wallet as each position's margin, as the example has it), iterated from the entry's bracket.
        let btcIsolated = PerpPortfolio.liquidationPrice(quantity: 109.488, side: 1, entry: 32_481.98, wallet: wb, otherMaintenance: 0,
                                                         otherUnrealized: 0, table: Self.btc2020, start: 109.488 * 32_481.98)
        let ethIsolated = PerpPortfolio.liquidationPrice(quantity: 3_683.979, side: 1, entry: 1_456.84, wallet: wb, otherMaintenance: 0,
                                                         otherUnrealized: 0, table: Self.eth2020, start: 3_683.979 * 1_456.84)
        #expect(Self.cents(btcIsolated) == 18_778.73)
        #expect(Self.cents(ethIsolated) == 1_114.78)
        // Cross: the account itself, both positions filled and marked.
        let perp = PerpPortfolio(cash: wb, leverage: 1, margin: .cross,
                                 data: PerpData(brackets: ["BTCUSDT": [Self.btc2020], "ETHUSDT": [Self.eth2020]]), symbols: ["BTCUSDT", "ETHUSDT"])
        perp.apply(Fill(order: 0, symbol: "BTCUSDT", side: .buy, quantity: 109.488, price: 32_481.98, fee: 0, time: 0, liquidity: .taker))
        perp.apply(Fill(order: 1, symbol: "ETHUSDT", side: .buy, quantity: 3_683.979, price: 1_456.84, fee: 0, time: 0, liquidity: .taker))
        perp.mark("BTCUSDT", price: 31_967.27)
        perp.mark("ETHUSDT", price: 1_335.18)
        #expect(Self.cents(perp.liquidationPrice("ETHUSDT")) == 1_153.26)
        #expect(Self.cents(perp.liquidationPrice("BTCUSDT")) == 26_316.89)
        // The definition: at LP the margin balance equals the maintenance margin.
        let lp = try #require(perp.liquidationPrice("BTCUSDT"))
        let balance = wb + (lp - 32_481.98) * 109.488 + (1_335.18 - 1_456.84) * 3_683.979
        let maintenance = perp.maintenance("BTCUSDT", notional: 109.488 * lp) + perp.maintenance("ETHUSDT", notional: 3_683.979 * 1_335.18)
        #expect(abs(balance - maintenance) < 1e-6)
    }

    /// A short whose bracket goes up at its liquidation price (Binance's BTCUSDT
    /// table of 2024-05-30, rows 3 and 4): LP = (290,000 + 11,450 + 2,900,000) / 101.
    @Test func aShortsBracketRisesAtLiquidation() throws {
        let table = BracketTable(validFrom: 0, brackets: [
            LeverageBracket(notionalFloor: 0, notionalCap: 50_000, maxLeverage: 125, maintenanceRate: 0.004, maintenanceAmount: 0),
            LeverageBracket(notionalFloor: 50_000, notionalCap: 600_000, maxLeverage: 100, maintenanceRate: 0.005, maintenanceAmount: 50),
            LeverageBracket(notionalFloor: 600_000, notionalCap: 3_000_000, maxLeverage: 75, maintenanceRate: 0.0065, maintenanceAmount: 950),
            LeverageBracket(notionalFloor: 3_000_000, notionalCap: 12_000_000, maxLeverage: 50, maintenanceRate: 0.01, maintenanceAmount: 11_450),
        ])
        let lp = PerpPortfolio.liquidationPrice(quantity: 100, side: -1, entry: 29_000, wallet: 290_000, otherMaintenance: 0,
                                                otherUnrealized: 0, table: table, start: 2_900_000)
        #expect(Self.cents(lp) == 31_697.52)
    }

    // MARK: Hedge mode

    /// Cross margin in hedge mode: one price for both legs of a symbol, falling
    /// when the long leg outweighs, rising when the legs are equal (their
    /// maintenance grows with the price while their PnL cancels).
    @Test func crossHedgeLegsShareOneLiquidationPrice() throws {
        func account(_ wallet: Double, long: (Double, Double), short: (Double, Double)) -> PerpPortfolio {
            let p = PerpPortfolio(cash: wallet, leverage: 20, margin: .cross, hedged: true, data: PerpData(brackets: ["X": flatTier]), symbols: ["X"])
            var buy = Fill(order: 0, symbol: "X", side: .buy, quantity: long.0, price: long.1, fee: 0, time: 0, liquidity: .taker)
            buy.leg = .long
            var sell = Fill(order: 1, symbol: "X", side: .sell, quantity: short.0, price: short.1, fee: 0, time: 0, liquidity: .taker)
            sell.leg = .short
            p.apply(buy)
            p.apply(sell)
            return p
        }
        // Long 2 at 100, short 1 at 110, wallet 50: the margin balance 50 + 2(P − 100) + (110 − P)
        // meets the maintenance 0.5% × 3P at P = 40 / 0.985.
        let leaning = account(50, long: (2, 100), short: (1, 110))
        #expect(leaning.position("X") == 1 && leaning.position("X", leg: .long) == 2 && leaning.position("X", leg: .short) == -1)
        let t = try #require(leaning.liquidation(0))
        #expect(abs(t.price - 40 / 0.985) < 1e-9 && t.falling)
        // Long 1 and short 1 at 100, wallet 1: 1 = 0.5% × 2P at P = 100, reached rising.
        let even = try #require(account(1, long: (1, 100), short: (1, 100)).liquidation(0))
        #expect(abs(even.price - 100) < 1e-9 && !even.falling)
        // Isolated margin: each leg on its own margin (notional / 20).
        let iso = PerpPortfolio(cash: 1_000, leverage: 20, margin: .isolated, hedged: true, data: PerpData(brackets: ["X": flatTier]), symbols: ["X"])
        var buy = Fill(order: 0, symbol: "X", side: .buy, quantity: 2, price: 100, fee: 0, time: 0, liquidity: .taker)
        buy.leg = .long
        var sell = Fill(order: 1, symbol: "X", side: .sell, quantity: 1, price: 110, fee: 0, time: 0, liquidity: .taker)
        sell.leg = .short
        iso.apply(buy)
        iso.apply(sell)
        // Long: (10 − 200) / (0.01 − 2); short: (5.5 + 110) / (0.005 + 1).
        #expect(abs(iso.liquidationPrice("X", leg: .long)! - (10 - 200) / (0.01 - 2)) < 1e-9)
        #expect(abs(iso.liquidationPrice("X", leg: .short)! - 115.5 / 1.005) < 1e-9)
    }

    /// A cross hedge-mode liquidation closes both legs at the one price, the
    /// short leg (its gain) first; each pays the clearance fee on its notional.
    @Test func crossHedgeLiquidationClosesBothLegs() throws {
        // Long 10 and short 5 at 100 with 100 of wallet (20x: 75 of margin):
        // LP = (100 − 1000 + 500) / (10 − 0.05 − 5 − 0.025) = −400 / 4.925 → 81.2182…
        let bars = hourly([(100, 101, 99, 100), (100, 100, 100, 100), (99, 99.5, 80, 85), (85, 85, 85, 85)])
        let perp = PerpData(brackets: ["X": flatTier], liquidationFee: ["X": 0.0025])
        let body = "  when close == 100 and high == 101 {\n    enter long size qty(10)\n    enter short size qty(5)\n  }"
        let r = try perpRun(body, margin: "cross", mode: "hedge", leverage: 20, [bars], perp: perp, capital: 100)
        let lp = 400 / 4.925
        #expect(r.fills.count == 4)
        let liquidated = r.fills.filter(\.liquidation)
        #expect(liquidated.map(\.leg) == [.short, .long])
        #expect(liquidated.allSatisfy { abs($0.price - lp) < 1e-9 && $0.time == bars.bars[2].time })
        #expect(liquidated.map(\.fee).map { ($0 * 1e9).rounded() } == [5 * lp * 0.0025, 10 * lp * 0.0025].map { ($0 * 1e9).rounded() })
        #expect(r.trades.map(\.exitReason) == ["liquidation", "liquidation"])
        // What is left: the maintenance margin (0.5% × 15 × LP) less the fees (0.25% × 15 × LP).
        #expect(abs(r.equity.last!.equity - 0.0025 * 15 * lp) < 1e-9)
        #expect(r.perp?.insuranceFund == 0)
    }
}
