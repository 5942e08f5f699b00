import Foundation
import StratMarket
import Testing

/// `hour minute dayofweek dayofmonth month year` (t): UTC fields of a Time,
/// evaluated through the language on bars whose times are known dates.
@Suite struct CalendarTests {
    /// Bars opening at these UTC times (ISO text), an hour apart or not.
    static func series(_ times: [String]) -> BarSeries {
        BarSeries(symbol: "T", bars: times.map { text in
            Bar(time: UTCTime.parse(Substring(text))!, open: 1, high: 1, low: 1, close: 1, volume: 1)
        })
    }

    static let times = [
        "1969-12-31T23:30:00Z",   // before the epoch: a Wednesday
        "1970-01-01T00:00:00Z",   // the epoch: a Thursday
        "2000-02-29T12:00:00Z",   // a leap day of a century divisible by 400: a Tuesday
        "2000-03-01T00:00:00Z",   // the day after it: a Wednesday
        "2017-04-23T21:00:00Z",   // a Sunday in Data/EURUSD.csv
        "2023-12-31T23:59:00Z",   // the last minute of a year: a Sunday
        "2024-01-01T00:00:00Z",   // the first of the next: a Monday
        "2024-02-29T23:59:00Z",   // a leap day's last minute: a Thursday
        "2100-03-01T06:07:00Z",   // 2100 is not a leap year: the day after Feb 28, a Monday
    ]

    @Test func fieldsOfKnownTimes() throws {
        let s = Self.series(Self.times)
        #expect(try evaluate("year(time)", s) == [1969, 1970, 2000, 2000, 2017, 2023, 2024, 2024, 2100])
        #expect(try evaluate("month(time)", s) == [12, 1, 2, 3, 4, 12, 1, 2, 3])
        #expect(try evaluate("dayofmonth(time)", s) == [31, 1, 29, 1, 23, 31, 1, 29, 1])
        // ISO: 1 = Monday … 7 = Sunday.
        #expect(try evaluate("dayofweek(time)", s) == [3, 4, 2, 3, 7, 7, 1, 4, 1])
        #expect(try evaluate("hour(time)", s) == [23, 0, 12, 0, 21, 23, 0, 23, 6])
        #expect(try evaluate("minute(time)", s) == [30, 0, 0, 0, 0, 59, 0, 59, 7])
    }

    /// The library function the runtime calls, on the same dates.
    @Test func libraryFieldsAgree() {
        let leap = UTCTime.parse("2024-02-29T23:59:00Z")!
        #expect(CalendarField.allCases.map { UTCTime.calendar($0, leap) } == [23, 59, 4, 29, 2, 2024])
        let early = UTCTime.parse("1969-12-31T23:30:00Z")!
        #expect(CalendarField.allCases.map { UTCTime.calendar($0, early) } == [23, 30, 3, 31, 12, 1969])
        // One millisecond before midnight is still the old day.
        #expect(UTCTime.calendar(.dayOfMonth, UTCTime.parse("2024-03-01")! - 1) == 29)
    }

    /// A date is a Time too; arithmetic on times keeps the calendar exact; na stays na.
    @Test func datesShiftedTimesAndNa() throws {
        let s = Self.series(["2024-02-29T22:00:00Z", "2024-02-29T23:00:00Z"])
        #expect(try evaluate("dayofweek(2024-02-29) * 100 + dayofmonth(2024-02-29)", s) == [429, 429])
        #expect(try evaluate("dayofmonth(time + 90m) * 10000 + hour(time + 90m) * 100 + minute(time + 90m)", s) == [292330, 10030])
        let previous = try evaluate("hour(time[1])", s)
        #expect(previous[0].isNaN && previous[1] == 22)
        // A Time past any calendar is na, not a trap.
        #expect(try evaluate("year(time + 1e300 * 1d)", s).allSatisfy(\.isNaN))
    }

    /// The whole EURUSD file: the fields rebuild every bar's ISO text.
    @Test func everyEURUSDBarRoundTrips() throws {
        let s = RuntimeTests.eurusd
        let fields = try ["year", "month", "dayofmonth", "hour", "minute"].map { try evaluate("\($0)(time)", s) }
        let weekday = try evaluate("dayofweek(time)", s)
        for (i, bar) in s.bars.enumerated() {
            let text = String(format: "%04d-%02d-%02dT%02d:%02d:00Z", Int(fields[0][i]), Int(fields[1][i]), Int(fields[2][i]),
                              Int(fields[3][i]), Int(fields[4][i]))
            #expect(text == UTCTime.format(bar.time), "bar \(i)")
            // 2017-04-17 was a Monday.
            let days = (bar.time - UTCTime.parse("2017-04-17")!) / 86_400_000
            #expect(Int64(weekday[i]) == days % 7 + 1, "bar \(i)")
        }
    }
}
