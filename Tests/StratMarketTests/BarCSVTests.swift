import Foundation
import StratMarket
import Testing

/// How the CSV reader tells what it was given (issue 11, C and D).
@Suite struct BarCSVTests {
    let header = "time,open,high,low,close,volume\n"

    func error(_ text: String, unit: BarCSV.TimeUnit? = nil) -> String? {
        do { _ = try BarCSV.parse(data: Data(text.utf8), file: "x.csv", symbol: "X", timeUnit: unit); return nil } catch let e as BarCSV.Error {
            return e.description
        } catch { return "\(error)" }
    }

    func times(_ text: String, unit: BarCSV.TimeUnit?) throws -> [Int64] {
        try BarCSV.parse(data: Data(text.utf8), file: "x.csv", symbol: "X", timeUnit: unit).bars.map(\.time)
    }

    @Test func epochUnitsAreToldApartByMagnitude() throws {
        let ms: Int64 = 1_704_067_200_000     // 2024-01-01
        #expect(try times(header + "\(ms),1,2,0.5,1,1\n", unit: nil) == [ms])
        #expect(error(header + "1704067200,1,2,0.5,1,1\n") == "x.csv:2: field `time`: `1704067200` looks like epoch seconds (2024-01-01T00:00:00Z), not milliseconds (1970-01-20T17:21:07.200Z); pass --time-unit s, or --time-unit ms to read milliseconds all the same")
        #expect(error(header + "1704067200000000,1,2,0.5,1,1\n") == "x.csv:2: field `time`: `1704067200000000` looks like epoch microseconds (2024-01-01T00:00:00Z), not milliseconds; pass --time-unit us, or --time-unit ms to read milliseconds all the same")
        #expect(error(header + "1704067200000000000,1,2,0.5,1,1\n") == "x.csv:2: field `time`: `1704067200000000000` looks like epoch nanoseconds (2024-01-01T00:00:00Z), not milliseconds; pass --time-unit ns, or --time-unit ms to read milliseconds all the same")
        // Each unit, given, reads to the same milliseconds.
        for (unit, text) in [(BarCSV.TimeUnit.s, "1704067200"), (.ms, "1704067200000"), (.us, "1704067200000000"), (.ns, "1704067200000000000")] {
            #expect(try times(header + "\(text),1,2,0.5,1,1\n", unit: unit) == [ms], "\(unit)")
        }
        // An explicit unit reads any magnitude, and says when it overflows.
        #expect(try times(header + "5,1,2,0.5,1,1\n", unit: .ms) == [5])
        #expect(error(header + "9223372036854775807,1,2,0.5,1,1\n", unit: .s) == "x.csv:2: field `time`: `9223372036854775807` seconds is out of range; times must fall in the years 0000 to 9999")
        #expect(error(header + "9223372036854775807,1,2,0.5,1,1\n", unit: .ms) == "x.csv:2: field `time`: `9223372036854775807` milliseconds is out of range; times must fall in the years 0000 to 9999")
        #expect(try times(header + "253402300799999,1,2,0.5,1,1\n", unit: .ms) == [253_402_300_799_999])     // 9999-12-31T23:59:59.999Z
        // ISO times are not affected.
        #expect(try times(header + "2024-01-01,1,2,0.5,1,1\n", unit: .s) == [ms])
    }

    @Test func headerOnlyIsNoBars() {
        #expect(error(header) == "x.csv:1: no bars: the file has a header but no rows")
    }

    @Test func separatorsAndByteOrderMarks() throws {
        #expect(error("time;open;high;low;close;volume\n2024-01-01;1;2;0,5;1;1\n") == "x.csv:1: the header has no `time` column; expected `time,open,high,low,close,volume` (extra columns are allowed); the fields seem separated by `;`, but strat reads comma-separated values with `.` for decimals")
        #expect(error("time\topen\thigh\tlow\tclose\tvolume\n") == "x.csv:1: the header has no `time` column; expected `time,open,high,low,close,volume` (extra columns are allowed); the fields seem separated by tabs, but strat reads comma-separated values")
        #expect(error(header + "2024-01-01;1;2;0.5;1;1\n") == "x.csv:2: 1 fields, but the header has 6; the fields seem separated by `;`, but strat reads comma-separated values with `.` for decimals")
        // A UTF-8 byte-order mark (as spreadsheets save) is read past; UTF-16 is refused.
        var bom = Data([0xEF, 0xBB, 0xBF])
        bom.append(Data((header + "2024-01-01,1,2,0.5,1,1\n").utf8))
        #expect(try BarCSV.parse(data: bom, file: "x.csv", symbol: "X").bars.count == 1)
        #expect(throws: BarCSV.Error.self) { try BarCSV.parse(data: Data([0xFF, 0xFE, 0x74, 0x00]), file: "x.csv", symbol: "X") }
    }

    @Test func missingFilesAndDirectories() {
        #expect(throws: BarCSV.Error.self) { try BarCSV.read(path: "/nonexistent/x.csv") }
        do { _ = try BarCSV.read(path: "/nonexistent/x.csv") } catch { #expect("\(error)" == "/nonexistent/x.csv: no such file") }
        do { _ = try BarCSV.read(path: "/tmp") } catch { #expect("\(error)" == "/tmp: is a directory; expected a CSV file of bars") }
    }
}
