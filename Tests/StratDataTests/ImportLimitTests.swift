import Foundation
import StratData
import StratMarket
import Testing

/// The import checks added for issue 11: bar spacing against the interval, and
/// a bound on what `--on-gap repair` may add.
@Suite struct ImportLimitTests {
    @Test func barsAtTheWrongDistanceAreRejectedOrFlagged() throws {
        // Hourly bars declared daily.
        let bars = (0..<4).map { bar(Int64($0), 100) }
        #expect(throws: ValidationError.self) { try Validator.validate(bars, interval: 24 * hour, policy: ValidationPolicy(), file: "h.csv") }
        do { _ = try Validator.validate(bars, interval: 24 * hour, policy: ValidationPolicy(), file: "h.csv") } catch let e as ValidationError {
            #expect(e.description.hasPrefix("h.csv:3: spacing: 1h after the previous bar; expected a whole number of 1d intervals at 2024-01-01T01:00:00Z\n"))
            #expect(e.issues.count == 3)
        }
        var p = ValidationPolicy()
        p.spacing = .flag
        let flagged = try Validator.validate(bars, interval: 24 * hour, policy: p)
        #expect(flagged.flags == [[], .spacing, .spacing, .spacing])
        #expect(flagged.report.counts == ["spacing": 3])
        #expect(flagged.report.score == 25)
        // Whole multiples (a weekend, a gap) are no spacing issue.
        let days = [0, 1, 4, 5].map { Bar(time: t0 + Int64($0) * 86_400_000, open: 1, high: 1, low: 1, close: 1, volume: 1) }
        #expect(try Validator.validate(days, interval: 86_400_000, policy: ValidationPolicy()).report.counts["spacing"] == nil)
    }

    @Test func gapRepairIsBoundedBeforeAnythingIsFilled() throws {
        // Two bars twenty years apart at one second: 631 million bars to fill.
        let a = Bar(time: 1_072_915_200_000, open: 1, high: 1, low: 1, close: 1, volume: 1)   // 2004-01-01
        let b = Bar(time: 1_704_067_200_000, open: 1, high: 1, low: 1, close: 1, volume: 1)   // 2024-01-01
        var p = ValidationPolicy()
        p.gaps = .repair
        #expect(throws: GapFillLimitError.self) { try Validator.validate([a, b], interval: 1000, policy: p, file: "g.csv") }
        do { _ = try Validator.validate([a, b], interval: 1000, policy: p, file: "g.csv") } catch let e as GapFillLimitError {
            #expect(e.bars == 631_151_999 && e.largest == 631_151_999 && e.after == a.time)
        }
        // At the limit it fills.
        let c = Bar(time: a.time + Int64(Validator.maxFilledBars + 1) * 1000, open: 1, high: 1, low: 1, close: 1, volume: 1)
        #expect(try Validator.validate([a, c], interval: 1000, policy: p).bars.count == Validator.maxFilledBars + 2)
        // Flagging counts the gap without filling it.
        p.gaps = .flag
        #expect(try Validator.validate([a, b], interval: 1000, policy: p).report.missingBars == 631_151_999)
    }

    @Test func weekdayGapsCountedAWeekAtATimeMatchTheBarByBarCount() throws {
        var p = ValidationPolicy()
        p.weekdaysOnly = true
        for (interval, span): (Int64, Int64) in [(hour, Int64(40 * 86_400_000)), (15 * 60_000, 19 * 86_400_000 + 5 * hour), (86_400_000, 400 * 86_400_000)] {
            for start in stride(from: t0, to: t0 + Int64(7 * 86_400_000), by: 13 * 3_600_000) {
                let bars = [Bar(time: start, open: 1, high: 1, low: 1, close: 1, volume: 1),
                            Bar(time: start + span / interval * interval, open: 1, high: 1, low: 1, close: 1, volume: 1)]
                var slow = 0
                var t = bars[0].time + interval
                while t < bars[1].time {
                    let weekday = ((t / 86_400_000 + 3) % 7)
                    if weekday < 5 { slow += 1 }
                    t += interval
                }
                #expect(try Validator.validate(bars, interval: interval, policy: p).report.missingBars == slow, "\(interval) \(start)")
            }
        }
    }
}
