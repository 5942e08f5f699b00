import Foundation
import StratTestSupport
import Testing

/// `strat batch` as a user runs it (issue 14).
@Suite struct BatchCLITests {
    /// `strat batch …` with its own new store (the result cache), unless `db` is given.
    func batch(_ args: [String], db: String? = nil) throws -> Run {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["STRAT_DB"] = try db ?? temp("cache.db", "").path
        return try runProgram(stratBinary.path, ["batch"] + args, in: repoRoot.path, environment: env)
    }
    func batch(_ args: String...) throws -> Run { try batch(args) }

    /// CSV rows (after the header) as [column: value].
    func rows(_ path: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let head = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(head, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    /// The metrics of `strat backtest … --json` as the text JSON holds them.
    func backtestMetrics(_ args: [String]) throws -> [String: String] {
        let json = try temp("r.json", "")
        let r = try runProgram(stratBinary.path, ["backtest"] + args + ["--json", json.path], in: repoRoot.path)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOf: json, encoding: .utf8)
        let start = try #require(text.range(of: "\"metrics\":{"))
        let end = try #require(text[start.upperBound...].firstIndex(of: "}"))
        var out: [String: String] = [:]
        for field in text[start.upperBound..<end].split(separator: ",") {
            let kv = field.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            out[kv[0].trimmingCharacters(in: CharacterSet(charactersIn: "\""))] = kv[1] == "null" ? "" : kv[1]
        }
        return out
    }

    /// A 3×3 grid on GOOG: each row equals `strat backtest --set …` for its point, to the last bit.
    @Test func aGridEqualsOneBacktestPerPoint() throws {
        let out = try temp("grid.csv", "")
        let r = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1",
                          "--grid", "fast=5...15:5", "--grid", "slow=20,30,40", "--out", out.path, "--top", "3")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("SmaCross: 9 points, best by sharpe first\n#  fast  slow  sharpe"), "\(r.stdout)")
        let table = try rows(out.path)
        #expect(table.count == 9)
        #expect(table.map { "\($0["fast"]!)/\($0["slow"]!)" }.sorted() == ["10/20", "10/30", "10/40", "15/20", "15/30", "15/40", "5/20", "5/30", "5/40"])
        // Best first by Sharpe.
        let sharpes = table.map { Double($0["sharpe"]!)! }
        #expect(sharpes == sharpes.sorted(by: >))
        // The README's point (10, 30): 32 trades, 57,752.99.
        let readme = try #require(table.first { $0["fast"] == "10" && $0["slow"] == "30" })
        #expect(readme["trades"] == "32" && readme["final_equity"] == "57752.99")
        for row in table {
            let m = try backtestMetrics(["Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1",
                                         "--set", "fast=\(row["fast"]!)", "--set", "slow=\(row["slow"]!)"])
            for k in ["final_equity", "total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown", "win_rate", "profit_factor", "exposure"] {
                #expect(row[k] == m[k], "\(k) at fast=\(row["fast"]!) slow=\(row["slow"]!): \(row[k]!) vs \(m[k] ?? "none")")
            }
            #expect(row["trades"] == m["n_trades"])
        }
    }

    /// The same batch on one thread and on three gives the same bytes.
    @Test func resultsDoNotDependOnTheJobs() throws {
        var outputs: [String] = []
        for jobs in ["1", "3"] {
            let out = try temp("j.csv", "")
            let r = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--grid", "fast=5...12",
                              "--grid", "slow=25...40:5", "--vary", "fees=0,10", "--jobs", jobs, "--out", out.path)
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(try String(contentsOf: out, encoding: .utf8))
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0].split(separator: "\n").count == 1 + 8 * 4 * 2)
    }

    /// Settings vary like inputs: the fees=10 point equals `strat backtest --fees 10`.
    @Test func variedSettingsEqualTheBacktestOptions() throws {
        let out = try temp("v.json", "")
        let r = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1", "--grid", "fast=10",
                          "--vary", "fees=0,10", "--vary", "fill=next-open,close", "--out", out.path)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let list = try #require(json["rows"] as? [[String: Any]])
        #expect(list.count == 4 && json["missing"] as? Int == 0)
        let point = try #require(list.first { ($0["settings"] as? [String: String]) == ["fees": "10", "fill": "close"] })
        let m = try backtestMetrics(["Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1", "--set", "fast=10",
                                     "--fees", "10", "--fill", "close"])
        #expect("\(point["final_equity"]!)" == m["final_equity"].map { "\(Double($0)!)" })
        #expect(point["trades"] as? Int == Int(m["n_trades"]!))
    }

    /// `--random` draws the same points with the same seed, others without one;
    /// `--where` keeps the points where the condition holds.
    @Test func randomPointsAndConstraints() throws {
        func drawn(_ extra: String...) throws -> (points: [String], stderr: String) {
            let out = try temp("r.csv", "")
            let r = try batch(["Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--random", "6",
                                                      "--where", "fast * 2 < slow", "--out", out.path] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return (try rows(out.path).map { "\($0["fast"]!)/\($0["slow"]!)" }.sorted(), r.stderr)
        }
        let a = try drawn("--seed", "7"), b = try drawn("--seed", "7"), c = try drawn(), d = try drawn()
        #expect(a.points == b.points && a.points.count == 6)
        #expect(c.points != d.points)
        // Drawn from the declared ranges (fast 5...60, slow 20...250), all with 2 × fast < slow.
        for p in a.points + c.points {
            let v = p.split(separator: "/").map { Int($0)! }
            #expect((5...60).contains(v[0]) && (20...250).contains(v[1]) && 2 * v[0] < v[1], "\(p)")
        }
        // Without --seed the seed used is printed, to draw them again.
        #expect(c.stderr.contains("strat: note: 6 points drawn with --seed "))
        let out = try temp("w.csv", "")
        let w = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--grid", "fast=5...30:5", "--grid", "slow=20...30:5",
                          "--where", "fast < slow and not (fast == 10)", "--out", out.path)
        #expect(w.status == 0, "\(w.stderr)")
        #expect(try rows(out.path).map { "\($0["fast"]!)/\($0["slow"]!)" }.sorted()
            == ["15/20", "15/25", "15/30", "20/25", "20/30", "25/30", "5/20", "5/25", "5/30"])
    }

    @Test func badGridsAreRefusedBeforeAnythingRuns() throws {
        func refused(_ args: String..., saying: String) throws {
            let r = try batch(["Strategies/sma_cross.strat", "--data", "Data/GOOG.csv"] + args)
            #expect(r.status == 2 && r.stderr.contains(saying), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        try refused("--grid", "fast=1...10", saying: "--grid fast=1...10: the point fast=1 is outside the declared range 5...60 of input `fast`")
        try refused("--grid", "fast=5.5", saying: "the point fast=5.5 is not a whole number, which input `fast` (Int) needs")
        try refused("--grid", "speed=5...10", saying: "`speed` is not an input of SmaCross; its inputs are fast, slow")
        try refused("--grid", "fast=10...5", saying: "the range is empty (10 is above 5)")
        try refused("--grid", "fast=5...10:0", saying: "the step must be positive")
        try refused("--grid", "fast", saying: "--grid takes NAME=A...B[:STEP] or NAME=v1,v2,…, got `fast`")
        try refused("--grid", "fast=5,x", saying: "`x` is not a Int value")
        try refused("--grid", "fast=5", "--grid", "fast=6", saying: "fast is varied twice")
        try refused("--grid", "fast=5", "--set", "fast=6", saying: "--set fast and --grid fast: an input is either fixed or varied")
        try refused("--grid", "fast=5", "--vary", "fees=-1", saying: "--vary fees=-1: --fees must be")
        try refused("--grid", "fast=5", "--vary", "speed=1", saying: "`speed` is not a setting that can vary")
        try refused("--grid", "fast=5", "--where", "fast < sma(close, 3)", saying: "only input names, numbers, arithmetic, comparisons and and/or/not are allowed here")
        try refused("--grid", "fast=5", "--where", "fast < slowest", saying: "`slowest` is not an input; the inputs are fast, slow")
        try refused("--grid", "fast=5...10", "--where", "fast > 100", saying: "no point is left where `fast > 100` holds")
        try refused("--grid", "fast=5", "--objective", "luck", saying: "--objective must be one of sharpe")
        try refused(saying: "give the points: --grid")
    }

    /// Ctrl-C (SIGINT to the child) stops taking points: the finished ones are
    /// written to a valid file and the run says how many are missing.
    @Test func interruptedBatchesWriteWhatIsDone() throws {
        let out = try temp("i.csv", "")
        let child = try Child(stratBinary.path, ["batch", "Strategies/sma_cross.strat", "--data", "Data/EURUSD.csv", "--grid", "fast=5...50",
                                                 "--grid", "slow=20...200:2", "--jobs", "2", "--no-cache", "--out", out.path], in: repoRoot.path)
        // Wait for the first points (each takes a few ms), then interrupt.
        Thread.sleep(forTimeInterval: 1.5)
        child.kill(SIGINT)
        let r = try child.wait(timeout: 120)
        #expect(r.status == 130, "\(r.stderr)")
        #expect(r.stderr.contains("stopping after the points running now"))
        let total = 46 * 91
        let m = try #require(r.stdout.firstMatch(of: /SmaCross: (\d+) points \((\d+) not run: stopped\)/))
        let done = Int(m.1)!, missing = Int(m.2)!
        #expect(done > 0 && missing > 0 && done + missing == total, "\(r.stdout)")
        let table = try rows(out.path)
        #expect(table.count == done)
        #expect(table.allSatisfy { $0.count == 14 && Double($0["final_equity"]!) != nil })
    }

    /// GOOG rows whose time is in [from, to), as a CSV file.
    func googSlice(_ from: String, _ to: String) throws -> String {
        let lines = try String(contentsOf: repoRoot.appendingPathComponent("Data/GOOG.csv"), encoding: .utf8).split(separator: "\n")
        let kept = lines.dropFirst().filter { $0.prefix(10) >= from.prefix(10) && $0.prefix(10) < to.prefix(10) }
        return try temp("slice.csv", ([String(lines[0])] + kept.map(String.init)).joined(separator: "\n") + "\n").path
    }

    /// Walk-forward on GOOG: each window's choice is the best point of a batch on
    /// its training bars alone, and its test result is `strat backtest --from`
    /// the test window's start on the bars from the training window's start.
    @Test func walkForwardWindowsChooseOnTrainingAndRunOnTest() throws {
        let out = try temp("wf.json", "")
        let grid = ["--grid", "fast=5...15:5", "--grid", "slow=20,40"]
        let r = try batch(["Strategies/sma_cross.strat", "--data", "GOOG=Data/GOOG.csv", "--lot-size", "1"] + grid
                               + ["--walk-forward", "730d/365d", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("SmaCross: walk-forward 730d/365d, 6 points, 7 of 7 windows\n"), "\(r.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let windows = try #require(json["windows"] as? [[String: Any]])
        #expect(windows.count == 7)
        // Rolling by the test length: each training window starts a year after the last.
        #expect(windows.map { "\($0["train_from"]!)".prefix(10) } == ["2004-08-19", "2005-08-19", "2006-08-19", "2007-08-19", "2008-08-18", "2009-08-18", "2010-08-18"])
        for w in windows.prefix(2) {
            let trainFrom = "\(w["train_from"]!)", trainTo = "\(w["train_to"]!)", testFrom = "\(w["test_from"]!)", testTo = "\(w["test_to"]!)"
            let inputs = try #require(w["inputs"] as? [String: String])
            // The choice: rank 1 of the same grid on the training bars.
            let best = try temp("best.csv", "")
            let b = try batch(["Strategies/sma_cross.strat", "--data", "GOOG=\(try googSlice(trainFrom, trainTo))",
                                                      "--lot-size", "1"] + grid + ["--out", best.path])
            #expect(b.status == 0, "\(b.stderr)")
            let top = try rows(best.path)[0]
            #expect(inputs == ["fast": top["fast"]!, "slow": top["slow"]!], "\(trainFrom): \(inputs) vs \(top)")
            // The test: that point from the test window's start, the training bars warming it up.
            let m = try backtestMetrics(["Strategies/sma_cross.strat", "--data", "GOOG=\(try googSlice(trainFrom, testTo))", "--lot-size", "1",
                                         "--set", "fast=\(inputs["fast"]!)", "--set", "slow=\(inputs["slow"]!)", "--from", String(testFrom.prefix(10))])
            #expect("\(w["test_final_equity"]!)" == "\(Double(m["final_equity"]!)!)", "\(testFrom)")
        }
        // The out-of-sample curve chains the test windows.
        let chained = windows.reduce(1.0) { $0 * (1 + ($1["test_return"] as! Double)) } - 1
        let oos = try #require(json["out_of_sample"] as? [String: Any])
        #expect(abs(chained - (oos["total_return"] as! Double)) < 1e-12)
        let anchored = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--grid", "fast=10", "--walk-forward", "1000/500", "--anchored")
        // Bars 1000 and 1500 of GOOG open on 2008-08-08 and 2010-08-04 (lines 1002 and 1502 of the file).
        #expect(anchored.stdout.contains("1  2004-08-19 … 2008-08-08  2008-08-08 … 2010-08-04") && anchored.stdout.contains("2  2004-08-19 … 2010-08-04  2010-08-04 … 2012-07-27"), "\(anchored.stdout)")
        let short = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--grid", "fast=10", "--walk-forward", "5000/100")
        #expect(short.status == 2 && short.stderr.contains("is shorter than one training window and a test bar"))
        let mixed = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--grid", "fast=10", "--walk-forward", "100/30d")
        #expect(mixed.status == 2 && mixed.stderr.contains("give both lengths as durations or both as bar counts"))
    }

    /// Finished points are kept in the store: a re-run, or a larger grid holding
    /// the same points, runs only what is new; other data is other keys.
    @Test func finishedPointsComeFromTheCache() throws {
        let db = try temp("cache.db", "").path
        try FileManager.default.removeItem(atPath: db)
        let grid = ["--grid", "fast=5...15:5", "--grid", "slow=20,30,40"]
        func run(_ data: String, _ extra: [String] = [], grid: [String] = grid) throws -> (note: String, csv: String) {
            let out = try temp("c.csv", "")
            let r = try batch(["Strategies/sma_cross.strat", "--data", "GOOG=\(data)"] + grid + extra + ["--out", out.path], db: db)
            #expect(r.status == 0, "\(r.stderr)")
            return (r.stderr, try String(contentsOf: out, encoding: .utf8))
        }
        let first = try run("Data/GOOG.csv")
        #expect(!first.note.contains("from the cache"))
        let again = try run("Data/GOOG.csv")
        #expect(again.note.contains("strat: note: 9 of 9 points from the cache (--no-cache runs them all)"), "\(again.note)")
        #expect(again.csv == first.csv)
        let larger = try run("Data/GOOG.csv", grid: ["--grid", "fast=5...20:5", "--grid", "slow=20,30,40"])
        #expect(larger.note.contains("strat: note: 9 of 12 points from the cache"), "\(larger.note)")
        #expect(try run("Data/GOOG.csv", ["--no-cache"]).note.isEmpty)
        // The same file name with one close changed: nothing comes from the cache.
        var lines = try String(contentsOf: repoRoot.appendingPathComponent("Data/GOOG.csv"), encoding: .utf8).split(separator: "\n").map(String.init)
        var f = lines[1000].split(separator: ",").map(String.init)
        f[4] = String(Double(f[4])! + 0.01)
        lines[1000] = f.joined(separator: ",")
        let changed = try temp("GOOG.csv", lines.joined(separator: "\n") + "\n")
        #expect(!(try run(changed.path).note.contains("from the cache")))
        // An engine setting is part of the key.
        #expect(!(try run("Data/GOOG.csv", ["--fees", "1"]).note.contains("from the cache")))
    }

    /// The heatmap: one cell per pair of the two inputs, each holding the best
    /// objective among its points; the same batch draws the same bytes.
    @Test func theHeatmapShowsTheObjectiveOverTwoInputs() throws {
        var svgs: [String] = []
        for _ in 0..<2 {
            let svg = try temp("h.svg", ""), out = try temp("h.csv", "")
            let r = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1", "--grid", "fast=5...15:5",
                              "--grid", "slow=20,30,40", "--vary", "fees=0,20", "--heatmap", svg.path, "--out", out.path)
            #expect(r.status == 0, "\(r.stderr)")
            svgs.append(try String(contentsOf: svg, encoding: .utf8))
            let best = try rows(out.path)[0]
            // The best point's cell says its Sharpe (the fees at their best, 0).
            let sharpe = String(format: "%.3g", Double(best["sharpe"]!)!)
            #expect(svgs.last!.contains("<title>fast=\(best["fast"]!) slow=\(best["slow"]!): \(sharpe)</title>"), "\(best)")
        }
        #expect(svgs[0] == svgs[1])
        #expect(svgs[0].components(separatedBy: "<title>").count - 1 == 9)
        #expect(svgs[0].hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        let bad = try batch("Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--grid", "fast=5", "--heatmap", try temp("x.svg", "").path)
        #expect(bad.status == 2 && bad.stderr.contains("--heatmap needs two inputs the batch varies; it varies fast"), "\(bad.stderr)")
    }

    /// A sweep over pure noise (a seeded random walk without drift): the best
    /// point is a fluke, and the guards say so. (Iid noise fed to the guards
    /// directly gives PBO 0.556 and DSR 0.51: Tests/StratBatchTests.)
    @Test func theGuardsCatchASweepOverNoise() throws {
        var state: UInt64 = 11
        func unit() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / 9_007_199_254_740_992
        }
        func gauss() -> Double { (-2 * log(max(unit(), 1e-300))).squareRoot() * cos(2 * .pi * unit()) }
        // Daily log returns with their mean taken out: the walk ends where it began,
        // so no trend over the whole sample lends one point a real edge.
        var steps = (0..<2000).map { _ in 0.015 * gauss() }
        let mean = steps.reduce(0, +) / Double(steps.count)
        steps = steps.map { $0 - mean }
        var csv = "time,open,high,low,close,volume\n", price = 100.0
        for i in 0..<2000 {
            let open = price, close = open * exp(steps[i])
            let high = max(open, close) * (1 + 0.005 * abs(gauss())), low = min(open, close) * (1 - 0.005 * abs(gauss()))
            csv += "\(1_104_537_600_000 + Int64(i) * 86_400_000),\(open),\(high),\(low),\(close),1000\n"
            price = close
        }
        let data = try temp("noise.csv", csv), out = try temp("noise.json", "")
        let r = try batch("Strategies/sma_cross.strat", "--data", data.path, "--grid", "fast=5...50:5", "--grid", "slow=20...200:20",
                          "--where", "fast < slow", "--out", out.path)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        let pbo = try #require(json["pbo"] as? [String: Any]), dsr = try #require(json["dsr"] as? [String: Any])
        let p = try #require(pbo["probability"] as? Double), d = try #require(dsr["probability"] as? Double)
        // Flagged both ways: the in-sample best does no better than chance out of
        // sample (PBO at or above about one half), and its Sharpe is not significant.
        #expect(p >= 0.45, "PBO \(p)")
        #expect(d < 0.95, "DSR \(d)")
        #expect(pbo["splits"] as? Int == 12_870 && (pbo["logits"] as? [Double])?.count == 12_870 && dsr["trials"] as? Int == 90)
        #expect(r.stdout.contains(String(format: "Overfitting         PBO %.3f over 12870 splits of 16 blocks", p)), "\(r.stdout)")
        // One point: nothing to compare; the line says why.
        let one = try batch("Strategies/sma_cross.strat", "--data", data.path, "--grid", "fast=10")
        #expect(one.stdout.contains("Overfitting         no PBO: "), "\(one.stdout)")
        let odd = try batch("Strategies/sma_cross.strat", "--data", data.path, "--grid", "fast=10", "--pbo-blocks", "7")
        #expect(odd.status == 2 && odd.stderr.contains("--pbo-blocks must be even, from 2 to 20, got 7"))
    }

    /// On a terminal the batch draws a progress line (done/total, rate, elapsed,
    /// ETA) on stderr, and Ctrl-C from the keyboard stops it with what is done.
    @Test func aTerminalShowsProgressAndCtrlCStops() throws {
        let t = try Terminal("batch Strategies/sma_cross.strat --data Data/EURUSD.csv --grid fast=5...60 --grid slow=20...250:2 --no-cache --top 1; sleep 60",
                             history: tempHistory())
        // (`sleep` keeps the pane, and what the batch printed, after it ends.)
        let s = try t.wait(for: "s elapsed, ETA ")
        #expect(s.contains(" points, ") && s.contains("/s, "), "\(s)")
        #expect(s.contains("/6496 points"), "\(s)")
        try t.send("C-c")
        try t.wait(for: "stopping after the points running now")
        try t.wait(for: "not run: stopped")
        // (The guards' line may come a moment later: wait for it rather than read one capture.)
        let end = try t.wait(for: "Overfitting")
        #expect(end.contains("not run: stopped"), "\(end)")
    }
}
