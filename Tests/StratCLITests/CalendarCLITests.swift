import Foundation
import Testing

/// A strategy timed by the calendar functions, backtested by the real CLI.
@Suite struct CalendarCLITests {
    /// 72 hourly bars from Wednesday 2024-02-28 00:00 UTC: bar i opens at 100 + i.
    static let bars: String = {
        var text = "time,open,high,low,close,volume\n"
        for i in 0..<72 {
            let day = 28 + i / 24, hour = i % 24
            let date = day <= 29 ? String(format: "2024-02-%02d", day) : "2024-03-01"
            text += String(format: "%@T%02d:00:00Z,%d,%d,%d,%d.5,1000\n", date, hour, 100 + i, 101 + i, 99 + i, 100 + i)
        }
        return text
    }()

    static let strategy = """
        strategy Calendar {
          market spot
          timeframe 1h

          let leapDay = year(time) == 2024 and month(time) == 2 and dayofmonth(time) == 29
          when leapDay and dayofweek(time) == 4 and hour(time) == 9 { enter long }
          when hour(time) == 15 and minute(time) == 0 { exit long }
          when dayofweek(time) == 5 and hour(time) == 20 { enter long }
          when hour(time) == 22 { exit long }
        }

        """

    /// By hand: the leap day (a Thursday) signals at its 09:00 bar, so the entry
    /// fills at the 10:00 open (bar 34: 134) and the 15:00 exit at the 16:00 open
    /// (140): 10,000 / 134 → 74 shares, +444. Friday 2024-03-01 (ISO day 5)
    /// signals at 20:00: in at 21:00 (169) with 10,444 → 61 shares, out at 23:00
    /// (171), +122.
    @Test func tradesAtTheHoursTheStrategyNames() throws {
        let data = try temp("cal.csv", Self.bars)
        let source = data.deletingLastPathComponent().appendingPathComponent("calendar.strat")
        try Self.strategy.write(to: source, atomically: true, encoding: .utf8)
        let trades = data.deletingLastPathComponent().appendingPathComponent("t.csv").path
        let r = try strat("backtest", source.path, "--data", data.path, "--lot-size", "1", "--trades", trades)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Final equity        10566.00\n"), "\(r.stdout)")
        let rows = try String(contentsOfFile: trades, encoding: .utf8).split(separator: "\n").dropFirst().map { row in
            row.split(separator: ",", omittingEmptySubsequences: false)[2...6].joined(separator: ",")
        }
        #expect(rows == ["74,2024-02-29T10:00:00Z,134,2024-02-29T16:00:00Z,140",
                         "61,2024-03-01T21:00:00Z,169,2024-03-01T23:00:00Z,171"])
    }

    @Test func aCalendarFunctionOfAPriceIsE0315() throws {
        let file = try temp("bad.strat", "strategy T {\n  market spot\n  timeframe 1h\n  when hour(close) == 9 { enter long }\n}\n")
        let r = try strat("check", file.path)
        #expect(r.status == 1)
        #expect(r.stderr.contains("bad.strat:4:13: error[E0315]: `hour` reads a Time (`time` or a date such as `2024-01-31`), not a Price"),
                "\(r.stderr)")
    }
}
