import Foundation
import StratTestSupport
import Testing

extension HandRun {
    /// Risk events as "HH:MM decision (limit) requested → approved", state changes as "HH:MM STATE (limit)".
    var riskEvents: [String] {
        (json["risk_events"] as? [[String: Any]] ?? []).map { e in
            let t = Self.hm(e["time"]), limit = (e["limit"] as? String).map { " (\($0))" } ?? ""
            if let s = e["state"] as? String { return "\(t) \(s)\(limit)" }
            let d = e["decision"] as! String
            return "\(t) \(d)\(limit) \(Self.n(e["requested"])) → \(Self.n(e["approved"]))"
        }
    }
    var riskState: String? { json["risk_state"] as? String }
    var tradeLimits: [String?] { (json["trades"] as? [[String: Any]] ?? []).map { $0["risk_limit"] as? String } }
}

/// Issue 12: every limit of the `risk { }` block, on bars small enough to compute by hand.
@Suite struct RiskCasesTests {
    /// A drawdown halt reached inside a bar: the drawdown stop closes the position
    /// where equity meets the limit, and no entry follows.
    @Test func drawdownHaltInsideABar() throws {
        // Buy 100 at bar 1's open (100): all 10,000 of cash. At bar 1's close (100) the high-water
        // mark is 10,000, so equity may fall to 9,000: the drawdown stop sits at 90. Bar 2 runs
        // 99 → 99 → 85 → 88 and fills it at 90. Bar 2 closes up again: the entry is denied (HALTED).
        let r = try handRun("""
              when close > open or close == 100 {
                enter long size qty(100)
              }
              risk {
                max drawdown 10% then halt
              }
            """, bars: [(99, 101, 99, 100), (100, 101, 99, 100), (99, 99, 85, 88), (88, 92, 88, 91), (91, 91, 91, 91)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["01:00 buy 100 @ 100", "02:00 sell 100 @ 90"])
        #expect(r.trades == ["long 100 100 → 90 -1000"])
        #expect(r.riskState == "HALTED")
        #expect(r.riskEvents == ["00:00 accept 100 → 100", "02:00 HALTED (max drawdown 10% then halt)",
                                 "03:00 deny 100 → 0"])
        #expect(r.stdout.contains("Risk                1 entries accepted, 0 resized, 1 denied, 0 fills cut\n"))
        #expect(r.stdout.contains("02:00:00Z HALTED (max drawdown 10% then halt): the drawdown stop of X filled at 90; no new entry for the rest of the run"))
        #expect(!r.stderr.contains("not enforced"))
    }

    /// A drawdown seen at a close halts too: the position closes at the next open.
    @Test func drawdownHaltAtAClose() throws {
        // Long 100 from 100; bar 2 gaps down to 80 at its open (through the stop at 90: it fills
        // at the open, 80) — the halt closes what is left; equity 8,000.
        let r = try handRun("""
              when close == 100 {
                enter long size qty(100)
              }
              risk {
                max drawdown 10% then halt
              }
            """, bars: [(99, 101, 99, 100), (100, 101, 99, 100), (80, 82, 79, 81), (81, 81, 81, 81)])
        #expect(r.fills == ["01:00 buy 100 @ 100", "02:00 sell 100 @ 80"])
        #expect(r.finalEquity == 8_000)
        #expect(r.riskState == "HALTED")
    }

    @Test func drawdownScaleSizesEntriesDown() throws {
        // Buy 10 at 100 (bar 1), sell at 80 (bar 2's open): equity 9,800, 2% below its mark of 10,000.
        // With `then scale 50%` at 1%, the next entry (bar 3's signal) is 5, not 10.
        let r = try handRun("""
              when close == 100 {
                enter long size qty(10)
              }
              when close == 85 {
                exit long
              }
              risk {
                max drawdown 1% then scale 50%
              }
            """, bars: [(99, 101, 99, 100), (100, 101, 84, 85), (80, 101, 80, 100), (100, 100, 100, 100)])
        #expect(r.fills == ["01:00 buy 10 @ 100", "02:00 sell 10 @ 80", "03:00 buy 5 @ 100"])
        #expect(r.riskEvents.contains("02:00 resize (max drawdown 1% then scale 50%) 10 → 5"))
        #expect(r.tradeLimits == [nil, "max drawdown 1% then scale 50%"])
    }

    @Test func positionLimitResizesAndTheTradeNamesIt() throws {
        // 50% of 10,000 at a reference of 100: at most 50 of the 80 asked for.
        let r = try handRun("""
              when close == 100 {
                enter long size qty(80)
              }
              risk {
                max position 50% of equity
              }
            """, bars: [(99, 101, 99, 100), (100, 101, 99, 100), (100, 100, 100, 100)], "--lot-size", "1")
        #expect(r.fills == ["01:00 buy 50 @ 100"])
        #expect(r.riskEvents.first == "00:00 resize (max position 50% of equity) 80 → 50")
        #expect(r.tradeLimits == ["max position 50% of equity"])
    }

    @Test func fillsAreCheckedAtTheirPrice() throws {
        // Approved for 50 at the signal's 100; bar 1 opens at 125: 50% of equity buys only 40 there.
        let r = try handRun("""
              when close == 100 {
                enter long size qty(50)
              }
              risk {
                max position 50% of equity
              }
            """, bars: [(99, 101, 99, 100), (125, 126, 124, 125), (125, 125, 125, 125)], "--lot-size", "1")
        #expect(r.fills == ["01:00 buy 40 @ 125"])
        #expect(r.riskEvents == ["00:00 accept 50 → 50", "01:00 cut (max position 50% of equity) 50 → 40"])
    }

    @Test func leverageAndExposureLimits() throws {
        // A short of 200 at 100 on margin: 20,000 of gross exposure against 1.5 × 10,000 → 150.
        let lev = try handRun("""
              when close == 100 {
                enter short size qty(200)
              }
              risk {
                max leverage 1.5x
              }
            """, header: "market spot(margin: true)\n  timeframe 1h", bars: [(99, 101, 99, 100), (100, 101, 99, 100), (100, 100, 100, 100)])
        #expect(lev.fills == ["01:00 sell 150 @ 100"])
        #expect(lev.riskEvents.first == "00:00 resize (max leverage 1.5x) 200 → 150")
        // Exposure 30%: after 30 held, a second entry (pyramiding) has nothing left: denied.
        let exp = try handRun("""
              pyramiding 1
              when close == 100 {
                enter long size qty(30)
              }
              risk {
                max exposure 30% of equity
              }
            """, bars: [(99, 101, 99, 100), (100, 101, 99, 100), (100, 100, 100, 100)])
        #expect(exp.fills == ["01:00 buy 30 @ 100"])
        #expect(exp.riskEvents == ["00:00 accept 30 → 30", "01:00 deny (max exposure 30% of equity) 30 → 0",
                                   "02:00 deny (max exposure 30% of equity) 30 → 0"])
        #expect(exp.warnings.contains { $0.hasPrefix("2 × entries denied by the risk engine: max exposure 30% of equity") })
    }

    @Test func tradeAndOpenRisk() throws {
        // Trade risk 1%: a stop 5 below the reference risks 5 a unit, so 100 of equity buys 20.
        // Open risk 2% (200): the first 20 risk 100 to their stop; an addition may risk the other 100: 20.
        let r = try handRun("""
              pyramiding 2
              when close == 100 {
                enter long size qty(100)
                  stop close - 5
              }
              risk {
                max trade risk 1%
                max open risk 2%
              }
            """, bars: [(99, 101, 99, 100), (100, 101, 99, 100), (100, 101, 99, 100), (100, 100, 100, 100)])
        #expect(r.fills == ["01:00 buy 20 @ 100", "02:00 buy 20 @ 100"])
        #expect(r.riskEvents == ["00:00 resize (max trade risk 1%) 100 → 20", "01:00 resize (max trade risk 1%) 100 → 20",
                                 "02:00 deny (max open risk 2%) 100 → 0", "03:00 deny (max open risk 2%) 100 → 0"])
    }

    @Test func dailyLossReducesUntilTheNextDay() throws {
        // Hourly bars from 21:00: long 10 from 100 (22:00); 22:00 closes at 70: equity 9,700, 3% below
        // the day's start: REDUCING. The exit goes through (23:00, at 70); the 23:00 entry signal is
        // denied. At 00:00 a new day begins: ACTIVE, and the entry is taken (01:00, at 70).
        let r = try handRun("""
              when close == 100 or close == 70 {
                enter long size qty(10)
              }
              when close == 70 and high == 100 {
                exit long
              }
              risk {
                max daily loss 2%
              }
            """, bars: [(99, 101, 99, 100), (100, 100, 70, 70), (70, 71, 69, 70), (70, 70, 70, 70), (70, 70, 70, 70)],
            start: 1_704_142_800_000)   // 2024-01-01T21:00Z
        #expect(r.fills == ["22:00 buy 10 @ 100", "23:00 sell 10 @ 70", "2024-01-02 01:00 buy 10 @ 70"])
        #expect(r.riskEvents == ["21:00 accept 10 → 10", "22:00 REDUCING (max daily loss 2%)", "23:00 deny 10 → 0",
                                 "2024-01-02 00:00 ACTIVE (max daily loss 2%)", "2024-01-02 00:00 accept 10 → 10"])
    }

    @Test func correlatedSymbolsAreNotHeldTogether() throws {
        // Y moves exactly as X does: once X is held long, an entry in Y is denied (ρ = 1 > 0.7).
        var x = "time,open,high,low,close,volume\n", y = x
        let closes: [Double] = [100, 101, 99, 102, 104, 103, 105, 106]
        for (k, c) in closes.enumerated() {
            let t = 1_704_067_200_000 + Int64(k) * 3_600_000, o = k == 0 ? c : closes[k - 1]
            x += "\(t),\(o),\(max(o, c)),\(min(o, c)),\(c),1000\n"
            y += "\(t),\(o * 2),\(max(o, c) * 2),\(min(o, c) * 2),\(c * 2),1000\n"
        }
        let fx = try temp("x.csv", x), fy = try temp("y.csv", y)
        let strategy = try temp("c.strat", """
            strategy C {
              market spot
              timeframe 1h
              universe X, Y
              when close > close[4] {
                enter long size qty(1)
              }
              risk {
                max correlation 0.7 over 5 bars
              }
            }
            """)
        let json = strategy.deletingLastPathComponent().appendingPathComponent("r.json")
        let out = try runStrat(["backtest", strategy.path, "--data", "X=\(fx.path)", "--data", "Y=\(fy.path)", "--json", json.path])
        #expect(out.status == 0, "\(out.stderr)")
        let r = HandRun(status: out.status, stdout: out.stdout, stderr: out.stderr,
                        json: try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any])
        // Bar 4 (close 104 > 100): X is entered first (symbol order); Y is then too correlated.
        #expect(r.fills == ["05:00 buy 1 @ 104"])
        #expect(r.riskEvents.contains("04:00 deny (max correlation 0.7 over 5 bars) 1 → 0"))
    }

    @Test func limitsFromInputsAndAPause() throws {
        let body = """
              input dd = 10%
              when close > open or close == 100 {
                enter long size qty(100)
              }
              risk {
                max drawdown dd then halt for 2h
              }
            """
        let bars = [(99.0, 101.0, 99.0, 100.0), (100, 101, 99, 100), (99, 99, 85, 88), (88, 92, 88, 91), (91, 93, 90, 92),
                    (89, 90, 88, 89), (89, 89, 89, 89)]
        // Halted when the stop at 90 fills in the 02:00 bar (the pause runs from its close, 03:00, to 05:00);
        // the 03:00 signal is denied; at the 04:00 bar's close (05:00) trading resumes and its signal buys at 89.
        let r = try handRun(body, bars: bars)
        #expect(r.fills == ["01:00 buy 100 @ 100", "02:00 sell 100 @ 90", "05:00 buy 100 @ 89"])
        #expect(r.riskEvents.contains("04:00 ACTIVE (max drawdown 10% then halt for 2h)"))
        // --set dd=20%: the stop sits at 80, never reached.
        let loose = try handRun(body, bars: bars, "--set", "dd=20%")
        #expect(loose.fills == ["01:00 buy 100 @ 100"])
        #expect(loose.riskState == "ACTIVE")
    }

    /// `over 2h`: the drawdown is measured from the window's high-water mark.
    @Test func drawdownOverAWindow() throws {
        // Long 100 from 100; closes 110, 107, 103, then a bar down to 99. From the all-time mark
        // (11,000) the limit is 9,900: the drawdown stop at 99 fills in the 04:00 bar. Over 2h the
        // mark at 04:00 is 10,700 (the 02:00 close), the stop 96.3, never reached.
        let bars = [(99.0, 101.0, 99.0, 100.0), (100, 110, 100, 110), (110, 110, 106, 107), (107, 107, 102, 103),
                    (103, 103, 99, 99), (99, 99, 99, 99)]
        func run(_ limit: String) throws -> HandRun {
            try handRun("  when close == 100 {\n    enter long size qty(100)\n  }\n  risk {\n    \(limit)\n  }", bars: bars)
        }
        let allTime = try run("max drawdown 10% then halt")
        #expect(allTime.fills == ["01:00 buy 100 @ 100", "04:00 sell 100 @ 99"])
        #expect(allTime.riskState == "HALTED")
        let window = try run("max drawdown 10% over 2h then halt")
        #expect(window.fills == ["01:00 buy 100 @ 100"])
        #expect(window.riskState == "ACTIVE")
    }

    /// On real data: the example's 15% drawdown halt caps the drawdown that would
    /// otherwise reach 19.8%.
    @Test func theExampleHaltsOnGOOG() throws {
        let halted = try runStrat(["backtest", "Strategies/risk_sized_halt.strat", "--data", "Data/GOOG.csv"])
        #expect(halted.status == 0, "\(halted.stderr)")
        #expect(halted.stdout.contains("Max drawdown        -15.00%"), "\(halted.stdout)")
        #expect(halted.stdout.contains("Trades              23 closed\n"))
        #expect(halted.stdout.contains("2010-05-06T00:00:00Z HALTED (max drawdown 15% then halt): the drawdown stop of GOOG filled at 464.102"))
        let free = try runStrat(["backtest", "Strategies/risk_sized_halt.strat", "--data", "Data/GOOG.csv", "--set", "maxDrawdown=50%"])
        #expect(free.stdout.contains("Max drawdown        -19.83%"), "\(free.stdout)")
        #expect(free.stdout.contains("Trades              27 closed\n"))
        #expect(!free.stdout.contains("HALTED"))
    }
}

/// Issue 12, the second fill model: taker orders walk an order book (`--depth`).
@Suite struct DepthFillTests {
    /// Asks at 00:30 (100.5 × 2, 101 × 3, 102 × 10), a later book at 01:30 that an 01:00 fill must not see.
    static func book() throws -> URL {
        try temp("book.csv", """
            time,side,price,quantity
            2024-01-01T00:30:00Z,bid,99.5,4
            2024-01-01T00:30:00Z,ask,101,3
            2024-01-01T00:30:00Z,ask,100.5,2
            2024-01-01T00:30:00Z,ask,102,10
            2024-01-01T01:30:00Z,ask,90,100
            """)
    }

    @Test func aMarketOrderWalksThreeLevels() throws {
        // Buy 6 at bar 1's open (01:00): the 00:30 book (older than the bar, the latest at or before it)
        // fills 2 at 100.5, 3 at 101 and 1 at 102: (201 + 303 + 102) / 6 = 101.
        let r = try handRun("""
              when close == 101 {
                enter long size qty(6)
              }
            """, bars: [(100, 101, 99, 101), (100, 101, 99, 100), (100, 100, 100, 100)], "--depth", "X=\(try Self.book().path)")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["01:00 buy 6 @ 101"])
    }

    @Test func beyondTheBookAndUnderParticipation() throws {
        // 20 against 15 on the book: the last 5 at the last level (102): 2,034 / 20 = 101.7.
        let body = """
              when close == 101 {
                enter long size qty(20)
              }
            """
        let bars = [(100.0, 101.0, 99.0, 101.0), (100, 101, 99, 100), (100, 100, 100, 100)]
        let full = try handRun(body, bars: bars, "--depth", "X=\(try Self.book().path)")
        #expect(full.fills == ["01:00 buy 20 @ 101.7"])
        // Under --participation the book's 15 fill (1,524 / 15 = 101.6) and the rest carries over:
        // at 02:00 the 01:30 book sells the last 5 at 90.
        let capped = try handRun(body, bars: bars, "--depth", "X=\(try Self.book().path)", "--participation", "100")
        #expect(capped.fills == ["01:00 buy 15 @ 101.6", "02:00 buy 5 @ 90"])
    }

    @Test func aBadBookNamesItsLine() throws {
        let bad = try temp("bad.csv", "time,side,price,quantity\n2024-01-01T00:00:00Z,mid,100,1\n")
        let r = try handRun("  when close > open {\n    enter long\n  }", bars: [(100, 101, 99, 101), (100, 101, 99, 100)], "--depth", "X=\(bad.path)")
        #expect(r.status == 2)
        #expect(r.stderr.contains("bad.csv:2: field `side`: `mid` is not `bid` or `ask`"))
    }
}
