import Foundation
import StratTestSupport
import Testing

/// Issue 13's end-to-end cases: `strat backtest` on hand-built hourly bars of
/// perpetuals, every number computed by hand in the comments.
@Suite struct PerpCasesTests {
    typealias OHLC = (Double, Double, Double, Double)

    /// One bracket up to 10M notional: 20x, maintenance 0.5%, cum 0, and a
    /// clearance fee of 0.25%, for the symbols given.
    static func brackets(_ symbols: [String]) -> String {
        "[" + symbols.map {
            "{\"symbol\":\"\($0)\",\"liquidationFee\":0.0025,\"brackets\":[{\"bracket\":1,\"initialLeverage\":20,\"notionalCap\":10000000,"
                + "\"notionalFloor\":0,\"maintMarginRatio\":0.005,\"cum\":0}]}"
        }.joined(separator: ",") + "]"
    }

    static func csv(_ bars: [OHLC], start: Int64 = 1_704_067_200_000) -> String {
        var text = "time,open,high,low,close,volume\n"
        for (i, b) in bars.enumerated() { text += "\(start + Int64(i) * 3_600_000),\(b.0),\(b.1),\(b.2),\(b.3),1000\n" }
        return text
    }

    /// A perp backtest of `body` on hourly bars per symbol (from 2024-01-01),
    /// with the one-bracket table, no trading fees and the files given
    /// (`--mark S=…` for `marks`, `--funding S=…` for `funding`).
    func perpRun(_ header: String, _ body: String, _ bars: [String: [OHLC]], marks: [String: [OHLC]] = [:],
                 funding: [String: String] = [:], _ args: String...) throws -> HandRun {
        let dir = try temp("t.strat", "").deletingLastPathComponent()
        let symbols = bars.keys.sorted()
        let strategy = dir.appendingPathComponent("t.strat")
        try "strategy T {\n  \(header)\n  universe \(symbols.joined(separator: ", "))\n\(body)\n}\n".write(to: strategy, atomically: true, encoding: .utf8)
        let brackets = dir.appendingPathComponent("brackets.json")
        try Self.brackets(symbols).write(to: brackets, atomically: true, encoding: .utf8)
        let json = dir.appendingPathComponent("r.json")
        var all = ["backtest", strategy.path, "--json", json.path, "--brackets", brackets.path, "--fees", "0"]
        for s in symbols {
            let file = dir.appendingPathComponent("\(s).csv")
            try Self.csv(bars[s]!).write(to: file, atomically: true, encoding: .utf8)
            all += ["--data", "\(s)=\(file.path)"]
            if let m = marks[s] {
                let file = dir.appendingPathComponent("\(s)-mark.csv")
                try Self.csv(m).write(to: file, atomically: true, encoding: .utf8)
                all += ["--mark", "\(s)=\(file.path)"]
            }
            if let f = funding[s] {
                let file = dir.appendingPathComponent("\(s)-funding.csv")
                try f.write(to: file, atomically: true, encoding: .utf8)
                all += ["--funding", "\(s)=\(file.path)"]
            }
        }
        let r = try runStrat(all + args)
        let object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: json))) as? [String: Any] ?? [:]
        return HandRun(status: r.status, stdout: r.stdout, stderr: r.stderr, json: object)
    }

    func liquidations(_ r: HandRun) -> [String] {
        (r.json["liquidations"] as? [[String: Any]] ?? []).map {
            "\(HandRun.hm($0["time"])) \($0["symbol"]!) \($0["side"]!) \(HandRun.n($0["qty"])) @ \(HandRun.n($0["price"])) fee \(HandRun.n($0["fee"])) insurance \(HandRun.n($0["insurance_fund"]))"
        }
    }

    func exitReasons(_ r: HandRun) -> [String] { (r.json["trades"] as? [[String: Any]] ?? []).map { "\($0["exit_reason"] ?? "open")" } }

    /// A 10x isolated long liquidated inside a bar at Binance's price, paying the clearance fee.
    @Test func isolatedLongIsLiquidatedInsideTheBar() throws {
        // Buy 100 at bar 1's open (100): notional 10,000, isolated margin 1,000.
        // LP = (WB + cum − Q·EP) / (Q·MMR − Q) = (1,000 − 10,000) / (0.5 − 100) = 90.452261306532…
        // Bar 2 runs 99 → 99.5 → 88 → 95 and reaches it on the way down. The fee is
        // 0.25% of 100 × LP = 22.613065326633; the margin left at LP is the maintenance
        // margin, 0.5% of 100 × LP = 45.226130653266, so the fee is paid in full:
        // the trade loses 100 × (100 − LP) + fee = 954.773869346734 + 22.613065326633.
        let r = try perpRun("market perp(leverage: 10x, margin: isolated)", "  when close == 101 {\n    enter long size qty(100)\n  }",
                            ["X": [(100, 101, 99, 101), (100, 100.5, 99.5, 100), (99, 99.5, 88, 95), (95, 96, 94, 95)]])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["01:00 buy 100 @ 100", "02:00 sell 100 @ 90.452261307"])
        #expect(r.trades == ["long 100 100 → 90.452261307 -977.386934673"])
        #expect(exitReasons(r) == ["liquidation"])
        #expect(liquidations(r) == ["02:00 X long 100 @ 90.452261307 fee 22.613065327 insurance 0"])
        #expect(HandRun.n(r.finalEquity) == "9022.613065327")
        #expect(r.stdout.contains("Liquidations        1\n"), "\(r.stdout)")
        #expect(r.warnings.contains("no mark prices for X: its last price stands in for the mark (margin, liquidation, funding)"))
    }

    /// A position opened at a bar's open is watched from that moment: the same
    /// bar's fall through its liquidation price liquidates it.
    @Test func aPositionCanBeLiquidatedInTheBarItOpens() throws {
        // Bar 1: buy 100 at its open (100), then 100 → 100.5 → 88 → 95 reaches LP = 90.452261306… .
        let r = try perpRun("market perp(leverage: 10x, margin: isolated)", "  when close == 101 {\n    enter long size qty(100)\n  }",
                            ["X": [(100, 101, 99, 101), (100, 100.5, 88, 95), (95, 96, 94, 95)]])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["01:00 buy 100 @ 100", "01:00 sell 100 @ 90.452261307"])
        #expect(exitReasons(r) == ["liquidation"])
    }

    /// Cross margin: a second position's gain keeps the first alive where
    /// isolated margin, or cross margin without that gain, liquidates it.
    @Test func crossMarginKeepsAPositionAliveWithAnotherOnesGain() throws {
        // Both symbols buy 500 at 100 at bar 1's open (10x: 5,000 of margin each,
        // all of the 10,000 wallet). At bar 1's close Y is at 130 (gain 15,000,
        // maintenance 500 × 130 × 0.5% = 325), so X's cross liquidation price is
        // (10,000 − 325 + 15,000 − 50,000) / (2.5 − 500) = 50.904522613…;
        // bar 2 takes X down to 78 only.
        let x: [OHLC] = [(100, 101, 99, 101), (100, 100, 100, 100), (99, 99.5, 78, 85), (85, 86, 84, 85)]
        let y: [OHLC] = [(100, 101, 99, 101), (100, 130, 100, 130), (130, 131, 129, 130), (130, 131, 129, 130)]
        let body = "  when close == 101 {\n    enter long size qty(500)\n  }"
        let cross = try perpRun("market perp(leverage: 10x, margin: cross)", body, ["X": x, "Y": y])
        #expect(cross.status == 0, "\(cross.stderr)")
        #expect(liquidations(cross) == [])
        // 10,000 + 500 × (85 − 100) + 500 × (130 − 100)
        #expect(HandRun.n(cross.finalEquity) == "17500")
        // Isolated: X alone backs itself, LP = (5,000 − 50,000) / (2.5 − 500) = 90.452261306…
        let isolated = try perpRun("market perp(leverage: 10x, margin: isolated)", body, ["X": x, "Y": y])
        #expect(liquidations(isolated) == ["02:00 X long 500 @ 90.452261307 fee 113.065326633 insurance 0"])
        // Cross with Y flat at 100: LP = (10,000 − 250 + 0 − 50,000) / (2.5 − 500) = 80.904522613…;
        // fee 0.25% × 500 × LP = 101.130653266.
        let flat: [OHLC] = [(100, 101, 99, 101), (100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)]
        let alone = try perpRun("market perp(leverage: 10x, margin: cross)", body, ["X": x, "Y": flat])
        #expect(liquidations(alone) == ["02:00 X long 500 @ 80.904522613 fee 101.130653266 insurance 0"])
        // What is left: 10,000 − 500 × (100 − LP) − fee, Y flat.
        #expect(HandRun.n(alone.finalEquity) == "351.130653266")
    }

    /// Funding at 02:00, 04:00 and 06:00: paid by what is held at each moment
    /// (fills at the funding time itself come after it).
    @Test func fundingIsPaidByWhatIsHeldAtEachFundingTime() throws {
        // Long A: 01:00 → 03:00 at 100 → 102, holds at 02:00: pays 10 × 100.5 (the rate's own mark) × 0.01% = 0.1005.
        // Flat at 04:00 (rate −0.02%): nobody pays. Short B: opened at 04:00 (after the
        // funding), reversed at 05:00 into long C at 104: between two funding times, pays nothing.
        // Long C holds at 06:00 (rate −0.03%, no mark in the file: the bar's open, 106):
        // receives 10 × 106 × 0.03% = 0.318; exits at 07:00 at 107.
        let body = """
              when close == 101 {
                enter long size qty(10)
              }
              when close == 102 {
                exit long
              }
              when close == 103 {
                enter short size qty(10)
              }
              when close == 104 {
                enter long size qty(10)
              }
              when close == 107 {
                exit long
              }
            """
        let bars: [OHLC] = [(100, 101, 99, 101), (100, 100, 100, 100), (100, 102, 100, 102), (102, 103, 102, 103),
                            (103, 104, 103, 104), (104, 105, 104, 105), (106, 107, 106, 107), (107, 107, 107, 107)]
        let funding = "time,rate,mark\n2024-01-01T02:00:00Z,0.0001,100.5\n2024-01-01T04:00:00Z,-0.0002,\n2024-01-01T06:00:00Z,-0.0003,\n"
        let r = try perpRun("market perp(leverage: 2x)", body, ["X": bars], funding: ["X": funding])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.trades == ["long 10 100 → 102 19.8995", "short 10 103 → 104 -10", "long 10 104 → 107 30.318"])
        let funded = (r.json["trades"] as? [[String: Any]] ?? []).map { HandRun.n($0["funding"] ?? 0.0) }
        #expect(funded == ["0.1005", "0", "-0.318"])
        #expect(HandRun.n(r.json["funding_paid"]) == "0.1005")
        #expect(HandRun.n(r.json["funding_received"]) == "0.318")
        // 10,000 + 20 − 10 + 30 − 0.1005 + 0.318
        #expect(HandRun.n(r.finalEquity) == "10040.2175")
        #expect(r.stdout.contains("Funding             paid 0.10, received 0.32\n"), "\(r.stdout)")
    }

    /// Hedge mode: a long and a short leg of one symbol open at once; one-way
    /// mode reverses instead.
    @Test func hedgeModeHoldsLongAndShortAtOnce() throws {
        // Long 10 at 100 (bar 1), short 4 at 102 (bar 2) beside it, the long leg
        // exits at 104 (bar 3) and the short at 101 (bar 4).
        let body = """
              when close == 101 {
                enter long size qty(10)
              }
              when close == 102 {
                enter short size qty(4)
              }
              when close == 103 {
                exit long
              }
              when close == 104 {
                exit short
              }
            """
        let bars: [OHLC] = [(100, 101, 99, 101), (100, 102, 100, 102), (102, 103, 102, 103), (104, 104, 104, 104), (101, 101, 101, 101)]
        let r = try perpRun("market perp(leverage: 5x, margin: isolated, mode: hedge)", body, ["X": bars])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["01:00 buy 10 @ 100", "02:00 sell 4 @ 102", "03:00 sell 10 @ 104", "04:00 buy 4 @ 101"])
        let legs = (r.json["fills"] as? [[String: Any]] ?? []).map { "\($0["leg"] ?? "-")" }
        #expect(legs == ["long", "short", "long", "short"])
        #expect(r.trades == ["long 10 100 → 104 40", "short 4 102 → 101 4"])
        #expect(HandRun.n(r.finalEquity) == "10044")
        // One-way: the short entry reverses the long (sells 14 at 102), `exit long` finds no long.
        let oneWay = try perpRun("market perp(leverage: 5x, margin: isolated)", body, ["X": bars])
        #expect(oneWay.fills == ["01:00 buy 10 @ 100", "02:00 sell 10 @ 102", "02:00 sell 4 @ 102", "04:00 buy 4 @ 101"])
        #expect(oneWay.trades == ["long 10 100 → 102 20", "short 4 102 → 101 4"])
    }

    /// A short's stop with `trigger mark` waits for the mark price: the last
    /// price crosses it a bar earlier.
    @Test func aShortStopTriggersOnTheMarkNotTheLast() throws {
        // Short 10 at 100 (bar 1) with a stop at 105. Bar 2: the last runs
        // 100 → 99 → 106 → 101 through 105, the mark only to 104. Bar 3: the mark
        // runs 101 → 101 → 109, reaching 105 halfway up its stretch; the last's
        // stretch is 101 → 103, so the stop buys at 102 (the last at that moment).
        let body = "  when close == 99 {\n    enter short size qty(10) stop 105 trigger mark\n  }"
        let last: [OHLC] = [(100, 100, 98, 99), (100, 101, 99, 100), (100, 106, 99, 101), (101, 103, 101, 102), (102, 102, 102, 102)]
        let mark: [OHLC] = [(100, 100, 98, 99), (100, 101, 99, 100), (100, 104, 99, 101), (101, 109, 101, 102), (102, 102, 102, 102)]
        let r = try perpRun("market perp(leverage: 2x)", body, ["X": last], marks: ["X": mark])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["01:00 sell 10 @ 100", "03:00 buy 10 @ 102"])
        #expect(r.trades == ["short 10 100 → 102 -20"])
        #expect(exitReasons(r) == ["stop"])
        // On the last price (the default) the stop fills at 105 in bar 2.
        let onLast = try perpRun("market perp(leverage: 2x)", body.replacingOccurrences(of: " trigger mark", with: ""), ["X": last], marks: ["X": mark])
        #expect(onLast.fills == ["01:00 sell 10 @ 100", "02:00 buy 10 @ 105"])
    }

    // MARK: Spot margin

    /// A spot margin short pays interest for every whole hour it is held, and is
    /// bought back when the equity falls to 30% of its value.
    @Test func aSpotShortPaysInterestAndIsMarginCalled() throws {
        // Short 100 at 100 (01:00): cash 20,000. At 87.6% a year the hourly rate is 0.01%:
        // 02:00 at bar 2's open (100) costs 1, 03:00 at bar 3's open (110) costs 1.1.
        // The margin call: cash − 100·P = 30% × 100·P, P = 19,997.9 / 130 = 153.83; bar 3 runs
        // 110 → 160 through it. The trade loses 100 × 53.83 + 2.1 of interest.
        let body = "  when close == 99 {\n    enter short size qty(100)\n  }"
        let bars: [(Double, Double, Double, Double)] = [(100, 100, 98, 99), (100, 100, 100, 100), (100, 102, 99, 101), (110, 160, 110, 155), (155, 155, 155, 155)]
        let r = try handRun(body, header: "market spot(margin: true)\n  timeframe 1h", bars: bars, "--borrow-rate", "87.6")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["01:00 sell 100 @ 100", "03:00 buy 100 @ 153.83"])
        #expect(r.trades == ["short 100 100 → 153.83 -5385.1"])
        #expect(exitReasons(r) == ["liquidation"])
        #expect(HandRun.n(r.json["borrow_interest"]) == "2.1")
        #expect((r.json["margin_calls"] as? [Any])?.count == 1)
        #expect(HandRun.n(r.finalEquity) == "4614.9")
        #expect(r.stdout.contains("Borrow interest     2.10\nMargin calls        1\n"), "\(r.stdout)")
        // Without a maintenance margin the short rides it out: interest for 02:00, 03:00 and 04:00 (at 155).
        let kept = try handRun(body, header: "market spot(margin: true)\n  timeframe 1h", bars: bars, "--borrow-rate", "87.6", "--maintenance-margin", "0")
        #expect(kept.fills == ["01:00 sell 100 @ 100"])
        #expect(HandRun.n(kept.json["borrow_interest"]) == "3.65")
        // The options belong to spot margin.
        let perp = try handRun(body, header: "market perp(leverage: 2x)\n  timeframe 1h", bars: bars, "--borrow-rate", "5")
        #expect(perp.status == 2 && perp.stderr.contains("--borrow-rate applies to spot margin shorts (`market spot(margin: true)`)"), "\(perp.stderr)")
    }

    /// The example strategy on real Binance XRPUSDT perpetual data (Data/perp/):
    /// bars, mark prices, funding and the leverage brackets of the time.
    @Test func theExamplePerpRunsOnRealData() throws {
        let json = try temp("r.json", "")
        let r = try strat("backtest", "Strategies/perp_leverage.strat", "--data", "XRPUSDT=Data/perp/XRPUSDT-1h.csv",
                          "--mark", "XRPUSDT=Data/perp/XRPUSDT-mark-1h.csv", "--funding", "XRPUSDT=Data/perp/XRPUSDT-funding.csv",
                          "--brackets", "Data/perp/binance_usdm_xrpusdt_2022-02-05.json", "--json", json.path)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "strat: note: XRPUSDT perpetual: mark prices from Data/perp/XRPUSDT-mark-1h.csv (100 bars); funding from "
            + "Data/perp/XRPUSDT-funding.csv (5 rates, 2021-11-18T00:00:00Z … 2021-11-19T08:00:00Z; none before the first: the funding times before it pay nothing); "
            + "leverage brackets from Data/perp/binance_usdm_xrpusdt_2022-02-05.json; liquidation fee 1.25%\n", "\(r.stderr)")
        // A short of 20,000 from the open of 2021-11-18 10:00 (1.0869) to that of 2021-11-19 06:00 (1.0451),
        // reversed into a long held to the end; taker fees 5 bps: 10.869 + 10.451 = 21.32.
        // Funding at the mark's open of each funding time, rate 0.01%: the short receives at 16:00 and
        // 00:00 (20,000 × (1.05591 + 1.04093) × 0.0001 = 4.19368), the long pays at 08:00
        // (20,000 × 1.04239 × 0.0001 = 2.08478).
        // Short PnL 20,000 × (1.0869 − 1.0451) − 21.32 + 4.19368 = 818.87368.
        #expect(r.stdout.contains("Funding             paid 2.08, received 4.19\n"), "\(r.stdout)")
        #expect(r.stdout.contains("Liquidations        0\n"))
        let result = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        let trades = try #require(result["trades"] as? [[String: Any]])
        #expect(trades.count == 2)
        #expect(HandRun.n(trades[0]["pnl"]) == "818.87368" && HandRun.n(trades[0]["funding"]) == "-4.19368", "\(trades[0])")
        #expect(HandRun.n(trades[1]["funding"]) == "2.08478" && trades[1]["exit_time"] is NSNull, "\(trades[1])")
        #expect(!r.stderr.contains("warning") && !r.stdout.contains("warning"))
    }
}
