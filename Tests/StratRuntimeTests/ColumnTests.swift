import Foundation
import StratIR
import StratMarket
@testable import StratRuntime
import Testing

/// Column mode (a batch's way of running) gives every node the value the
/// per-bar interpreter gives, to the bit, with or without shared columns.
@Suite struct ColumnTests {
    static func strategy(_ lets: [String], inputs: String = "", timeframe: String = "1h") throws -> IRStrategy {
        let body = lets.enumerated().map { "  let v\($0.offset) = \($0.element)" }.joined(separator: "\n")
        let source = "strategy All {\n  market spot\n  timeframe \(timeframe)\n\(inputs)\(body)\n}\n"
        let result = Compiler.compile(.init(name: "all.strat", text: source))
        return try #require(result.ir?.strategies.first, "\(result.diagnostics.map(\.message))")
    }

    /// Every let's value on every bar, streamed or read from columns.
    static func values(_ s: IRStrategy, _ series: BarSeries, inputs: [String: Double] = [:], columns: ColumnCache?? = nil) throws -> [[Double]] {
        let rt = try Runtime(strategy: s, overrides: inputs, symbols: [series.symbol], baseInterval: series.interval!)
        if let cache = columns {
            let columnar = rt.computeColumns(series.bars, cache: cache)
            #expect(columnar, "column mode refused")
        }
        var out = s.lets.map { _ in [Double]() }
        for bar in series.bars {
            rt.step(bar)
            for (k, named) in s.lets.enumerated() { out[k].append(rt.value(node: named.node)) }
        }
        return out
    }

    @Test func everyBuiltinEqualsStreaming() throws {
        // (Column mode is for one timeframe: the goldens read at a higher one stay out.)
        let lets = RuntimeTests.common.filter { !$0.contains("@") } + ["nz(close[300], -1)", "min(close, open) * 2 - max(high, 0)", "crossover(ema(close, 5), sma(close, 9))", "crossunder(close, sma(close, 9))",
                                          "barssince(close > open)", "valuewhen(rising(close, 3), close, 1)", "clamp(rsi(close, 5), 30, 70)[2]",
                                          "time", "hlc3 - ohlc4",
                                          "ichimoku().senkou_b", "ichimoku(5, 10, 20).tenkan", "pivots_camarilla().s4", "pivots_fib().r2", "vwap(1w)",
                                          "hour(time) * 100 + minute(time)", "dayofweek(time[3])", "year(time) * 1e4 + month(time) * 100 + dayofmonth(time)"]
        let s = try Self.strategy(lets)
        let series = RuntimeTests.eurusd
        let streamed = try Self.values(s, series)
        let columns = try Self.values(s, series, columns: .some(nil))
        let shared = ColumnCache()
        let first = try Self.values(s, series, columns: shared)
        let kept = shared.count
        let again = try Self.values(s, series, columns: shared)
        #expect(kept > 20, "the indicators are kept (\(kept))")
        #expect(shared.count == kept, "a second run adds nothing")
        for (k, expression) in lets.enumerated() {
            #expect(bitsEqual(streamed[k], columns[k]), "`\(expression)`: columns differ from streaming")
            #expect(bitsEqual(streamed[k], first[k]) && bitsEqual(streamed[k], again[k]), "`\(expression)`: shared columns differ")
        }
    }

    /// Points that resolve an input to the same length share its column; the
    /// others compute their own, and each equals its own streamed run.
    @Test func inputsShareWhatTheyResolveTo() throws {
        let s = try Self.strategy(["sma(close, fast)", "rsi(ema(close, slow), 3)", "sma(close, fast) > sma(close, slow)"],
                                  inputs: "  input fast = 5 in 2...50\n  input slow = 20 in 2...50\n")
        let series = RuntimeTests.eurusd
        let cache = ColumnCache()
        for (fast, slow) in [(5.0, 20.0), (5, 30), (7, 20), (20, 5)] {
            let inputs = ["fast": fast, "slow": slow]
            let got = try Self.values(s, series, inputs: inputs, columns: cache)
            let want = try Self.values(s, series, inputs: inputs)
            for k in got.indices { #expect(bitsEqual(got[k], want[k]), "fast=\(fast) slow=\(slow) let \(k)") }
        }
        // close; sma 5, 20, 30, 7; ema 20, 30, 5; rsi of each ema.
        #expect(cache.count == 11)
    }

    /// A cache made on other bars is not read.
    @Test func otherBarsDoNotUseTheCache() throws {
        let s = try Self.strategy(["sma(close, 3)"], timeframe: "1d")
        let goog = RuntimeTests.goog
        let cache = ColumnCache()
        _ = try Self.values(s, goog, columns: cache)
        let shorter = BarSeries(symbol: "GOOG", bars: Array(goog.bars.dropFirst(7)))
        #expect(bitsEqual(try Self.values(s, shorter, columns: cache)[0], try Self.values(s, shorter)[0]))
    }

    /// The bars where a condition holds, as a quiet backtest asks: a crossing
    /// nothing else reads is found from its operands and its column is never
    /// made; any other condition is read from its column. Both are the bars
    /// where the streamed value is 1.
    @Test func trueRowsAreWhereTheValueIsOne() throws {
        let lets = ["crossover(ema(close, 5), sma(close, 9))", "crossunder(close, sma(close, 9))",
                    "crossover(close, 1.1)", "crossover(close, open) and close > close[1]", "close > open"]
        let s = try Self.strategy(lets)
        let series = RuntimeTests.eurusd
        let streamed = try Self.values(s, series)
        let rt = try Runtime(strategy: s, symbols: [series.symbol], baseInterval: series.interval!)
        #expect(rt.computeColumns(series.bars, cache: ColumnCache()))
        #expect(rt.deferredCrossings.count == 3, "the three crossings no instruction reads wait")
        for (k, named) in s.lets.enumerated() {
            let want = streamed[k].indices.filter { streamed[k][$0] == 1 }
            #expect(!want.isEmpty, "`\(lets[k])` holds somewhere")
            #expect(rt.trueRows(of: [named.node]).map(\.row) == want, "`\(lets[k])`")
            #expect(rt.hasColumn(node: named.node))
        }
        // All at once: one list, each bar with the lets that hold on it.
        let all = rt.trueRows(of: s.lets.map(\.node))
        var want: [(row: Int, which: UInt64)] = []
        for row in series.bars.indices {
            let which = s.lets.indices.reduce(UInt64(0)) { streamed[$1][row] == 1 ? $0 | 1 << UInt64($1) : $0 }
            if which != 0 { want.append((row, which)) }
        }
        #expect(all.map(\.row) == want.map(\.row) && all.map(\.which) == want.map(\.which))
        #expect(rt.deferredCrossings.count == 3, "asking where they hold made no column")
    }

    @Test func higherTimeframesStream() throws {
        let s = try Self.strategy(["sma(close, 3)@1d"])
        let rt = try Runtime(strategy: s, symbols: ["EURUSD"], baseInterval: 3_600_000)
        #expect(!rt.computeColumns(RuntimeTests.eurusd.bars, cache: ColumnCache()))
    }
}
