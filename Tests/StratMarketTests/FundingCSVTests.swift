import Foundation
import StratMarket
import Testing

@Suite struct FundingCSVTests {
    @Test func ratesWithAndWithoutTheirMarkPrice() throws {
        let text = "\u{FEFF}time,rate,mark\r\n2024-01-01T00:00:00Z,0.0001,42283.58\r\n1704096000000,-0.00002,\r\n2024-01-01T16:00:00Z,0,42000\r\n\r\n"
        #expect(try FundingCSV.parse(text, file: "f.csv") == [
            FundingRate(time: 1_704_067_200_000, rate: 0.0001, mark: 42_283.58),
            FundingRate(time: 1_704_096_000_000, rate: -0.00002),
            FundingRate(time: 1_704_124_800_000, rate: 0, mark: 42_000)])
        #expect(try FundingCSV.parse("rate,time\n0.0003,2024-01-01\n", file: "f.csv") == [FundingRate(time: 1_704_067_200_000, rate: 0.0003)])
    }

    static let bad: [(String, String)] = [
        ("", "f.csv: empty file; expected a header `time,rate` or `time,rate,mark`"),
        ("time,mark\n2024-01-01,1\n", "f.csv:1: no `rate` column; expected a header `time,rate` or `time,rate,mark`"),
        ("time,rate\n", "f.csv: no funding rates after the header"),
        ("time,rate\n2024-13-01,0.1\n", "f.csv:2: field `time`: `2024-13-01` is not an ISO-8601 UTC time or epoch milliseconds"),
        ("time,rate\n2024-01-01,1%\n", "f.csv:2: field `rate`: `1%` is not a funding rate: a number between -1 and 1 (0.0001 is 0.01%)"),
        ("time,rate\n2024-01-01,1.5\n", "f.csv:2: field `rate`: `1.5` is not a funding rate: a number between -1 and 1 (0.0001 is 0.01%)"),
        ("time,rate,mark\n2024-01-01,0.1,-3\n", "f.csv:2: field `mark`: `-3` is not a positive price (leave it empty when unknown)"),
        ("time,rate\n2024-01-01,0.1,7\n", "f.csv:2: 3 fields, but the header has 2"),
        ("time,rate\n2024-01-02,0.1\n2024-01-01,0.1\n",
         "f.csv:3: field `time`: rates must be in time order; 2024-01-01T00:00:00Z is before the previous row's 2024-01-02T00:00:00Z"),
        ("time,rate\n2024-01-01,0.1\n2024-01-01,0.2\n", "f.csv:3: field `time`: a second rate at 2024-01-01T00:00:00Z; each funding time comes once"),
    ]

    @Test(arguments: bad.indices)
    func everyDefectNamesTheLineAndTheField(_ i: Int) {
        let (text, message) = Self.bad[i]
        do {
            _ = try FundingCSV.parse(text, file: "f.csv")
            Issue.record("accepted: \(text)")
        } catch { #expect("\(error)" == message) }
    }
}
