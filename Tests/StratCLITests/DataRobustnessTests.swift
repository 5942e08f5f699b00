import Foundation
import Testing
import StratTestSupport

/// `strat data` under hostile input (issue 11, sections A–C): nothing crashes,
/// nothing stored is lost, nothing is misread.
@Suite struct DataRobustnessTests {
    func db() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("strat-robust-\(UUID().uuidString)/t.db").path }

    @Test func gapRepairOfTwentyYearsAtOneSecondIsRefusedWithTheCount() throws {
        let csv = try temp("gap.csv", "time,open,high,low,close,volume\n2004-01-01T00:00:00Z,1,1,1,1,1\n2024-01-01T00:00:00Z,1,1,1,1,1\n")
        let path = db()
        let r = try strat("data", "import", csv.path, "--symbol", "X", "--interval", "1s", "--on-gap", "repair", "--db", path)
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: nothing imported: \(csv.path): repairing the gaps would add 631,151,999 bars (the largest gap: 631,151,999 bars after 2004-01-01T00:00:00Z), more than the limit of 1,000,000 filled bars per import; import with --on-gap flag to store the bars and report the gaps, or check --interval\n")
        let flagged = try strat("data", "import", csv.path, "--symbol", "X", "--interval", "1s", "--db", path)
        #expect(flagged.status == 0 && flagged.stdout.contains("  gap           1 (631151999 missing bars)\n"))
    }

    @Test func hourlyBarsImportedAsDailyAreRefusedOrFlagged() throws {
        let path = db()
        let r = try strat("data", "import", "Data/EURUSD.csv", "--symbol", "EURUSD", "--interval", "1d", "--db", path)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("strat: error: nothing imported:\nData/EURUSD.csv:3: spacing: 1h after the previous bar; expected a whole number of 1d intervals at 2017-04-19T10:00:00Z\n"))
        let flagged = try strat("data", "import", "Data/EURUSD.csv", "--symbol", "EURUSD", "--interval", "1d", "--on-spacing", "flag", "--db", path)
        #expect(flagged.status == 0)
        #expect(flagged.stdout.contains("quality score 0.0/100\n"))
        #expect(flagged.stdout.contains("  spacing       "))
        let quality = try strat("data", "quality", "--symbol", "EURUSD", "--interval", "1d", "--db", path)
        #expect(quality.stdout.contains("quality score 0.0/100\n") && quality.stdout.contains("  spacing       "))
        let hourly = try strat("data", "import", "Data/EURUSD.csv", "--symbol", "EURUSD", "--interval", "1h", "--db", path)
        #expect(hourly.status == 0 && hourly.stdout.contains("  spacing       0\n"))
        let repair = try strat("data", "import", "Data/EURUSD.csv", "--symbol", "EURUSD", "--interval", "1h", "--on-spacing", "repair", "--db", path)
        #expect(repair.status == 2 && repair.stderr.hasPrefix("strat: error: --on-spacing must be reject or flag"))
    }
}
