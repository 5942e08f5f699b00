import Foundation
import StratMarket
import Testing

/// Bar lengths as people write them, and how calendar months follow one another.
@Suite struct BarLengthTextTests {
    func t(_ text: String) -> Int64 { UTCTime.parse(Substring(text))! }

    @Test func parsesFixedLengthsAndCalendarMonths() {
        #expect(BarLength(parsing: "15m") == .milliseconds(900_000))
        #expect(BarLength(parsing: "4h") == .milliseconds(14_400_000))
        #expect(BarLength(parsing: "1d") == .milliseconds(86_400_000))
        #expect(BarLength(parsing: "1w") == .milliseconds(604_800_000))
        #expect(BarLength(parsing: "30s") == .milliseconds(30_000))
        #expect(BarLength(parsing: "366d") == .milliseconds(366 * 86_400_000))
        // M is a calendar month, m a minute.
        #expect(BarLength(parsing: "1M") == .months(1))
        #expect(BarLength(parsing: "1m") == .milliseconds(60_000))
        #expect(BarLength(parsing: "3M") == .months(3))
        #expect(BarLength(parsing: "12M") == .months(12))
        for bad in ["", "M", "0M", "-1M", "13M", "1.5M", "1 M", "M1", "1Mo", "367d", "0h", "1y", "hourly", "1H", "1D", "+1M", "+1h", "1_0m"] {
            #expect(BarLength(parsing: bad) == nil, "\(bad)")
        }
        // What the parser reads, `description` writes.
        for text in ["1m", "15m", "1h", "4h", "1d", "3d", "1w", "1M", "3M", "12M"] {
            #expect(BarLength(parsing: text)?.description == text)
        }
    }

    @Test func monthsCountByTheMonthEachLabelFallsIn() {
        let month = BarLength.months(1)
        // Month-end labels (29 to 31 days apart) and month-start labels are both one month on.
        #expect(month.count(from: t("2024-01-31"), to: t("2024-02-29")) == 1)
        #expect(month.count(from: t("2024-02-29"), to: t("2024-03-31")) == 1)
        #expect(month.count(from: t("2024-01-01"), to: t("2024-02-01")) == 1)
        #expect(month.count(from: t("2023-12-31"), to: t("2024-03-31")) == 3)
        // Two bars in one month are not a month apart; nor is a bar before the last.
        #expect(month.count(from: t("2024-01-01"), to: t("2024-01-31")) == nil)
        #expect(month.count(from: t("2024-02-01"), to: t("2024-01-01")) == nil)
        // Quarters: whole numbers of three months.
        #expect(BarLength.months(3).count(from: t("2024-01-01"), to: t("2024-07-01")) == 2)
        #expect(BarLength.months(3).count(from: t("2024-01-01"), to: t("2024-05-01")) == nil)
        // Fixed lengths: whole numbers of the length.
        #expect(BarLength.milliseconds(3_600_000).count(from: 0, to: 7_200_000) == 2)
        #expect(BarLength.milliseconds(3_600_000).count(from: 0, to: 5_400_000) == nil)
    }

    @Test func filledMonthsAreLabelledAsTheBarBeforeThem() {
        let month = BarLength.months(1)
        // Month-end labels stay month-end (February's last day, in a leap year and not).
        #expect(UTCTime.format(month.label(1, after: t("2024-01-31"))) == "2024-02-29T00:00:00Z")
        #expect(UTCTime.format(month.label(2, after: t("2024-01-31"))) == "2024-03-31T00:00:00Z")
        #expect(UTCTime.format(month.label(1, after: t("2023-01-31"))) == "2023-02-28T00:00:00Z")
        #expect(UTCTime.format(month.label(1, after: t("2024-04-30"))) == "2024-05-31T00:00:00Z")
        #expect(UTCTime.format(month.label(1, after: t("2024-12-31T16:00:00Z"))) == "2025-01-31T16:00:00Z")
        // Other days keep their day, clamped to a shorter month.
        #expect(UTCTime.format(month.label(1, after: t("2024-01-01"))) == "2024-02-01T00:00:00Z")
        #expect(UTCTime.format(month.label(1, after: t("2024-01-15T12:00:00Z"))) == "2024-02-15T12:00:00Z")
        #expect(UTCTime.format(month.label(1, after: t("2024-01-30"))) == "2024-02-29T00:00:00Z")
        #expect(UTCTime.format(BarLength.months(3).label(1, after: t("2024-01-01"))) == "2024-04-01T00:00:00Z")
        #expect(BarLength.milliseconds(60_000).label(3, after: 0) == 180_000)
    }
}
