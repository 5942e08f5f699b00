import Foundation
import StratTestSupport
import Testing

/// `strat data brackets` and the perpetual's inputs of `strat backtest`
/// (`--mark`, `--funding`, `--brackets`, `--liquidation-fee`), as a subprocess.
@Suite struct PerpDataCLITests {
    func db() -> String { scratchDirectory.appendingPathComponent("strat-perp-\(UUID().uuidString)/t.db").path }

    static let bars = """
        time,open,high,low,close,volume
        2024-01-01T00:00:00Z,100,101,99,100.5,10
        2024-01-01T01:00:00Z,100.5,102,100,101.5,10
        2024-01-01T02:00:00Z,101.5,103,101,102.5,10
        2024-01-01T03:00:00Z,102.5,103,100,100.5,10

        """
    static let marks = """
        time,open,high,low,close,volume
        2024-01-01T00:00:00Z,100.2,101,99.5,100.4,0
        2024-01-01T01:00:00Z,100.4,101.8,100.1,101.4,0
        2024-01-01T02:00:00Z,101.4,102.8,101.2,102.3,0

        """
    static let strategy = "strategy P {\n  market perp(leverage: 2x)\n  universe BTCUSDT\n\n  when close > open {\n    enter long\n  }\n}\n"

    @Test func bracketsAreImportedDatedAndListed() throws {
        let path = db()
        let file = "Data/brackets/binance_usdm_2024-05-30.json"
        let first = try strat("data", "brackets", "import", file, "--db", path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == """
            BTCUSDT: 12 brackets (up to 125x, liquidation fee 1.25%) in force from 2024-05-30T00:00:00Z (the date in the file name)
            ETHUSDT: 12 brackets (up to 125x, liquidation fee 1.25%) in force from 2024-05-30T00:00:00Z (the date in the file name)
            stored 2 bracket tables in \(path)

            """)
        let dated = try strat("data", "brackets", "import", file, "--valid-from", "2024-01-01", "--db", path)
        #expect(dated.stdout.hasPrefix("BTCUSDT: 12 brackets (up to 125x, liquidation fee 1.25%) in force from 2024-01-01T00:00:00Z\n"))
        let again = try strat("data", "brackets", "import", file, "--db", path)
        #expect(again.stdout.hasPrefix("BTCUSDT: 12 brackets (up to 125x, liquidation fee 1.25%) in force from 2024-05-30T00:00:00Z (the date in the file name), replacing the table stored for that date\n"))
        let list = try strat("data", "brackets", "list", "--db", path)
        #expect(list.stdout == """
            symbol      source   valid from            brackets  max leverage  liquidation fee  from
            BTCUSDT     binance  2024-01-01T00:00:00Z  12        125x          1.25%            \(file)
            BTCUSDT     binance  2024-05-30T00:00:00Z  12        125x          1.25%            \(file)
            ETHUSDT     binance  2024-01-01T00:00:00Z  12        125x          1.25%            \(file)
            ETHUSDT     binance  2024-05-30T00:00:00Z  12        125x          1.25%            \(file)

            """)
        let eth = try strat("data", "brackets", "list", "--symbol", "ETHUSDT", "--db", path)
        #expect(eth.stdout.hasPrefix("""
            ETHUSDT (binance) from 2024-01-01T00:00:00Z, liquidation fee 1.25%, imported from \(file)
              bracket  notional floor   notional cap     max leverage  maint. rate  maint. amount
              1        0                50000            125x          0.4%         0
              2        50000            600000           100x          0.5%         50
              3        600000           3000000          75x           0.65%        950

            """))
        #expect(eth.stdout.contains("  12       800000000        1200000000       1x            50%          280506450\n"))
        let none = try strat("data", "brackets", "list", "--symbol", "SOLUSDT", "--db", path)
        #expect(none.stdout.hasPrefix("no brackets stored for SOLUSDT; "))
        // A defect stores nothing and names the file and the entry.
        let bad = try temp("b.json", "[{\"symbol\":\"BTCUSDT\",\"brackets\":[{\"bracket\":1,\"initialLeverage\":125,\"notionalCap\":50000,\"notionalFloor\":0,\"maintMarginRatio\":0.004,\"cum\":0},{\"bracket\":2,\"initialLeverage\":100,\"notionalCap\":600000,\"notionalFloor\":40000,\"maintMarginRatio\":0.005,\"cum\":50}]}]")
        let refused = try strat("data", "brackets", "import", bad.path, "--db", path)
        #expect(refused.status == 2)
        #expect(refused.stderr == "strat: error: \(bad.path): entry 1 (BTCUSDT) bracket 2: `notionalFloor` 40000 must equal the previous bracket's `notionalCap` 50000 (brackets are contiguous and ascending)\n")
        #expect(try strat("data", "brackets", "list", "--db", path).stdout == list.stdout)
        let missing = try strat("data", "brackets", "import", "/nonexistent/b.json", "--db", path)
        #expect(missing.status == 2 && missing.stderr == "strat: error: /nonexistent/b.json: no such file\n")
    }

    @Test func markAndFundingFilesAreReadNotedAndHashed() throws {
        let bars = try temp("BTCUSDT.csv", Self.bars), marks = try temp("m.csv", Self.marks)
        let funding = try temp("f.csv", "time,rate,mark\n2024-01-01T00:00:00Z,0.0001,100.3\n2024-01-01T08:00:00Z,-0.0002,\n")
        let strategy = try temp("p.strat", Self.strategy)
        let json = strategy.path + ".json"
        let r = try strat("backtest", strategy.path, "--data", bars.path, "--mark", "BTCUSDT=\(marks.path)", "--funding", "BTCUSDT=\(funding.path)",
                          "--json", json)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("strat: note: BTCUSDT perpetual: mark prices from \(marks.path) (3 bars, 1 traded bar without one: the last price stands in); funding from \(funding.path) (2 rates, 2024-01-01T00:00:00Z … 2024-01-01T08:00:00Z); leverage brackets shipped with strat (Binance's of 2024-05-30, Data/brackets/binance_usdm_2024-05-30.json; dated after the first bar, the earliest table stands for the time before it too); liquidation fee 1.25%\n"), "\(r.stderr)")
        let report = try String(contentsOfFile: json, encoding: .utf8)
        #expect(report.contains("\"symbol\": \"BTCUSDT (mark)\",\n        \"path\": \"\(marks.path)\",") || report.contains("\"symbol\":\"BTCUSDT (mark)\",\"path\":\"\(marks.path)\""), "\(report.prefix(2000))")
        #expect(report.contains("BTCUSDT (funding)"))
        // A brackets file and a fee for every symbol.
        let file = try temp("b.json", "[{\"symbol\":\"BTCUSDT\",\"liquidationFee\":0.005,\"brackets\":[{\"bracket\":1,\"initialLeverage\":20,\"notionalCap\":1000000,\"notionalFloor\":0,\"maintMarginRatio\":0.02,\"cum\":0}]}]")
        let b = try strat("backtest", strategy.path, "--data", bars.path, "--brackets", file.path)
        #expect(b.stderr.hasPrefix("strat: note: BTCUSDT perpetual: no mark prices (--mark BTCUSDT=FILE.csv gives them); no funding (--funding BTCUSDT=FILE.csv gives it); leverage brackets from \(file.path); liquidation fee 0.5%\n"), "\(b.stderr)")
        let fee = try strat("backtest", strategy.path, "--data", bars.path, "--brackets", file.path, "--liquidation-fee", "20")
        #expect(fee.stderr.hasPrefix("strat: note: BTCUSDT perpetual: no mark prices (--mark BTCUSDT=FILE.csv gives them); no funding (--funding BTCUSDT=FILE.csv gives it); leverage brackets from \(file.path); liquidation fee 0.2% (--liquidation-fee)\n"), "\(fee.stderr)")
        // A symbol with no brackets anywhere.
        let sol = try temp("SOLUSDT.csv", Self.bars)
        let solStrategy = try temp("s.strat", Self.strategy.replacingOccurrences(of: "BTCUSDT", with: "SOLUSDT"))
        let none = try strat("backtest", solStrategy.path, "--data", sol.path)
        #expect(none.stderr.hasPrefix("strat: note: SOLUSDT perpetual: no mark prices (--mark SOLUSDT=FILE.csv gives them); no funding (--funding SOLUSDT=FILE.csv gives it); no leverage brackets (one tier from the leverage; `strat data brackets import` or --brackets give them); no liquidation fee rate (--liquidation-fee BPS gives one)\n"), "\(none.stderr)")
    }

    @Test func badPerpInputsAreUsageErrorsNamingTheFile() throws {
        let bars = try temp("BTCUSDT.csv", Self.bars)
        let strategy = try temp("p.strat", Self.strategy)
        let halfHour = try temp("m.csv", "time,open,high,low,close,volume\n2024-01-01T00:30:00Z,1,1,1,1,0\n")
        let shifted = try strat("backtest", strategy.path, "--data", bars.path, "--mark", "BTCUSDT=\(halfHour.path)")
        #expect(shifted.status == 2)
        #expect(shifted.stderr == "strat: error: \(halfHour.path): the mark bar at 2024-01-01T00:30:00Z opens at no traded bar's time; mark bars must have the traded bars' length and open times\n")
        let badRate = try temp("f.csv", "time,rate\n2024-01-01T00:00:00Z,0.0001\n2024-01-01T08:00:00Z,0.01%\n")
        let rate = try strat("backtest", strategy.path, "--data", bars.path, "--funding", "BTCUSDT=\(badRate.path)")
        #expect(rate.status == 2)
        #expect(rate.stderr == "strat: error: \(badRate.path):3: field `rate`: `0.01%` is not a funding rate: a number between -1 and 1 (0.0001 is 0.01%)\n")
        let other = try strat("backtest", strategy.path, "--data", bars.path, "--funding", "ETHUSDT=\(badRate.path.replacingOccurrences(of: "f.csv", with: "none.csv"))")
        #expect(other.status == 2 && other.stderr.contains("no such file"))
        let good = try temp("g.csv", "time,rate\n2024-01-01T00:00:00Z,0.0001\n")
        let unknown = try strat("backtest", strategy.path, "--data", bars.path, "--funding", "ETHUSDT=\(good.path)")
        #expect(unknown.status == 2 && unknown.stderr == "strat: error: --funding ETHUSDT=…: no --data for ETHUSDT; the data's symbols are BTCUSDT\n")
        let spot = try strat("backtest", "Strategies/sma_cross.strat", "--data", bars.path, "--mark", "BTCUSDT=\(halfHour.path)")
        #expect(spot.status == 2 && spot.stderr == "strat: error: --mark applies to perpetual futures (`market perp`); Strategies/sma_cross.strat trades spot\n")
        let brackets = try temp("b.json", "{\"symbol\":\"BTCUSDT\",\"brackets\":[{\"bracket\":1,\"initialLeverage\":125,\"notionalCap\":50000,\"notionalFloor\":0,\"maintMarginRatio\":0.004}]}")
        let noCum = try strat("backtest", strategy.path, "--data", bars.path, "--brackets", brackets.path)
        #expect(noCum.status == 2 && noCum.stderr == "strat: error: \(brackets.path): entry 1 (BTCUSDT) bracket 1: `cum` is missing\n")
        let fee = try strat("backtest", strategy.path, "--data", bars.path, "--liquidation-fee", "-1")
        #expect(fee.status == 2 && fee.stderr.contains("--liquidation-fee"))
        // An output may not overwrite a perp input.
        let clobber = try strat("backtest", strategy.path, "--data", bars.path, "--funding", "BTCUSDT=\(good.path)", "--trades", good.path)
        #expect(clobber.status == 2 && clobber.stderr.contains("--funding"), "\(clobber.stderr)")
    }
}

@Suite struct LineEndingCLITests {
    /// A holidays file with Windows line ends was read as one line and refused.
    @Test func holidaysWithWindowsLineEnds() throws {
        let holidays = try temp("h.txt", "2010-01-01\r\n# new year\r\n2010-12-24\r\n")
        let r = try strat("backtest", "Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--holidays", holidays.path, "--session", "Mon-Fri 00:00-23:59")
        #expect(r.status == 0, "\(r.stderr)")
    }
}
