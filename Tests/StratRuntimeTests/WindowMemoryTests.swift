import Foundation
import StratIR
@testable import StratIndicators
import StratMarket
@testable import StratRuntime
import StratSyntax
import Testing

/// Windows grow with the data: memory is bounded by min(window, bars), and the
/// values are those of a window allocated whole.
@Suite struct WindowMemoryTests {
    @Test func aWindowGivesTheValuesOfAPlainRingAcrossItsGrowth() {
        var rng = SplitMix64(seed: 11)
        for capacity in [1, 2, 3, 15, 16, 17, 31, 33, 64, 100, 257] {
            var window = Window(capacity: capacity)
            var all: [Double] = []
            for _ in 0..<(3 * capacity + 40) {
                let x = rng.unit()
                let evicted = window.push(x)
                all.append(x)
                #expect(evicted.bitPattern == (all.count > capacity ? all[all.count - 1 - capacity] : .nan).bitPattern)
                for age in 0..<(capacity + 2) {
                    let expected = age < min(all.count, capacity) ? all[all.count - 1 - age] : .nan
                    #expect(window[age].bitPattern == expected.bitPattern, "capacity \(capacity) age \(age)")
                }
                // Bounded by what was pushed (malloc may round a request up a little).
                #expect(window.allocated <= 2 * max(16, min(all.count, capacity)) + 16)
            }
        }
    }

    @Test func aRollingExtremeGivesTheExtremeOfItsWindowAcrossItsGrowth() {
        var rng = SplitMix64(seed: 12)
        for length in [1, 2, 5, 16, 17, 40, 300] {
            var high = RollingExtreme(length: length, max: true), low = RollingExtreme(length: length, max: false)
            var all: [Double] = []
            for _ in 0..<(4 * length + 50) {
                // Few distinct values, so ties (the latest wins) happen.
                let x = Double(Int(rng.unit() * 7))
                high.push(x); low.push(x); all.append(x)
                let last = all.suffix(length)
                #expect(high.value == last.max() && low.value == last.min())
                #expect(high.age == all.count - 1 - all.lastIndex(of: last.max()!)!)
            }
            #expect(high.capacity <= max(16, length))
        }
    }

    @Test func longWindowsOnShortDataHoldOnlyTheData() throws {
        // 200 windows of up to 1,000,000 bars over 2,148 bars: 1.6 GB when each
        // window was allocated whole; now what the data fills.
        let lets = (0..<200).map { "  let s\($0) = sma(close, \(1_000_000 - $0)) + highest(high, \(1_000_000 - $0))" }.joined(separator: "\n")
        let text = "strategy S {\n  timeframe 1d\n\(lets)\n  when close > s0 { enter long }\n}\n"
        let result = Compiler.compile(SourceFile(name: "long.strat", text: text))
        let s = try #require(result.ir?.strategies.first, "\(result.diagnostics.prefix(2).map(\.message))")
        let series = try loadBars("GOOG.csv")
        let rt = try Runtime(strategy: s, symbols: ["GOOG"], baseInterval: series.interval ?? 86_400_000)
        for bar in series.bars { rt.step(bar) }
        let kernels = rt.instances[0].kernels
        #expect(kernels.sma.count == 200 && kernels.extreme.count == 200)
        let bound = 2 * series.bars.count
        #expect(kernels.sma.allSatisfy { $0.window.allocated <= bound })
        #expect(kernels.extreme.allSatisfy { $0.core.capacity <= bound })
        // Not full yet: na, as with a window allocated whole.
        #expect(rt.value(node: s.lets[0].node).isNaN)
    }
}
