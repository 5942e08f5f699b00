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
    func perpRun(_ body: String, margin: String = "isolated", _ data: [BarSeries], perp: PerpData, capital: Double = 1_000) throws -> BacktestResult {
        try backtest(body, data, header: "market perp(leverage: 10x, margin: \(margin))\n  timeframe 1h", perp: perp) { $0.capital = capital; $0.execution.lotSize = nil }
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
}
