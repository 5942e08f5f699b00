import Foundation
import StratData
import StratMarket
import StratRun
import Testing

@Suite struct BacktestOptionsTests {
    func decode(_ json: String) throws(RunError) -> BacktestOptions {
        try BacktestOptions.decode(Data(json.utf8))
    }

    @Test func keysAreTheFlagsInSnakeCase() throws {
        let o = try decode("""
            {"capital": 5000, "lot_size": 1, "half_spread": 2.5, "fees": 10, "maker_fees": 1, "taker_fees": 3, "slippage": "sqrt:0.1",
             "fill": "close", "tick_size": 0.01, "latency": 250, "participation": 10, "session": "Mon-Fri 14:30-21:00",
             "periods_per_year": 252, "min_quality": 50, "strict": true, "adjust": "splits", "time_unit": "s",
             "set": ["fast=12"], "strategy_name": "SmaCross", "from": "2010-01-04", "liquidation_fee": 50, "borrow_rate": 3,
             "maintenance_margin": 25, "intrabar": ["A=a.csv"], "depth": ["A=d.csv"], "mark": ["A=m.csv"], "funding": ["A=f.csv"],
             "brackets": "b.json", "holidays": "h.txt"}
            """)
        var expected = BacktestOptions()
        expected.capital = 5000; expected.lotSize = 1; expected.halfSpread = 2.5; expected.fees = 10; expected.makerFees = 1
        expected.takerFees = 3; expected.slippage = "sqrt:0.1"; expected.fill = "close"; expected.tickSize = 0.01; expected.latency = 250
        expected.participation = 10; expected.session = "Mon-Fri 14:30-21:00"; expected.periodsPerYear = 252; expected.minQuality = 50
        expected.strict = true; expected.adjust = .splits; expected.timeUnit = .s; expected.set = ["fast=12"]; expected.strategyName = "SmaCross"
        expected.from = "2010-01-04"; expected.liquidationFee = 50; expected.borrowRate = 3; expected.maintenanceMargin = 25
        expected.intrabar = ["A=a.csv"]; expected.depth = ["A=d.csv"]; expected.mark = ["A=m.csv"]; expected.funding = ["A=f.csv"]
        expected.brackets = "b.json"; expected.holidays = "h.txt"
        #expect(o == expected)
        // Encoded and decoded again: the same options.
        #expect(try BacktestOptions.decode(try JSONEncoder().encode(o)) == o)
        #expect(o.filePaths.map { "\($0.option) \($0.path)" } == ["intrabar a.csv", "depth d.csv", "mark m.csv", "funding f.csv",
                                                                   "brackets b.json", "holidays h.txt"])
    }

    @Test func leftOutOrNullKeysTakeTheCLIsDefaults() throws {
        #expect(try decode("{}") == BacktestOptions())
        #expect(try decode(#"{"lot_size": null, "capital": null}"#) == BacktestOptions())
        let o = BacktestOptions()
        #expect(o.capital == 10_000 && o.slippage == "none" && o.fill == "next-open" && o.session == "24/7" && o.minQuality == 80
                && o.latency == 0 && o.adjust == .none && o.fees == nil && o.filePaths.isEmpty)
    }

    @Test func anUnknownKeyIsNamedWithTheKnownOnes() {
        do throws(RunError) { _ = try decode(#"{"capital": 1000, "lot_sise": 1}"#); Issue.record("decoded") } catch {
            #expect(error.code == "unknown-option-key")
            #expect(error.description == "unknown option `lot_sise`; the options are capital, from, fees, maker_fees, "
                + "taker_fees, slippage, half_spread, fill, lot_size, tick_size, latency, participation, session, holidays, periods_per_year, "
                + "min_quality, strict, adjust, intrabar, depth, mark, funding, brackets, liquidation_fee, borrow_rate, maintenance_margin, "
                + "time_unit, set, strategy_name")
        }
    }

    @Test func aWrongTypeNamesTheKeyAndTheType() {
        for (json, message) in [(#"{"capital": "lots"}"#, "`capital` must be a number"),
                                (#"{"latency": 1.5}"#, "`latency` must be a whole number"),
                                (#"{"fill": 1}"#, "`fill` must be a string"),
                                (#"{"strict": "yes"}"#, "`strict` must be true or false"),
                                (#"{"set": "fast=1"}"#, "`set` must be an array of strings"),
                                (#"{"adjust": "some"}"#, "`adjust` must be one of none, splits, all"),
                                (#"{"time_unit": "h"}"#, "`time_unit` must be one of s, ms, us, ns")] {
            do throws(RunError) { _ = try decode(json); Issue.record("\(json) decoded") } catch {
                #expect(error.code == "invalid-option")
                #expect(error.description == message)
            }
        }
        do throws(RunError) { _ = try decode("[1]"); Issue.record("an array decoded") } catch {
            #expect(error.code == "invalid-option")
            #expect(error.description.hasPrefix("the options are not a JSON object of options"))
        }
    }

    @Test func validateKeepsTheCLIsRangesAndWords() {
        func message(_ change: (inout BacktestOptions) -> Void) -> String? {
            var o = BacktestOptions()
            change(&o)
            do throws(RunError) { try o.validate(); return nil } catch { return error.code + ": " + error.description }
        }
        #expect(message { _ in } == nil)
        #expect(message { $0.capital = 0 } == "invalid-option: --capital must be a number above 0 and at most 1000000000000000, got 0")
        #expect(message { $0.capital = 1e15 } == nil)
        #expect(message { $0.fees = 10_000 } == "invalid-option: --fees must be basis points from 0 to less than 10000, got 10000")
        #expect(message { $0.halfSpread = -1 } == "invalid-option: --half-spread must be basis points from 0 to less than 10000, got -1")
        #expect(message { $0.slippage = "cubic:1" } == "invalid-option: --slippage must be none, fixed:BPS, linear:K or sqrt:K, got `cubic:1`")
        #expect(message { $0.slippage = "sqrt:2" } == "invalid-option: --slippage's K must be a number from 0 to 1, got 2")
        #expect(message { $0.latency = -1 } == "invalid-option: --latency must be milliseconds from 0 to 604800000, got -1")
        #expect(message { $0.participation = 0 } == "invalid-option: --participation must be a percentage above 0 and at most 100, got 0")
        #expect(message { $0.lotSize = .nan } == "invalid-option: --lot-size must be a number above 0 and at most 1000000000, got nan")
        #expect(message { $0.minQuality = 101 } == "invalid-option: --min-quality must be a score from 0 to 100, got 101")
        #expect(message { $0.maintenanceMargin = 100 } == "invalid-option: --maintenance-margin must be a percentage from 0 to less than 100, got 100")
    }

    @Test func dataSpecs() throws {
        #expect(try DataInput.parse("GOOG=Data/GOOG.csv") == .file(symbol: "GOOG", path: "Data/GOOG.csv"))
        #expect(try DataInput.parse("Data/EURUSD.csv") == .file(symbol: "EURUSD", path: "Data/EURUSD.csv"))
        #expect(try DataInput.parse("BTCUSDT=db:1h:perp:binance") == .stored(symbol: "BTCUSDT", spec: "1h:perp:binance"))
        #expect(try DataInput.parse("GOOG=db") == .stored(symbol: "GOOG", spec: ""))
        #expect(try DataInput.parse("*=db:1d") == .allStored(spec: "1d"))
        #expect(try DataInput.parse("*=db:1d").spec == "*=db:1d")
        #expect(try DataInput.parse("Data/GOOG.csv").spec == "Data/GOOG.csv")
        #expect(try DataInput.parse("GOOG=Data/EURUSD.csv").spec == "GOOG=Data/EURUSD.csv")
        for bad in ["=x.csv", "GOOG="] {
            do throws(RunError) { _ = try DataInput.parse(bad); Issue.record("\(bad) parsed") } catch {
                #expect(error.code == "invalid-option")
                #expect(error.description == "--data takes SYMBOL=FILE.csv, got `\(bad)`")
            }
        }
    }

    @Test func theREPLsWordsAreTheFlags() throws {
        var o = BacktestOptions()
        try o.assign(flag: "--lot-size", "1")
        try o.assign(flag: "--fill", "close")
        try o.assign(flag: "--latency", "250")
        try o.assign(flag: "--from", "2010-01-04")
        var expected = BacktestOptions()
        expected.lotSize = 1; expected.fill = "close"; expected.latency = 250; expected.from = "2010-01-04"
        #expect(o == expected)
        for (flag, value, message) in [("--capital", "lots", "--capital must be a number, got `lots`"),
                                       ("--latency", "1.5", "--latency must be a whole number, got `1.5`")] {
            do throws(RunError) { try o.assign(flag: flag, value); Issue.record("\(flag) \(value) taken") } catch {
                #expect(error.code == "invalid-option" && error.description == message)
            }
        }
        // Options of data the REPL does not read are not taken.
        for flag in ["--brackets", "--mark", "--strict", "--strategy-name", "capital"] {
            do throws(RunError) { try o.assign(flag: flag, "x"); Issue.record("\(flag) taken") } catch {
                #expect(error.code == "unknown-option-key")
            }
        }
    }

    @Test func sweepJSON() throws {
        let s = try SweepSpec.decode(Data(#"{"grid": ["fast=5...20:5"], "where": "fast < 15", "pbo_blocks": 8, "seed": 7}"#.utf8))
        #expect(s == SweepSpec(grid: ["fast=5...20:5"], seed: 7, where_: "fast < 15", pboBlocks: 8))
        #expect(try SweepSpec.decode(try JSONEncoder().encode(s)) == s)
        do throws(RunError) { _ = try SweepSpec.decode(Data(#"{"grids": []}"#.utf8)); Issue.record("decoded") } catch {
            #expect(error.description == "unknown option `grids`; the options are grid, vary, random, seed, where, objective, top, pbo_blocks")
        }
        do throws(RunError) { _ = try SweepSpec.decode(Data(#"{"random": "many"}"#.utf8)); Issue.record("decoded") } catch {
            #expect(error.code == "invalid-option" && error.description == "`random` must be a whole number")
        }
    }
}
