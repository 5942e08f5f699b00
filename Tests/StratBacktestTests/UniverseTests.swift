import Foundation
import StratBacktest
import StratIR
import StratMarket
import StratSyntax
import Testing

/// `universe top N by EXPR`: the N symbols with the largest EXPR on each bar,
/// known only from the bars so far.
@Suite struct DynamicUniverseTests {
    static let source = """
        strategy Top {
          market spot
          universe top 1 by roc(close, 1)
          timeframe 1h

          when close > 0 {
            enter long size qty(1)
          }
        }

        """

    @Test func parsesFormatsAndChecks() throws {
        let file = SourceFile(name: "t.strat", text: Self.source)
        let (program, diags) = Parser.parse(file)
        #expect(!diags.hasErrors)
        #expect(Formatter.format(program) == Self.source)
        let ir = try #require(Compiler.compile(file).ir?.strategies.first)
        #expect(ir.membership != nil && ir.universe.isEmpty && ir.rebalance == nil)
        let weekly = Self.source.replacingOccurrences(of: "roc(close, 1)", with: "roc(close, 1) every 1w")
        let (p2, d2) = Parser.parse(SourceFile(name: "t.strat", text: weekly))
        #expect(!d2.hasErrors && Formatter.format(p2) == weekly)
        #expect(Compiler.compile(SourceFile(name: "t.strat", text: weekly)).ir?.strategies.first?.rebalance == 604_800)
        for (word, months) in [("month", 1), ("quarter", 3), ("year", 12)] {
            let text = Self.source.replacingOccurrences(of: "roc(close, 1)", with: "roc(close, 1) every \(word)")
            let (p, d) = Parser.parse(SourceFile(name: "t.strat", text: text))
            #expect(!d.hasErrors && Formatter.format(p) == text)
            #expect(Compiler.compile(SourceFile(name: "t.strat", text: text)).ir?.strategies.first?.rebalanceMonths == months)
        }
        #expect(Verifier.verify(Compiler.compile(file).ir!).isEmpty)
        for (bad, code) in [("universe top 0 by close", "E0402"), ("universe top 2.5 by close", "E0402"),
                            ("universe top 2 by close > open", "E0313"), ("universe top 2 close", "E0101"),
                            ("universe top 2 by close every close", "E0409"), ("universe top 2 by close every 0h", "E0409"),
                            ("universe top 2 by close every fortnight", "E0409"), ("universe top 2 by close every", "E0101")] {
            let text = Self.source.replacingOccurrences(of: "universe top 1 by roc(close, 1)", with: bad)
            let r = Compiler.compile(SourceFile(name: "t.strat", text: text))
            #expect(r.diagnostics.contains { $0.code.rawValue == code }, "\(bad): \(r.diagnostics.map(\.message))")
        }
    }

    /// A leads on bars 1–2, B on bars 3–4; C's data ends after bar 1 (delisted) and
    /// never competes with a stale value. Only the leader is entered; a symbol that
    /// drops out is sold at the next open.
    @Test func membersAreEnteredAndLeaversRotateOut() throws {
        let a = hourly([(100, 100, 100, 100), (100, 110, 100, 110), (110, 120, 110, 120), (120, 120, 119, 119), (119, 119, 118, 118), (118, 118, 118, 118)], symbol: "A")
        let b = hourly([(100, 100, 100, 100), (100, 101, 100, 101), (101, 102, 101, 102), (102, 130, 102, 130), (130, 140, 130, 140), (140, 140, 140, 140)], symbol: "B")
        let c = BarSeries(symbol: "C", bars: Array(hourly([(100, 100, 100, 100), (100, 300, 100, 300)], symbol: "C").bars))
        let r = try backtest("""
              when close > 0 {
                enter long size qty(1)
              }
            """, [a, b, c], header: "market spot\n  universe top 1 by roc(close, 1)\n  timeframe 1h")
        #expect(r.symbols == ["A", "B", "C"])
        // Bar 1: C (+200%) leads and is bought at bar 2's open — but C has no bar 2, so
        // the order never fills. Bar 2: A leads (+9%) → bought at bar 3's open (120).
        // Bar 3: B leads (+27%) → A leaves (sold at bar 4's open, 119), B bought at 130.
        let trades = r.trades.map { "\($0.symbol) \($0.entryPrice) \($0.exitPrice.map { "\($0)" } ?? "open")" }
        #expect(trades == ["A 120.0 119.0", "B 130.0 open"])
        #expect(r.orders.contains { $0.tag.action == "left the universe" && $0.symbol == "A" && $0.state == .filled })
    }

    /// `every 4h`: the ranking is taken at 00:00 and 04:00 and held in between.
    /// On bar 0 nothing has a rate of change yet, so nothing is a member until
    /// bar 4, where B leads and is bought at bar 5's open (150); A's surge on
    /// bar 5 changes nothing before the next period. Ranked on every bar, the
    /// same data rotates on nearly every bar.
    @Test func membershipHoldsBetweenReRankings() throws {
        func series(_ closes: [Double], _ symbol: String) -> BarSeries {
            hourly(closes.indices.map { i in
                let o = i == 0 ? closes[0] : closes[i - 1]
                return (o, max(o, closes[i]), min(o, closes[i]), closes[i])
            }, symbol: symbol)
        }
        let a = series([100, 110, 111, 112, 113, 200, 201, 202], "A")
        let b = series([100, 101, 120, 121, 150, 151, 152, 153], "B")
        let rule = "  when close > 0 {\n    enter long size qty(1)\n  }"
        func trades(_ universe: String) throws -> [String] {
            try backtest(rule, [a, b], header: "market spot\n  \(universe)\n  timeframe 1h").trades
                .map { "\($0.symbol) \($0.entryPrice) \($0.exitPrice.map { "\($0)" } ?? "open")" }
        }
        #expect(try trades("universe top 1 by roc(close, 1) every 4h") == ["B 150.0 open"])
        #expect(try trades("universe top 1 by roc(close, 1)") == ["A 110.0 111.0", "B 120.0 121.0", "A 112.0 113.0", "B 150.0 151.0", "A 200.0 201.0", "B 152.0 open"])
    }

    /// `every month`: ranked on the first bar of each UTC month. Daily bars from
    /// 2024-01-29: on that bar nothing has a rate of change yet; on 2024-02-01 B
    /// leads and is held through A's surge. With `every quarter` the only
    /// ranking in range is the first bar's, so nothing is ever a member.
    @Test func calendarRebalancing() throws {
        func series(_ closes: [Double], _ symbol: String) -> BarSeries {
            BarSeries(symbol: symbol, bars: closes.indices.map { i in
                let o = i == 0 ? closes[0] : closes[i - 1]
                return Bar(time: 1_706_486_400_000 + Int64(i) * 86_400_000, open: o, high: max(o, closes[i]), low: min(o, closes[i]),
                           close: closes[i], volume: 1_000)
            })
        }
        let a = series([100, 101, 102, 103, 200, 201, 202, 203, 204], "A")
        let b = series([100, 110, 121, 150, 151, 152, 153, 154, 155], "B")
        let rule = "  when close > 0 {\n    enter long size qty(1)\n  }"
        func trades(_ every: String) throws -> [String] {
            try backtest(rule, [a, b], header: "market spot\n  universe top 1 by roc(close, 1) every \(every)\n  timeframe 1d").trades
                .map { "\($0.symbol) \($0.entryPrice) \($0.exitPrice.map { "\($0)" } ?? "open")" }
        }
        #expect(try trades("month") == ["B 150.0 open"])
        #expect(try trades("quarter") == [])
        #expect(UTCTime.monthIndex(1_706_486_400_000) == 648 && UTCTime.monthIndex(1_706_745_600_000) == 649)
    }
}
