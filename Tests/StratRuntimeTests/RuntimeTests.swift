import Foundation
import StratIR
import StratIndicators
import StratMarket
@testable import StratRuntime
import Testing

func bitsEqual(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}

@Suite struct RuntimeTests {
    static let goog = try! loadBars("GOOG.csv")
    static let eurusd = try! loadBars("EURUSD.csv")
    static let common = try! GoldenTable("goog_indicators.csv").expressions
        + ["close[2]", "(close - close[1]) / close[1]", "hl2 + 0", "highest(hlc3, 7)[1]", "not (close > open) or volume > 1000"]
    /// Higher timeframes that fit each dataset's bars (hourly and daily).
    static let expressions = common + ["sma(close, 3)@1d", "ema(close@4h, 5)", "close@1w", "atr(3)@12h"]
    static let dailyExpressions = common + ["sma(close, 3)@1d", "close@1w", "rsi(close, 3)@1w"]

    /// Streaming equals batch: every expression evaluated alone over the whole
    /// file gives bit for bit what one strategy holding all of them gives when
    /// bars are fed one at a time (shared nodes, different instruction order).
    @Test func streamingEqualsBatch() throws {
        let series = Self.eurusd
        let lets = Self.expressions.enumerated().map { "  let v\($0.offset) = \($0.element)" }.joined(separator: "\n")
        let source = "strategy All {\n  market spot\n  timeframe 1h\n\(lets)\n}\n"
        let result = Compiler.compile(.init(name: "all.strat", text: source))
        let strategy = try #require(result.ir?.strategies.first, "\(result.diagnostics.map(\.message))")
        let rt = try Runtime(strategy: strategy, symbols: ["EURUSD"], baseInterval: 3_600_000)
        var streamed = Self.expressions.map { _ in [Double]() }
        for bar in series.bars {
            rt.step(bar)
            for (k, named) in strategy.lets.enumerated() { streamed[k].append(rt.value(node: named.node)) }
        }
        for (k, expression) in Self.expressions.enumerated() {
            let alone = try evaluate(expression, series)
            #expect(bitsEqual(alone, streamed[k]), "`\(expression)`: alone and together differ")
        }
    }

    /// No look-ahead: values up to bar t do not change when every bar after t is altered.
    @Test(arguments: [("GOOG", 100), ("GOOG", 1500), ("EURUSD", 37), ("EURUSD", 2222), ("EURUSD", 4001)])
    func noIndicatorReadsTheFuture(_ dataset: String, _ cut: Int) throws {
        let original = dataset == "GOOG" ? Self.goog : Self.eurusd
        var altered = original
        var rng = SplitMix64(seed: UInt64(cut))
        for i in (cut + 1)..<altered.bars.count {
            let f = 0.5 + rng.unit(), g = 0.2 + 2 * rng.unit()
            altered.bars[i].open *= f; altered.bars[i].high *= f; altered.bars[i].low *= f; altered.bars[i].close *= f
            altered.bars[i].volume *= g
        }
        for expression in dataset == "GOOG" ? Self.dailyExpressions : Self.expressions {
            let a = try evaluate(expression, original), b = try evaluate(expression, altered)
            #expect(bitsEqual(Array(a[...cut]), Array(b[...cut])), "`\(expression)` on \(dataset) changed before bar \(cut + 1)")
            if !a[(cut + 1)...].allSatisfy(\.isNaN), ["close[2]", "vwap()"].contains(expression) {
                #expect(!bitsEqual(Array(a[(cut + 1)...]), Array(b[(cut + 1)...])), "the alteration must be visible after the cut")
            }
        }
    }

    /// The same run twice prints the same bytes.
    @Test func deterministic() throws {
        let s = try compileExpression("macd(close, 12, 26, 9)", interval: Self.goog.interval)
        let a = try Evaluation.run(s, series: Self.goog), b = try Evaluation.run(s, series: Self.goog)
        #expect(a.values.indices.allSatisfy { bitsEqual(a.values[$0], b.values[$0]) })
    }

    /// A 4h series advances only when its 4h bar has closed, and holds the
    /// last closed bar's value in between.
    @Test func higherTimeframeUsesClosedBarsOnly() throws {
        let h = Self.eurusd
        let got = try evaluate("close@4h", h)
        for (i, bar) in h.bars.enumerated() {
            let end = bar.time + 3_600_000
            let bucketStart = (end / 14_400_000) * 14_400_000
            // The last 4h bucket that closed at or before this bar's close.
            let members = h.bars[...i].filter { $0.time < bucketStart && $0.time >= bucketStart - 14_400_000 }
            guard let last = members.last else { #expect(got[i].isNaN || i > 0); continue }
            if bucketStart - 14_400_000 < h.bars[0].time { continue }
            #expect(got[i] == last.close, "bar \(i) at \(UTCTime.format(bar.time)): got \(got[i]), expected the close of the 4h bar before \(UTCTime.format(bucketStart))")
        }
        // A 4h high is the maximum of its hours.
        let highs = try evaluate("high@4h", h)
        let i = 4999
        let bucket = ((h.bars[i].time + 3_600_000) / 14_400_000) * 14_400_000 - 14_400_000
        let expected = h.bars.filter { $0.time >= bucket && $0.time < bucket + 14_400_000 }.map(\.high).max()!
        #expect(highs[i] == expected)
    }

    /// Weekly buckets start on Monday 00:00 UTC. Daily equity bars end on Friday,
    /// so a week is known to be over only when Monday's bar arrives: from then on
    /// the weekly close is the previous Friday's close.
    @Test func weeklyBarsCloseOnTheNextWeeksFirstBar() throws {
        let d = Self.goog
        let weekly = try evaluate("close@1w", d)
        // 2013-02-25 is a Monday; the previous trading day is Friday 2013-02-22.
        let monday = try #require(d.bars.firstIndex { UTCTime.format($0.time) == "2013-02-25T00:00:00Z" })
        #expect(weekly[monday] == d.bars[monday - 1].close)
        // The week before began on Tuesday 2013-02-19 (Monday was a holiday): its
        // first bar closed the week of 11–15 February, whose close held all week.
        #expect(UTCTime.format(d.bars[monday - 4].time) == "2013-02-19T00:00:00Z")
        for i in (monday - 4)..<monday { #expect(weekly[i] == 792.89) }
        #expect(weekly[monday - 5] != 792.89)
    }

    /// Multi-symbol: `@$SYMBOL` reads another symbol's bars; `rank` orders the
    /// universe on each bar (1 = largest).
    @Test func symbolsAndRank() throws {
        let a = Self.goog
        var b = a
        b.symbol = "HALF"
        for i in b.bars.indices { b.bars[i].open /= 2; b.bars[i].high /= 2; b.bars[i].low /= 2; b.bars[i].close /= 2 }
        let source = """
            strategy Pair {
              market spot
              universe GOOG, HALF
              timeframe 1d
              let ratio = close / close@$HALF
              let r = rank(close)
              let m = sma(close, 5)
              when r == 1 and ratio > 0 {
                enter long
              }
            }
            """
        let ir = try #require(Compiler.compile(.init(name: "p.strat", text: source)).ir?.strategies.first)
        let rt = try Runtime(strategy: ir, symbols: ["GOOG", "HALF"], baseInterval: 86_400_000)
        let node = { (name: String) in ir.lets.first { $0.name == name }!.node }
        for (x, y) in zip(a.bars, b.bars) { rt.step(time: x.time, bars: [x, y]) }
        #expect(rt.value(node: node("ratio"), instance: 0) == 2)
        #expect(rt.value(node: node("ratio"), instance: 1) == 1)
        #expect(rt.value(node: node("r"), instance: 0) == 1)
        #expect(rt.value(node: node("r"), instance: 1) == 2)
        #expect(rt.value(node: node("m"), instance: 1) * 2 == rt.value(node: node("m"), instance: 0))
    }

    /// Every example strategy runs over real hourly bars (its universe's symbols
    /// all fed the EURUSD series, shifted so they differ) without a crash, and its
    /// rule conditions are Bool values: 0, 1 or na.
    @Test func everyExampleStrategyRuns() throws {
        let dir = repoRoot.appendingPathComponent("Strategies")
        var fired = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).filter({ $0.hasSuffix(".strat") }).sorted() {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            let ir = try #require(Compiler.compile(.init(name: name, text: text)).ir)
            for s in ir.strategies {
                let symbols = s.universe.isEmpty ? ["EURUSD"] : s.universe + s.referencedSymbols
                let base: Int64 = (s.timeframe ?? 3600) * 1000
                let bars = Self.eurusd.bars.filter { $0.time % base == 0 }
                let rt = try Runtime(strategy: s, symbols: symbols, baseInterval: base)
                var defined = 0
                for bar in bars {
                    rt.step(time: bar.time, bars: symbols.indices.map { k in
                        var b = bar
                        b.close *= 1 + 0.01 * Double(k); b.high *= 1 + 0.01 * Double(k)
                        return b
                    })
                    for r in s.rules {
                        for i in rt.symbols.indices {
                            let v = rt.value(node: r.condition, instance: i)
                            #expect(v.isNaN || v == 0 || v == 1, "\(name): rule condition \(v)")
                            if v == 1 { fired += 1 }
                            if !v.isNaN { defined += 1 }
                        }
                    }
                }
                #expect(rt.barCount == bars.count)
                #expect(defined > 0, "\(name): no rule condition was ever defined")
            }
        }
        #expect(fired > 100)
    }

    @Test func inputsAreCheckedAgainstTheirDeclarations() throws {
        let src = try String(contentsOfFile: repoRoot.appendingPathComponent("Strategies/sma_cross.strat").path, encoding: .utf8)
        let ir = try #require(Compiler.compile(.init(name: "s.strat", text: src)).ir?.strategies.first)
        #expect(throws: RuntimeError.self) { try Runtime(strategy: ir, overrides: ["fast": 4], symbols: ["X"], baseInterval: 86_400_000) }
        #expect(throws: RuntimeError.self) { try Runtime(strategy: ir, overrides: ["fast": 10.5], symbols: ["X"], baseInterval: 86_400_000) }
        #expect(throws: RuntimeError.self) { try Runtime(strategy: ir, overrides: ["nope": 1], symbols: ["X"], baseInterval: 86_400_000) }
        let rt = try Runtime(strategy: ir, overrides: ["fast": 12], symbols: ["X"], baseInterval: 86_400_000)
        #expect(rt.inputs[0] == 12)
    }

    /// The kernels work without the language.
    @Test func kernelsStandAlone() {
        var ema = EMA(length: 3)
        #expect(ema.update(1).isNaN)
        #expect(ema.update(2).isNaN)
        #expect(ema.update(3) == 2)          // seeded with the SMA of the first 3
        #expect(ema.update(6) == 4)          // 2 + (6 − 2) · 0.5
        var w = Window(capacity: 2)
        #expect(w.push(1).isNaN)
        w.push(2)
        #expect(w.push(3) == 1)
        #expect(w[0] == 3 && w[1] == 2 && w[2].isNaN)
        var hi = Extreme(length: 3, max: true)
        #expect([5.0, 1, 2, 1, 0, 7].map { hi.update($0) }.suffix(4) == [5, 2, 2, 7])
        // The line through 1, 2, 4: slope 1.5, 5/6 on the oldest bar.
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 }
        var line = LinearRegression(.value, length: 3), tsf = LinearRegression(.forecast, length: 3)
        var intercept = LinearRegression(.intercept, length: 3), angle = LinearRegression(.angle, length: 1)
        #expect(close([1.0, 2, 4].map { line.update($0) }.last!, 5.0 / 6 + 3))
        #expect(close([1.0, 2, 4].map { tsf.update($0) }.last!, 5.0 / 6 + 4.5))
        #expect(close([1.0, 2, 4].map { intercept.update($0) }.last!, 5.0 / 6))
        #expect(angle.update(5) == 0)       // one bar: a flat line, not TA-Lib's division by zero
        var bop = BalanceOfPower()
        #expect(bop.update(open: 1, high: 1, low: 1, close: 1) == 0)
        #expect(bop.update(open: 1, high: 3, low: 0, close: 2.5) == 0.5)
        var ad = AccumulationDistribution()
        #expect(ad.update(high: 2, low: 2, close: 2, volume: 100) == 0)      // no range: no flow
        #expect(ad.update(high: 4, low: 0, close: 3, volume: 100) == 50)
        var donchian = DonchianChannel(length: 3)
        let channel = zip([5.0, 7, 6, 4], [1.0, 2, 3, 0]).map { donchian.update(high: $0, low: $1) }
        #expect(channel[1].upper.isNaN && channel[2] == (7, 4, 1) && channel[3] == (7, 3.5, 0))
        // KC(2, 3, 2) as TA-Lib: both legs start on bar 3 (the ATR's lookback), so the EMA of
        // the typical price is seeded there with the mean of bars 2–3 (12), not carried from
        // bar 1 (11.72 on bar 3); the ATR is the mean of the true ranges 2, 3, 4.
        var keltner = KeltnerChannel(length: 2, atrLength: 3, multiplier: 2)
        #expect(keltner.lookback == 3)
        let kc = [(10.0, 8.0, 9.0), (11, 9, 10), (13, 11, 12), (14, 10, 12)].map { keltner.update(high: $0.0, low: $0.1, close: $0.2) }
        #expect(kc[..<3].allSatisfy { $0.upper.isNaN && $0.middle.isNaN && $0.lower.isNaN })
        #expect(kc[3] == (18, 12, 6))
        // ATR(1) is the true range: the bands ratchet, the close crossing them flips the
        // direction (+1 up, as TA-Lib, which also starts up on the first bar).
        var trend = Supertrend(atrLength: 1, factor: 1)
        let bars: [(Double, Double, Double)] = [(10, 8, 9), (11, 9, 10), (13, 11, 12.5), (12, 10, 10.5), (10, 7, 8), (14, 11, 13.5)]
        let st = bars.map { trend.update(high: $0.0, low: $0.1, close: $0.2) }
        #expect(st[0].line.isNaN && st[0].direction.isNaN)
        #expect(st.dropFirst().map(\.line) == [8, 9, 9, 12, 6.5])
        #expect(st.dropFirst().map(\.direction) == [1, 1, 1, -1, 1])
        // Ichimoku(1, 2, 3): the spans computed on a bar are read two bars later.
        var ichimoku = Ichimoku(tenkan: 1, kijun: 2, senkou: 3)
        #expect(ichimoku.lookback == 4)
        let cloud = zip([10.0, 12, 14, 13, 20, 18], [8.0, 9, 11, 10, 15, 16]).map { ichimoku.update(high: $0, low: $1) }
        #expect(cloud[..<4].allSatisfy { $0.tenkan.isNaN && $0.senkouB.isNaN })
        // Bar 2: tenkan 12.5, kijun (14 + 9)/2 = 11.5, senkou B (14 + 8)/2 = 11 → read on bar 4.
        #expect(cloud[4] == (17.5, 15, 12, 11))
        // Bar 3: tenkan 11.5, kijun (14 + 10)/2 = 12, senkou B (14 + 9)/2 = 11.5 → read on bar 5.
        #expect(cloud[5] == (17, 17.5, 11.75, 11.5))
        let levels = PivotPoints(kind: .classic).update(high: 12, low: 6, close: 9)
        #expect([levels.p, levels.r1, levels.r2, levels.r3, levels.s1, levels.s2, levels.s3] == [9, 12, 15, 18, 6, 3, 0])
        #expect(levels.r4.isNaN && levels.s4.isNaN)
        let fib = PivotPoints(kind: .fibonacci).update(high: 12, low: 2, close: 7)
        let fibonacci: [Double] = [7 + 0.382 * 10, 7 + 0.618 * 10, 17, -3]
        #expect([fib.r1, fib.r2, fib.r3, fib.s3] == fibonacci)
        let cam = PivotPoints(kind: .camarilla).update(high: 12, low: 0, close: 6)
        let width = 12 * 1.1
        let camarilla: [Double] = [6, 6 + width / 12, 6 + width / 2, 6 - width / 2]
        #expect([cam.p, cam.r1, cam.r4, cam.s4] == camarilla)
        // A weekly vwap restarts on Monday 00:00 UTC (1970-01-05 was a Monday), not on Sunday.
        var weekly = VWAP(anchor: 604_800_000)
        let sunday: Int64 = 10 * 86_400_000, monday: Int64 = 11 * 86_400_000
        #expect(weekly.update(time: sunday - 86_400_000, high: 10, low: 10, close: 10, volume: 1) == 10)
        #expect(weekly.update(time: sunday, high: 20, low: 20, close: 20, volume: 1) == 15)
        #expect(weekly.update(time: monday, high: 30, low: 30, close: 30, volume: 1) == 30)
    }

    /// Ichimoku's senkou spans on bar t are what its lines gave on bar t − kijun:
    /// displaced forward like the chart, never read from later bars.
    @Test func ichimokuSpansAreTheValuesOfKijunBarsAgo() throws {
        for series in [Self.goog, Self.eurusd] {
            let tenkan = try evaluate("donchian(9).middle", series), kijun = try evaluate("donchian(26).middle", series)
            let wide = try evaluate("donchian(52).middle", series)
            let a = try evaluate("ichimoku().senkou_a", series), b = try evaluate("ichimoku().senkou_b", series)
            #expect(a.firstIndex { !$0.isNaN } == 77)
            for t in 77..<series.bars.count {
                #expect(a[t] == (tenkan[t - 26] + kijun[t - 26]) / 2 && b[t] == wide[t - 26], "bar \(t)")
            }
        }
    }
}
