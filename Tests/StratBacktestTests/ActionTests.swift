import Foundation
import StratBacktest
import StratEngine
import StratIR
import StratMarket
import StratSyntax
import Testing

/// Hourly bars from 2024-01-01T00:00Z.
func hourly(_ ohlc: [(Double, Double, Double, Double)], symbol: String = "X", volume: Double = 1_000) -> BarSeries {
    BarSeries(symbol: symbol, bars: ohlc.enumerated().map { i, x in
        Bar(time: 1_704_067_200_000 + Int64(i) * 3_600_000, open: x.0, high: x.1, low: x.2, close: x.3, volume: volume)
    })
}

func backtest(_ body: String, _ data: [BarSeries], header: String = "market spot\n  timeframe 1h", perp: PerpData = PerpData(),
              _ edit: (inout BacktestConfig) -> Void = { _ in }) throws -> BacktestResult {
    let source = "strategy T {\n  \(header)\n\(body)\n}\n"
    let r = Compiler.compile(SourceFile(name: "t.strat", text: source))
    let s = try #require(r.ir?.strategies.first, "\(r.diagnostics.map { "\($0.code.rawValue) \($0.message)" })")
    var c = BacktestConfig()
    c.execution.lotSize = 1
    edit(&c)
    return try Backtest.run(s, data: data, config: c, perp: perp)
}

/// The language's actions, end to end on hand-built bars.
@Suite struct ActionTests {
    @Test func bracketFromPercentagesOfTheFill() throws {
        // Signal on bar 0 (close > open); entry at bar 1's open (100): stop 95, take 110; bar 2 reaches 111.
        let r = try backtest("""
              when close > open {
                enter long size qty(3)
                  stop 5%
                  take 10%
              }
            """, [hourly([(99, 101, 98, 101), (100, 101, 99, 100), (100, 111, 100, 100), (100, 100, 100, 100)])])
        #expect(r.trades.count == 1)
        let t = r.trades[0]
        #expect(t.entryPrice == 100 && t.qty == 3 && t.exitPrice == r.orders[2].limitPrice && abs(t.exitPrice! - 110) < 1e-9)
        #expect(r.orders.map(\.state) == [.filled, .cancelled, .filled])
        #expect(r.orders[1].stopPrice == 95 && r.orders[1].history.last?.reason == "OCO: order 2 filled")
        #expect(r.orders[1].parent == 0 && r.orders[1].ocoGroup == r.orders[2].ocoGroup)
        #expect(t.entryLine == 5 && t.exitLine == 5)
    }

    @Test func limitEntriesExpireAfterTheirBars() throws {
        let r = try backtest("""
              when close > open {
                enter long at limit close - 10 size qty(1)
                  expire after 2 bars
              }
            """, [hourly([(99, 101, 98, 101), (100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)])])
        #expect(r.trades.isEmpty)
        #expect(r.orders.count == 1 && r.orders[0].state == .expired)
        #expect(r.orders[0].history.last?.reason == "good-till-date reached")
        // Sent at 01:00 (bar 0's close), expired at 03:00: two bars later.
        let expired: Int64 = 1_704_067_200_000 + 3 * 3_600_000
        #expect(r.orders[0].history.last.map(\.time) == expired)
    }

    @Test func partialExitsAndFlatten() throws {
        let r = try backtest("""
              when close > open {
                enter long size qty(10)
              }
              when close < open and close > 90 {
                exit long size 50%
              }
              when close < 90 {
                flatten
              }
            """, [hourly([(99, 101, 98, 100), (100, 101, 99, 99), (98, 99, 96, 97), (97, 98, 85, 89), (88, 89, 87, 88)])])
        // Entry 10 at bar 1's open; exit 5 at bar 2's open (98); the bar-2 exit of 50% fills 2.5 → 2 (whole lots) at 97;
        // bar 3 closes below 90: flatten the remaining 3 at bar 4's open (88).
        #expect(r.fills.map(\.quantity) == [10, 5, 2, 3])
        #expect(r.fills.map(\.price) == [100, 98, 97, 88])
        #expect(r.trades.count == 1 && r.trades[0].exitTime == 1_704_067_200_000 + 4 * 3_600_000)
    }

    @Test func exitArmsATrailingStop() throws {
        let r = try backtest("""
              when close > open and close < 105 {
                enter long size qty(1)
              }
              when close > 105 {
                exit long
                  trail 2%
              }
            """, [hourly([(99, 101, 98, 101), (100, 103, 99, 102), (102, 107, 101, 106), (106, 110, 105, 109), (109, 109, 100, 101)])])
        // Armed at bar 2's close (106): trail 2% under the best price; bar 3 makes 110 → stop 107.8; bar 4 falls through it.
        let trail = try #require(r.orders.first { $0.type == .trailingStop })
        #expect(trail.reduceOnly && trail.state == .filled)
        #expect(abs(r.fills.last!.price - 110 * 0.98) < 1e-9)
    }

    @Test func spreadFromBidAndAskColumns() throws {
        let csv = """
            time,open,high,low,close,volume,bid,ask
            2024-01-01T00:00:00Z,99,101,98,101,1000,100.9,101.1
            2024-01-01T01:00:00Z,100,101,99,100,1000,99.9,100.1
            2024-01-01T02:00:00Z,100,101,99,100,1000,99.9,100.1

            """
        let data = try BarCSV.parse(csv, file: "x.csv", symbol: "X")
        #expect(data.halfSpreads?.count == 3)
        let r = try backtest("""
              when close > open {
                enter long size qty(1)
              }
            """, [data])
        // Half the spread is 0.1 on a mid of 100: the buy fills at 100 × (1 + 0.001).
        #expect(abs(r.fills[0].price - 100.1) < 1e-9)
    }

    @Test func universeOfTwoSymbolsWithRank() throws {
        let a = hourly([(100, 101, 99, 100), (100, 102, 99, 101), (101, 103, 100, 102), (102, 103, 101, 102)], symbol: "AAA")
        let b = hourly([(50, 51, 49, 50), (50, 56, 49, 55), (55, 61, 54, 60), (60, 61, 59, 60)], symbol: "BBB")
        let r = try backtest("""
              let move = roc(close, 1)
              when rank(move) == 1 {
                enter long size qty(1)
              }
            """, [a, b], header: "market spot\n  universe AAA, BBB\n  timeframe 1h")
        // BBB rises faster on bars 1 and 2: it ranks first and is bought at bar 2's open.
        #expect(r.symbols == ["AAA", "BBB"])
        #expect(r.trades.map(\.symbol) == ["BBB"])
        #expect(r.trades[0].entryPrice == 55)
        #expect(r.equity.count == 4)
    }
}
