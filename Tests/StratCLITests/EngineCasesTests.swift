import Foundation
import StratTestSupport
import Testing

/// A `strat backtest` run on hand-built hourly bars (from 2024-01-01T00:00Z),
/// its JSON read back. Fills are compacted to "HH:MM side qty @ price" and
/// trades to "side qty entry → exit pnl", so expectations read like the
/// hand computation beside them.
struct HandRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var json: [String: Any]

    var metrics: [String: Any] { json["metrics"] as? [String: Any] ?? [:] }
    var finalEquity: Double { metrics["final_equity"] as? Double ?? .nan }
    var ambiguousBars: Int { metrics["ambiguous_bars"] as? Int ?? -1 }
    var warnings: [String] { json["warnings"] as? [String] ?? [] }
    var orders: [[String: Any]] { json["orders"] as? [[String: Any]] ?? [] }

    static func n(_ v: Any?) -> String {
        guard let d = v as? Double else { return "-" }
        let r = (d * 1e9).rounded() / 1e9
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }
    static func hm(_ v: Any?) -> String {
        guard let t = v as? String else { return "-" }
        let time = t.split(separator: "T")[1]
        return t.hasPrefix("2024-01-01") ? String(time.prefix(5)) : String(t.prefix(10)) + " " + time.prefix(5)
    }
    var fills: [String] {
        (json["fills"] as? [[String: Any]] ?? []).map { f in
            "\(Self.hm(f["time"])) \(f["side"]!) \(Self.n(f["qty"])) @ \(Self.n(f["price"]))"
        }
    }
    var trades: [String] {
        (json["trades"] as? [[String: Any]] ?? []).map { t in
            "\(t["side"]!) \(Self.n(t["qty"])) \(Self.n(t["entry_price"])) → \(Self.n(t["exit_price"])) \(Self.n(t["pnl"]))"
        }
    }
    /// Each order's final state and, if any, the reason of its last event.
    var outcomes: [String] {
        orders.map { o in
            let last = (o["history"] as? [[String: Any]])?.last?["reason"] as? String
            return "\(o["state"]!)" + (last.map { ": \($0)" } ?? "")
        }
    }
}

/// Runs `body` (rules and declarations) in a strategy on `bars`, with `args`.
func handRun(_ body: String, header: String = "market spot\n  timeframe 1h", bars: [(Double, Double, Double, Double)],
             volume: Double = 1_000, start: Int64 = 1_704_067_200_000, step: Int64 = 3_600_000, _ args: String...) throws -> HandRun {
    var csv = "time,open,high,low,close,volume\n"
    for (i, b) in bars.enumerated() {
        csv += "\(start + Int64(i) * step),\(b.0),\(b.1),\(b.2),\(b.3),\(volume)\n"
    }
    let data = try temp("bars.csv", csv)
    let dir = data.deletingLastPathComponent()
    let strategy = dir.appendingPathComponent("t.strat")
    try "strategy T {\n  \(header)\n\(body)\n}\n".write(to: strategy, atomically: true, encoding: .utf8)
    let json = dir.appendingPathComponent("r.json")
    var all = ["backtest", strategy.path, "--data", "X=\(data.path)", "--json", json.path]
    all += args
    let r = try runStrat(all)
    let object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: json))) as? [String: Any] ?? [:]
    return HandRun(status: r.status, stdout: r.stdout, stderr: r.stderr, json: object)
}

func runStrat(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    let r = try runProgram(stratBinary.path, args, in: repoRoot.path, environment: env)
    return (r.status, r.stdout, r.stderr)
}

/// Issue 10, part A: each defect on bars small enough to compute by hand.
@Suite struct EngineCasesTests {
    /// A1. Entries whose stop or take fills on the entry's own bar are trades.
    @Test func roundTripsInsideTheEntryBarAreTrades() throws {
        // Bar 0 closes up: buy 10 at bar 1's open (100) with stop 99 and take 101.
        // Bar 1 runs O→L→H→C (the low is nearer): 100 → 99.5 → 102: the take fills at 101.
        // Bar 1 closes up again: buy at bar 2's open (100); bar 2 runs 100 → 100.5 → 98: the stop fills at 99.
        let r = try handRun("""
              when close > open {
                enter long size qty(10)
                  stop 1%
                  take 1%
              }
            """, bars: [(100, 101, 99, 101), (100, 102, 99.5, 100.5), (100, 100.5, 98, 99), (99, 99, 99, 99)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["01:00 buy 10 @ 100", "01:00 sell 10 @ 101", "02:00 buy 10 @ 100", "02:00 sell 10 @ 99"])
        #expect(r.trades == ["long 10 100 → 101 10", "long 10 100 → 99 -10"])
        #expect(r.finalEquity == 10_000)
        #expect(r.ambiguousBars == 0)
        #expect(r.stdout.contains("Trades              2 closed\n"))
    }

    /// A1 and A4: a bar where, after the entry, both legs lie on the rest of the path is ambiguous.
    @Test func bothLegsAfterAnEntryInsideTheBarMakeItAmbiguous() throws {
        // Signal close 101: buy limit 99, stop 95, take 105. Bar 1 runs 100 → 94 → 107 → 103 (the low
        // nearer the open): the limit fills at 99 on the way down, the stop at 95 on the same stretch;
        // the take (105) is reached later on the way up: ambiguous.
        let r = try handRun("""
              when close > open and close < 102 {
                enter long at limit close - 2 size qty(5)
                  stop close - 6
                  take close + 4
              }
            """, bars: [(100, 101, 99, 101), (100, 107, 94, 103), (100, 100, 100, 100)])
        #expect(r.fills == ["01:00 buy 5 @ 99", "01:00 sell 5 @ 95"])
        #expect(r.trades == ["long 5 99 → 95 -20"])
        #expect(r.ambiguousBars == 1)
        #expect(r.finalEquity == 9_980)
    }

    /// A2. A quantity is rounded to whole lots once, when sized: 9.5 → 9, filled, and later entries work.
    @Test func lotRoundingHappensOnceAtSizing() throws {
        // Entries at bars 1 and 3 (signals at bars 0 and 2), exits at bars 2 and 4 (signals at 1 and 3).
        let r = try handRun("""
              when close > open {
                enter long size qty(9.5)
              }
              when close < open {
                exit long
              }
            """, bars: [(100, 101, 99, 101), (101, 102, 99, 100), (100, 103, 99, 102), (102, 102, 98, 99), (99, 99, 99, 99)],
            "--lot-size", "1")
        #expect(r.fills == ["01:00 buy 9 @ 101", "02:00 sell 9 @ 100", "03:00 buy 9 @ 102", "04:00 sell 9 @ 99"])
        #expect(r.trades == ["long 9 101 → 100 -9", "long 9 102 → 99 -27"])
        #expect(r.outcomes == ["filled", "filled", "filled", "filled"])
        #expect(r.finalEquity == 10_000 - 36)
    }

    @Test func aQuantityOfZeroLotsIsRejectedWithTheReason() throws {
        let r = try handRun("""
              when close > open {
                enter long size qty(0.5)
              }
            """, bars: [(100, 101, 99, 101), (101, 102, 99, 100)], "--lot-size", "1")
        #expect(r.fills.isEmpty)
        #expect(r.outcomes == ["rejected: quantity 0.5 rounds to zero lots of 1"])
        #expect(r.warnings.contains("1 × orders rejected (quantity 0.5 rounds to zero lots of 1): 2024-01-01T01:00:00Z (line 5): order 0: quantity 0.5 rounds to zero lots of 1"))
        #expect(r.stdout.contains("Not done            1 "))
    }

    /// A3. A trailing stop whose distance follows a series never loosens.
    @Test func aSeriesTrailNeverMovesAgainstThePosition() throws {
        // Signal on bar 0 (range 2): trail 4. Bar 1: entry at 100, path 100 → 100 → 106 → 105: anchor 106, stop 102.
        // Bar 1's range is 6, so the distance becomes 12 (stop 94), but the stop stays at 102.
        // Bar 2 runs 105 → 105.5 → 101 → 104: through 102, so the trail fills at 102.
        let r = try handRun("""
              when close > open and close < 102 {
                enter long size qty(1)
                  trail 2 * (high - low)
              }
            """, bars: [(100, 101, 99, 101), (100, 106, 100, 105), (105, 105.5, 101, 104), (104, 104, 104, 104)])
        #expect(r.fills == ["01:00 buy 1 @ 100", "02:00 sell 1 @ 102"])
        #expect(r.trades == ["long 1 100 → 102 2"])
        #expect(r.finalEquity == 10_002)
    }

    /// A4. A bracket after a limit entry filled inside a bar fills at its own stop price.
    @Test func bracketChildrenJoinTheRestOfTheBarAtTheFill() throws {
        // Signal close 101: buy limit 99 with stop 95 and take 105. Bar 1 runs 100 → 101 → 94 → 96:
        // the limit fills at 99 on the way down and the stop at 95 on the same stretch (not at the low, 94).
        let r = try handRun("""
              when close > open and close > 100.5 {
                enter long at limit close - 2 size qty(5)
                  stop close - 6
                  take close + 4
              }
            """, bars: [(100, 101, 99, 101), (100, 101, 94, 96), (96, 96, 96, 96)])
        #expect(r.fills == ["01:00 buy 5 @ 99", "01:00 sell 5 @ 95"])
        #expect(r.trades == ["long 5 99 → 95 -20"])
        #expect(r.ambiguousBars == 0)
        #expect(r.finalEquity == 9_980)
    }

    /// A5. IOC takes only what is marketable when it becomes active.
    @Test func iocNeverRests() throws {
        // Signal close 101: a buy limit IOC at 100. Bar 1 opens at 101 (not marketable): cancelled,
        // though the bar later trades down to 98. A buy limit IOC at 102 is marketable at the open: 101.
        let r = try handRun("""
              when close > open and close > 100.5 {
                enter long at limit close - 1 size qty(2)
                  tif ioc
              }
              when close < open {
                enter short at limit close - 2 size qty(1)
                  tif ioc
              }
            """, header: "market spot(margin: true)\n  timeframe 1h",
            bars: [(100, 101, 99, 101), (101, 102, 98, 99), (97, 97, 97, 97)])
        #expect(r.outcomes == ["cancelled: ioc: not marketable when active", "filled"])
        // The short (limit 97, the bar opens at 97) is marketable when it becomes active.
        #expect(r.fills == ["02:00 sell 1 @ 97"])
    }

    /// A6. A margin account refuses a short whose initial margin exceeds free equity.
    @Test func shortsNeedInitialMargin() throws {
        // Capital 10,000; price 100. A short of 1,000 (100,000 notional) needs 50,000 of margin: rejected.
        // A short of 150 (15,000) needs 7,500: filled.
        let r = try handRun("""
              when close > open {
                enter short size qty(1000)
              }
              when close < open {
                enter short size qty(150)
              }
            """, header: "market spot(margin: true)\n  timeframe 1h",
            bars: [(99, 101, 99, 100), (100, 100, 100, 100), (101, 101, 99, 100), (100, 100, 100, 100)])
        #expect(r.outcomes == ["rejected: insufficient margin: a short of 1000 X needs 50000 (50% of its value), free equity is 10000", "filled"])
        #expect(r.fills == ["03:00 sell 150 @ 100"])
        #expect(r.warnings.contains { $0.hasPrefix("1 × orders rejected (insufficient margin)") })
    }

    /// A8. Every action that does nothing is counted and listed with its time and line.
    @Test func silentDropsAreNoted() throws {
        let r = try handRun("""
              when close > open {
                enter long size qty(1)
              }
              when close < 95 {
                exit long
              }
              when close > 104 {
                enter long size qty(1000)
              }
            """, bars: [(100, 101, 99, 101), (101, 102, 100, 102), (102, 105, 101, 105), (105, 106, 104, 106), (106, 106, 106, 106)])
        // Bar 0 enters; bars 1–3 close up again (entries ignored: already long); bars 2–4 close above
        // 104: ignored too (already long). Six in all; the exit never fires.
        #expect(r.fills == ["01:00 buy 1 @ 101"])
        #expect(r.warnings == [
            "6 × entries ignored: already long (no pyramiding): 2024-01-01T01:00:00Z (line 5); 2024-01-01T02:00:00Z (line 5); 2024-01-01T02:00:00Z (line 11), …",
        ])
        #expect(r.stderr.contains("strat: note: 6 × entries ignored: already long (no pyramiding)"))
        #expect(r.stdout.contains("Not done            6 "))
    }

    @Test func pyramidingLetsEntriesAdd() throws {
        // pyramiding 1: the first entry, one addition, then entries are ignored.
        let r = try handRun("""
              pyramiding 1
              when close > open {
                enter long size qty(1)
              }
            """, bars: [(100, 101, 99, 101), (101, 102, 100, 102), (102, 103, 101, 103), (103, 103, 103, 103)])
        #expect(r.fills == ["01:00 buy 1 @ 101", "02:00 buy 1 @ 102"])
        #expect(r.trades == ["long 2 101.5 → - -"])
        #expect(r.warnings == ["1 × entries ignored: already long with 1 additions (pyramiding 1): 2024-01-01T02:00:00Z (line 6)"])
    }

    @Test func cashRejectionsAndExitsWithNothingAreNoted() throws {
        let r = try handRun("""
              when close > open {
                enter long size qty(1000)
              }
              when close < open {
                exit long
              }
            """, bars: [(100, 101, 99, 101), (101, 102, 99, 100), (100, 100, 100, 100)])
        #expect(r.fills.isEmpty)
        // Notes of the run come first, the orders' outcomes after.
        #expect(r.warnings == [
            "1 × exits ignored: no long position: 2024-01-01T01:00:00Z (line 8)",
            "1 × orders rejected (insufficient cash): 2024-01-01T01:00:00Z (line 5): order 0: insufficient cash: needs 101000, has 10000",
        ])
    }

    /// A9. An iceberg shows (and fills) at most its display per bar.
    @Test func icebergsFillTheirDisplayPerBar() throws {
        // Buy limit 100 for 10 showing 4: 4 on each of bars 1 and 2, then the last 2 on bar 3.
        let r = try handRun("""
              when close > open and close > 100.5 {
                enter long at limit 100 size qty(10)
                  display 4
              }
            """, bars: [(100, 101, 99, 101), (100, 100, 99, 99.5), (100, 100, 99, 99.5), (100, 100, 99, 99.5)])
        #expect(r.fills == ["01:00 buy 4 @ 100", "02:00 buy 4 @ 100", "03:00 buy 2 @ 100"])
        #expect(r.orders.first?["display_qty"] as? Double == 4)
    }

    /// A9. An entry sent again while the first rests re-prices it (a modify, not a second order).
    @Test func aRepeatedEntryRepricesTheRestingOne() throws {
        // Bar 0 sends a buy limit at close - 3 = 98; bar 1 re-sends it at 99 - 3 = 96 (a new price:
        // back of the queue); bar 2 opens at 97 and trades down to 95.5: the order fills at 96.
        let r = try handRun("""
              when close > 98.5 {
                enter long at limit close - 3 size qty(1)
              }
            """, bars: [(100, 101, 99, 101), (100, 101, 98.5, 99), (97, 97, 95.5, 96), (96, 96, 96, 96)])
        #expect(r.fills == ["02:00 buy 1 @ 96"])
        #expect(r.orders.count == 1)
        let events = (r.orders[0]["history"] as? [[String: Any]] ?? []).map { "\($0["state"]!)" + (($0["reason"] as? String).map { " \($0)" } ?? "") }
        #expect(events == ["pending", "working", "working modified", "filled"])
    }

    /// A9. `cancel entries` leaves an open position's stop working; `cancel all` cancels it too.
    @Test(arguments: ["entries", "all"])
    func cancelEntriesAndCancelAll(_ what: String) throws {
        // Bar 0: buy at bar 1's open (100) with a stop at 95, and a resting limit add at 90 (second rule).
        // Bar 1 closes down: cancel. Bar 2 falls to 94: the stop fills if it is still there.
        let r = try handRun("""
              when close > open and close > 100.5 {
                enter long size qty(1)
                  stop 95
                enter short at limit 110 size qty(1)
              }
              when close < open {
                cancel \(what)
              }
            """, header: "market spot(margin: true)\n  timeframe 1h",
            bars: [(100, 101, 99, 101), (100, 101, 99, 99.5), (99, 99, 94, 96), (96, 96, 96, 96)])
        let states = r.orders.map { "\($0["state"]!)" }
        #expect(states[0] == "filled")
        if what == "entries" {
            #expect(states == ["filled", "filled", "cancelled"])
            #expect(r.outcomes[2] == "cancelled: cancel (line 10)")
            #expect(r.fills == ["01:00 buy 1 @ 100", "02:00 sell 1 @ 95"])
        } else {
            #expect(states == ["filled", "cancelled", "cancelled"])
            #expect(r.outcomes[1] == "cancelled: cancel all (line 10)")
            #expect(r.fills == ["01:00 buy 1 @ 100"])
        }
    }

    /// A10. A fill made after a latency carries the moment it happened.
    @Test func latencyFillsCarryTheirTime() throws {
        // 20 minutes of latency in hourly bars: the market order joins bar 1 a third of the way
        // through, at the end of its first stretch (O→H: 100 → 103), and fills there at 103.
        let r = try handRun("""
              when close > open and close > 100.5 {
                enter long size qty(1)
              }
            """, bars: [(100, 101, 99, 101), (100, 103, 97, 102), (102, 102, 102, 102)], "--latency", "1200000")
        #expect(r.fills == ["01:20 buy 1 @ 103"])
    }

    /// A10. Prices for people print without binary noise.
    @Test func tradesCSVPricesAreReadable() throws {
        // The take is 100.7 × 1.01 = 101.707; the float product is 101.70700000000001.
        let csv = try temp("t.csv", "")
        let r = try handRun("""
              when close > open and close < 102 {
                enter long size qty(1)
                  take 1%
              }
            """, bars: [(100, 101, 99, 100.7), (100.7, 100.8, 100.6, 100.75), (100.75, 102, 100.7, 101.9)],
            "--trades", csv.path)
        #expect(r.status == 0)
        let rows = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 2)
        #expect(rows[1] == "X,long,1,2024-01-01T01:00:00Z,100.7,2024-01-01T02:00:00Z,101.707,1.007,0.01,0,1,5,5,0,0,take", "\(rows[1])")
    }
}

/// Issue 10, A7 and B: bar lengths come from the data; calendar months are bars
/// that end where the next begins; finer data is resampled to the strategy's timeframe.
@Suite struct BarLengthCasesTests {
    /// Month-end labels 29 to 31 days apart: a market order sent at a bar's close
    /// fills at the next bar's open (the bars do not overlap, so nothing joins a
    /// bar part-way at a price that never traded).
    @Test func monthEndBarsAreCalendarMonths() throws {
        let rows = [("2024-01-31", 100.0, 110.0, 95.0, 108.0), ("2024-02-29", 108.0, 112.0, 100.0, 104.0),
                    ("2024-03-31", 104.0, 120.0, 103.0, 118.0), ("2024-04-30", 118.0, 119.0, 105.0, 110.0),
                    ("2024-05-31", 110.0, 115.0, 108.0, 111.0), ("2024-06-30", 111.0, 111.0, 100.0, 101.0)]
        let csv = try temp("m.csv", "time,open,high,low,close,volume\n" + rows.map { "\($0.0)T00:00:00Z,\($0.1),\($0.2),\($0.3),\($0.4),10\n" }.joined())
        let strategy = try temp("m.strat", """
            strategy Monthly {
              market spot
              timeframe 1M
              when close > open {
                enter long size qty(1)
              }
              when close < open {
                exit long
              }
            }
            """)
        let json = csv.deletingLastPathComponent().appendingPathComponent("r.json")
        let r = try runStrat(["backtest", strategy.path, "--data", "X=\(csv.path)", "--json", json.path])
        #expect(r.status == 0, "\(r.stderr)")
        let run = HandRun(status: r.status, stdout: r.stdout, stderr: r.stderr,
                          json: try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any])
        // Jan closes up: buy at Feb's open (108); Feb closes down: sell at Mar's open (104);
        // Mar closes up: buy at Apr's open (118); Apr closes down: sell at May's open (110);
        // May closes up: buy at Jun's open (111), still held at Jun's close (101).
        #expect(run.fills == ["2024-02-29 00:00 buy 1 @ 108", "2024-03-31 00:00 sell 1 @ 104",
                              "2024-04-30 00:00 buy 1 @ 118", "2024-05-31 00:00 sell 1 @ 110", "2024-06-30 00:00 buy 1 @ 111"])
        #expect(run.trades == ["long 1 108 → 104 -4", "long 1 118 → 110 -8", "long 1 111 → - -"])
        #expect(run.finalEquity == 10_000 - 12 - 10)
        #expect(r.stdout.contains("(6 bars)"))
        // Without a timeframe the months are found in the data; a 1d strategy cannot run on them.
        let daily = try temp("d.strat", "strategy D {\n  market spot\n  timeframe 1d\n  when close > open {\n    enter long\n  }\n}\n")
        let refused = try runStrat(["backtest", daily.path, "--data", "X=\(csv.path)"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("the strategy's timeframe is 1d but X's bars are 1M, which do not make whole 1d bars"))
    }

    /// Finer bars are resampled to the strategy's timeframe, and drive the fills inside each bar.
    @Test func finerDataIsResampledAndDrivesTheFills() throws {
        // Eight hourly bars → two 4h bars: 00:00 (O 100 H 104 L 99 C 103) and 04:00 (O 103 H 106 L 96 C 97),
        // plus two hours of an unfinished third (left out). The first 4h bar closes up: buy at 04:00's
        // open (103) with a stop 3% below (99.91). Inside the second 4h bar the hourly bars run
        // 103 → 106 (04:00), then 105 → 99 (05:00): the stop fills at 99.91 in the 05:00 bar.
        let r = try handRun("""
              when close > open and close < 104 {
                enter long size qty(2)
                  stop 3%
              }
            """, header: "market spot\n  timeframe 4h",
            bars: [(100, 101, 99, 100.5), (100.5, 104, 100, 103), (103, 103.5, 102, 102.5), (102.5, 103, 102, 103),
                   (103, 106, 103, 105), (105, 105, 99, 99.5), (99.5, 100, 96, 97), (97, 98, 96.5, 97),
                   (97, 98, 97, 98), (98, 99, 97, 98)])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.fills == ["04:00 buy 2 @ 103", "05:00 sell 2 @ 99.91"])
        #expect(r.trades == ["long 2 103 → 99.91 -6.18"])
        #expect(r.stdout.contains("Data                X: 10 bars of 1h resampled to 2 of 4h (the last, unfinished one left out); the 1h bars drive the fills inside each\n"))
        #expect(r.stdout.contains("(2 bars)"))
    }

    /// The example SMA cross (1d) on hourly EURUSD.
    @Test func dailyStrategyOnHourlyData() throws {
        let r = try runStrat(["backtest", "Strategies/sma_cross.strat", "--data", "Data/EURUSD.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Data                EURUSD: 5000 bars of 1h resampled to "))
    }
}

extension BarLengthCasesTests {
    /// The shipped monthly BTCUSD file runs a `timeframe 1M` strategy; every
    /// market fill is at a bar's open, at that bar's time.
    @Test func monthlyBitcoin() throws {
        let strategy = try temp("btc.strat", """
            strategy MonthlyCross {
              market spot
              timeframe 1M
              when crossover(close, sma(close, 6)) {
                enter long
              }
              when crossunder(close, sma(close, 6)) {
                exit long
              }
            }
            """)
        let json = strategy.deletingLastPathComponent().appendingPathComponent("r.json")
        let r = try runStrat(["backtest", strategy.path, "--data", "Data/BTCUSD.csv", "--json", json.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("(156 bars)"))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as! [String: Any]
        let fills = object["fills"] as! [[String: Any]]
        #expect(fills.count > 10)
        let opens = try String(contentsOf: repoRoot.appendingPathComponent("Data/BTCUSD.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        let openAt = Dictionary(uniqueKeysWithValues: opens.map { (String($0[0]), Double($0[1])!) })
        for f in fills { #expect(openAt[f["time"] as! String] == f["price"] as? Double, "\(f)") }
    }
}

extension EngineCasesTests {
    /// Exits fired together combine into one order: sized ones add up, a
    /// whole-position exit covers the rest (and many firing rules cannot pile
    /// up orders: the book stays as small as the position needs).
    @Test func exitsFiredTogetherCombine() throws {
        // Buy 8 at bar 1's open (101); bar 1 closes down: exits of 50% (4) and 25% (2) combine into
        // one sell of 6 at bar 2's open (99); bar 2 closes down: a whole exit and a 50% exit: the
        // whole one covers it, selling the last 2 at bar 3's open (98).
        let r = try handRun("""
              when close > open {
                enter long size qty(8)
              }
              when close < open {
                exit long size 50%
              }
              when close < open {
                exit long size 25%
              }
              when close < open and close < 99 {
                exit long
              }
            """, bars: [(100, 101, 99, 101), (101, 102, 99, 100), (99, 99, 97, 98), (98, 98, 98, 98)])
        #expect(r.fills == ["01:00 buy 8 @ 101", "02:00 sell 6 @ 99", "03:00 sell 2 @ 98"])
        #expect(r.orders.count == 4)
        #expect(r.trades == ["long 8 101 → 98.75 -18"])
    }

    @Test func manyFiringRulesKeepTheBookSmall() throws {
        let rules = (0..<300).map { _ in "  when close > open {\n    enter long size qty(1)\n  }\n  when close < open {\n    exit long\n  }" }
        let r = try handRun(rules.joined(separator: "\n"), bars: [(100, 101, 99, 101), (101, 102, 99, 100), (100, 103, 99, 102), (102, 102, 98, 99), (99, 99, 99, 99)])
        // Two entries and two exits: one order each, however many rules fired.
        #expect(r.fills == ["01:00 buy 1 @ 101", "02:00 sell 1 @ 100", "03:00 buy 1 @ 102", "04:00 sell 1 @ 99"])
        #expect(r.orders.count == 4)
    }
}
