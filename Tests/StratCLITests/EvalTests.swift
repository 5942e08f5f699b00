import Foundation
import Testing

/// `strat eval` run as a subprocess on real and broken CSV files.
@Suite struct EvalTests {
    let header = "time,open,high,low,close,volume\n"

    @Test func evaluatesOverTheExampleData() throws {
        let r = try strat("eval", "--data", "Data/GOOG.csv", "--last", "2", "ema(close, 20)")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty)
        // TA-Lib EMA(20) on GOOG (Data/goog_talib.csv, last two rows).
        #expect(r.stdout == "time,value\n2013-02-28T00:00:00Z,782.7271281079986\n2013-03-01T00:00:00Z,784.9616873358083\n")
    }

    @Test func printsEveryRowWithEmptyCellsDuringWarmUp() throws {
        let r = try strat("eval", "--data", "Data/GOOG.csv", "sma(close, 3)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2148 + 2)   // header, one row per bar, final newline
        #expect(lines[1] == "2004-08-19T00:00:00Z,")
        #expect(lines[2] == "2004-08-20T00:00:00Z,")
        #expect(lines[3] == "2004-08-23T00:00:00Z,\((100.34 + 108.31 + 109.4) / 3)")
    }

    @Test func multiOutputCallsPrintOneColumnPerOutput() throws {
        let r = try strat("eval", "--data", "Data/GOOG.csv", "--last", "1", "macd(close, 12, 26, 9)")
        #expect(r.stdout == "time,macd,signal,hist\n2013-03-01T00:00:00Z,15.154184421962896,15.817943057836114,-0.6637586358732186\n")
        let b = try strat("eval", "--data", "Data/GOOG.csv", "--last", "1", "bbands(close, 20, 2)")
        // TA-Lib: 812.8406000239524, 786.9580000000002, 761.075399976048 (equal to 3e-15).
        #expect(b.stdout.hasPrefix("time,upper,middle,lower\n2013-03-01T00:00:00Z,812.84060002395"))
        #expect(b.stdout.contains(",786.9580000000002,761.07539997604"))
    }

    @Test func boolsAndIntsAndNumbersReadBack() throws {
        let r = try strat("eval", "--data", "Data/GOOG.csv", "--last", "3", "close > 800")
        #expect(r.stdout == "time,value\n2013-02-27T00:00:00Z,false\n2013-02-28T00:00:00Z,true\n2013-03-01T00:00:00Z,true\n")
        let n = try strat("eval", "--data", "Data/GOOG.csv", "--last", "1", "barssince(close > open)")
        #expect(n.stdout == "time,value\n2013-03-01T00:00:00Z,0\n")
        // Shortest round-trip text: every printed number parses back to the same double.
        let e = try strat("eval", "--data", "Data/EURUSD.csv", "--last", "50", "stddev(close, 20) / 3")
        for line in e.stdout.split(separator: "\n").dropFirst() {
            let cell = line.split(separator: ",")[1]
            #expect(Double(cell)!.description == cell)
        }
    }

    @Test func epochMillisecondsAndExtraColumns() throws {
        let f = try temp("ms.csv", "volume,time,close,open,extra,high,low\n10,1704067200000,2,1,x,3,0.5\n20,1704070800000,4,2,y,5,1\n")
        let r = try strat("eval", "--data", f.path, "close - open")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "time,value\n2024-01-01T00:00:00Z,1.0\n2024-01-01T01:00:00Z,2.0\n")
    }

    @Test func expressionErrorsAreDiagnosticsWithExitOne() throws {
        let r = try strat("eval", "--data", "Data/GOOG.csv", "close + volume")
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("<expression>:1:7: error[E0301]: can't add Price and Volume"))
        let u = try strat("eval", "--data", "Data/GOOG.csv", "sma(close, close)")
        #expect(u.status == 1)
        #expect(u.stderr.contains("error[E"))
    }

    /// Bad CSVs: exit 2, and the message names the file, the line and the field.
    @Test(arguments: [
        ("", "bad.csv:1: the file is empty"),
        ("time,open,high,low,close\n2024-01-01,1,1,1,1\n", "bad.csv:1: the header has no `volume` column"),
        ("HDR2024-01-01,1,2,0.5,1.5,10\n2024-01-02,1,2,0.5,abc,10\n", "bad.csv:3: field `close`: `abc` is not a finite number"),
        ("HDR2024-01-01,1,2,0.5,1.5,10\n2024-13-02,1,2,0.5,1,10\n", "bad.csv:3: field `time`: `2024-13-02` is not a time"),
        ("HDR2024-01-01,1,2,0.5,1.5\n", "bad.csv:2: 5 fields, but the header has 6"),
        ("HDR2024-01-01,1,2,0.5,1.5,10\n2024-01-01,1,2,0.5,1.5,10\n", "bad.csv:3: field `time`: 2024-01-01T00:00:00Z is not after the previous row's"),
        ("HDR2024-01-02,1,2,0.5,1.5,10\n2024-01-01,1,2,0.5,1.5,10\n", "bad.csv:3: field `time`"),
        ("HDR2024-01-01,1,2,0.5,1.5,-1\n", "bad.csv:2: field `volume`: must not be negative"),
        ("HDR2024-01-01,1,2,3,1.5,1\n", "bad.csv:2: field `low`: 3.0 is above high 2.0"),
        ("HDR2024-01-01,1,2,0.5,nan,1\n", "bad.csv:2: field `close`: `nan` is not a finite number"),
        ("HDR2024-01-01,1,2,0.5,,1\n", "bad.csv:2: field `close`: empty; expected a number"),
        ("HDR2024-01-01T00:00:00+02:00,1,2,0.5,1,1\n", "bad.csv:2: field `time`"),
        ("HDR2024-01-01,1,2,0.5,1,1\n\n2024-01-03,1,2,0.5,1,1\n", "bad.csv:3: empty row"),
    ])
    func badCSVNamesLineAndField(_ body: String, _ message: String) throws {
        let f = try temp("bad.csv", body.replacingOccurrences(of: "HDR", with: header))
        let r = try strat("eval", "--data", f.path, "close")
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func missingDataFile() throws {
        let r = try strat("eval", "--data", "Data/nope.csv", "close")
        #expect(r.status == 2)
        #expect(r.stderr.contains("Data/nope.csv"))
    }
}
