import Foundation
import Testing
import StratTestSupport

/// `strat backtest` run as a subprocess.
@Suite struct BacktestCLITests {
    @Test func smaCrossOnGOOGPrintsTheSummaryAndWritesTheFiles() throws {
        let dir = scratchDirectory.appendingPathComponent("strat-bt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let json = dir.appendingPathComponent("r.json").path, trades = dir.appendingPathComponent("t.csv").path
        let equity = dir.appendingPathComponent("e.csv").path
        let r = try strat("backtest", "Strategies/sma_cross.strat", "--data", "ANY=Data/GOOG.csv", "--lot-size", "1",
                          "--json", json, "--trades", trades, "--equity", equity)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Final equity        57752.99\n"))
        #expect(r.stdout.contains("Trades              32 closed + 1 open\n"))
        #expect(r.stdout.hasPrefix("Strategy            SmaCross on ANY\n"))
        let t = try String(contentsOfFile: trades, encoding: .utf8).split(separator: "\n")
        #expect(t.count == 34)
        #expect(t[1] == "ANY,long,53,2004-12-21T00:00:00Z,186.31,2005-01-31T00:00:00Z,193.69,391.14,0.0396114003542,0,27,14,17,0,0,signal")
        #expect(t[33] == "ANY,long,71,2012-12-04T00:00:00Z,695,,,,,0,60,14,,0,0,")
        let e = try String(contentsOfFile: equity, encoding: .utf8).split(separator: "\n")
        #expect(e.count == 2149 && e.last == "2013-03-01T00:00:00Z,57752.99,513.4999999999927")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let prov = object["provenance"] as! [String: Any]
        let data = (prov["data"] as! [[String: Any]])[0]
        #expect(data["sha256"] as? String == "5af5a828634fe8856460534a840dcb89cf52204cfa054b56f410ce35c035460d")
        #expect((prov["inputs"] as! [String: Any])["fast"] as? Double == 10)
        #expect(prov["ir_hash"] as? String != nil && prov["engine_version"] as? String == "0.1.0")
        // Byte-identical on a second run.
        let json2 = dir.appendingPathComponent("r2.json").path
        _ = try strat("backtest", "Strategies/sma_cross.strat", "--data", "ANY=Data/GOOG.csv", "--lot-size", "1", "--json", json2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: json)) == Data(contentsOf: URL(fileURLWithPath: json2)))
    }

    @Test func setOverridesInputsWithinTheirRanges() throws {
        let ok = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--set", "fast=20", "--set", "slow=50")
        #expect(ok.status == 0, "\(ok.stderr)")
        let out = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--set", "fast=3")
        #expect(out.status == 2)
        #expect(out.stderr == "strat: error: --set fast: 3 is outside the declared range 5...60 of input `fast`\n")
        let bad = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--set", "fast=ten")
        #expect(bad.status == 2 && bad.stderr.contains("--set fast: `ten` is not a Int value"))
        let unknown = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--set", "nope=1")
        #expect(unknown.status == 2 && unknown.stderr.contains("no such input; the inputs are fast, slow"))
    }

    /// Issue 10 A2: an order for 9.5 used to fill 9 and stay open, blocking every later entry (1 trade).
    @Test func donchianTradesInWholeShares() throws {
        let r = try strat("backtest", "Strategies/donchian_breakout.strat", "--data", "Data/GOOG.csv", "--lot-size", "1")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Trades              43 closed + 1 open\n"), "\(r.stdout)")
    }

    @Test func feesAndCloseFills() throws {
        let close = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1", "--fill", "close")
        #expect(close.stdout.contains("Final equity        63328.77\n"))
        let fees = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1", "--fees", "10")
        #expect(fees.status == 0)
        #expect(!fees.stdout.contains("Fees                0.00\n"))
    }

    /// A strategy with a universe of two symbols, each given its own data: EURUSD
    /// hours with their moves magnified 20 times, as volatile as crypto, which the
    /// example's 2% EMA spread is made for.
    @Test func universeStrategyFromTheCommandLine() throws {
        let lines = try String(contentsOfFile: repoRoot.appendingPathComponent("Data/EURUSD.csv").path, encoding: .utf8).split(separator: "\n")
        let p0 = Double(lines[1].split(separator: ",")[4])!
        var text = String(lines[0]) + "\n"
        for line in lines.dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            let scaled = f[1...4].map { String(p0 * Foundation.exp(20 * Foundation.log(Double($0)! / p0))) }
            text += ([f[0]] + scaled + [f[5]]).joined(separator: ",") + "\n"
        }
        let file = try temp("volatile.csv", text)
        let r = try strat("backtest", "Strategies/ema_cross_atr.strat", "--data", "BTCUSDT=\(file.path)", "--data", "ETHUSDT=\(file.path)")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("Strategy            EmaCrossAtr on BTCUSDT, ETHUSDT\n"))
        // A perpetual without mark data: the last price stands in, and the summary says so.
        #expect(r.stderr.contains("warning: no mark prices for BTCUSDT: its last price stands in for the mark"))
        // The risk block is enforced: BTCUSDT and ETHUSDT share these bars (correlation 1), so one is
        // never held or entered with the other; positions are capped at 10% of equity.
        #expect(r.stdout.contains("Trades              73 closed + 1 open\n"), "\(r.stdout)")
        #expect(r.stdout.contains("Risk                0 entries accepted, 74 resized, 130 denied, 31 fills cut\n"), "\(r.stdout)")
        // A 3x short through the weekend of 2017-04-23 (EUR gapped up; ×20 here): liquidated at the
        // reopening mark, beyond its margin, the rest (and the whole 1.25% clearance fee of the
        // shipped table: 18.29) to the insurance fund.
        #expect(r.stdout.contains("Liquidations        1 (insurance fund 147.75)\n"), "\(r.stdout)")
        let missing = try strat("backtest", "Strategies/ema_cross_atr.strat", "--data", "BTCUSDT=Data/EURUSD.csv")
        #expect(missing.status == 2 && missing.stderr.contains("no data for symbol ETHUSDT"))
    }

    @Test func usageAndDataErrors() throws {
        let badFill = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--fill", "later")
        #expect(badFill.status == 2 && badFill.stderr.contains("--fill must be next-open or close"))
        let badSlip = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--slippage", "huge")
        #expect(badSlip.status == 2 && badSlip.stderr.contains("--slippage must be"))
        // Finer data is resampled (see BarLengthCasesTests); coarser data cannot be split.
        let coarse = try strat("backtest", "Strategies/bracket_oco.strat", "--data", "Data/GOOG.csv")
        #expect(coarse.status == 2 && coarse.stderr.contains("the strategy's timeframe is 15m but GOOG's bars are 1d, which do not make whole 15m bars"))
        let f = try temp("bad.csv", "time,open,high,low,close,volume\n2024-01-01,1,2,0.5,1,1\n2024-01-02,1,2,0.5,x,1\n")
        let badCSV = try strat("backtest", "Strategies/sma_cross.strat", "--data", f.path)
        #expect(badCSV.status == 2 && badCSV.stderr.contains("bad.csv:3: field `close`: `x` is not a finite number"))
        let compileError = try temp("e.strat", "strategy E {\n  market spot\n  when close + volume > 0 {\n    enter long\n  }\n}\n")
        let ce = try strat("backtest", compileError.path, "--data", "Data/GOOG.csv")
        #expect(ce.status == 1 && ce.stderr.contains("error[E0301]"))
    }
}
