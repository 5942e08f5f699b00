import StratBacktest
import StratIR
import StratMarket
import StratSyntax
import Testing

/// Stop 95 and take 110 both inside hour 2 (88…111). The bar's path O→H→L→C
/// (the high is nearer the open) takes profit first; minute bars that show the
/// low came first stop out instead, and the bar is no longer ambiguous.
@Suite struct IntrabarTests {
    let body = """
          when close > open {
            enter long size qty(1)
              stop 95
              take 110
          }
        """

    @Test func finerBarsDecideTheOrderInsideABar() throws {
        let hours = hourly([(99, 101, 98, 101), (100, 100, 100, 100), (100, 111, 88, 100), (100, 100, 100, 100)])
        let path = try backtest(body, [hours])
        #expect(path.fills.last?.price == 110 && path.metrics.ambiguousBars == 1)

        var minutes: [Bar] = []
        var last = 100.0
        for (h, bar) in hours.bars.enumerated() {
            for m in 1...60 {
                // In hour 2 the price first falls to 88 (minute 10), then rises to 111 (minute 40).
                var p = bar.open
                if h == 2 { p = m <= 10 ? 100 - Double(m) * 1.2 : m <= 40 ? 88 + Double(m - 10) * 23 / 30 : 111 - Double(m - 40) * 0.55 }
                minutes.append(Bar(time: bar.time + Int64(m - 1) * 60_000, open: last, high: max(last, p), low: min(last, p), close: p, volume: 10))
                last = p
            }
        }
        let fine = try backtestWithIntrabar(body, [hours], [BarSeries(symbol: "X", bars: minutes)])
        #expect(fine.fills.last?.price == 95 && fine.metrics.ambiguousBars == 0)
        // 100 − 1.2 m crosses 95 in minute 5 (the bar from 95.2 to 94).
        #expect(fine.fills.last?.time == hours.bars[2].time + 4 * 60_000)
    }

    @Test func intrabarBarsMustBeFiner() throws {
        let hours = hourly([(99, 101, 98, 101), (100, 100, 100, 100)])
        #expect(throws: (any Error).self) { try backtestWithIntrabar(body, [hours], [hours]) }
    }

    func backtestWithIntrabar(_ body: String, _ data: [BarSeries], _ fine: [BarSeries]) throws -> BacktestResult {
        let source = "strategy T {\n  market spot\n  timeframe 1h\n\(body)\n}\n"
        let s = try #require(Compiler.compile(SourceFile(name: "t.strat", text: source)).ir?.strategies.first)
        var c = BacktestConfig()
        c.execution.lotSize = 1
        return try Backtest.run(s, data: data, config: c, intrabar: fine)
    }
}
