import Foundation
import StratTestSupport
import Testing

/// Issue 16, item 2: `strat report BATCH.json`, the HTML report of a sweep or a walk-forward.
@Suite struct BatchReportCLITests {
    /// `strat batch …` with its own new store (the result cache).
    func batch(_ args: [String]) throws -> Run {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["STRAT_DB"] = try temp("cache.db", "").path
        return try runProgram(stratBinary.path, ["batch"] + args, in: repoRoot.path, environment: env)
    }

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// The text between `start` and the next `end` after it.
    func between(_ text: String, _ start: String, _ end: String) throws -> String {
        let a = try #require(text.range(of: start))
        let b = try #require(text[a.upperBound...].range(of: end))
        return String(text[a.upperBound..<b.lowerBound])
    }

    /// A batch's JSON and its report, written twice.
    func sweep() throws -> (json: [String: Any], page: String, again: String, older: String) {
        let dir = try temp("x", "").deletingLastPathComponent()
        let json = dir.appendingPathComponent("sweep.json").path
        let r = try batch(["Strategies/sma_cross.strat", "--data", "Data/GOOG.csv", "--lot-size", "1",
                           "--grid", "fast=5...15:5", "--grid", "slow=20...40:10", "--out", json])
        #expect(r.status == 0, "\(r.stderr)")
        let html = dir.appendingPathComponent("sweep.html").path, html2 = dir.appendingPathComponent("sweep2.html").path
        let rep = try strat("report", json, "-o", html)
        #expect(rep.status == 0 && rep.stderr.isEmpty, "\(rep.stderr)")
        #expect(try strat("report", json, "-o", html2).status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        // A file written before `kind` was: known by its shape, its inputs in sorted order.
        let text = try String(contentsOfFile: json, encoding: .utf8)
        let tail = ",\n  \"kind\": \"batch\",\n  \"varied_inputs\": [\"fast\", \"slow\"]\n}\n"
        #expect(text.hasSuffix(tail))
        let old = try temp("old.json", String(text.dropLast(tail.count)) + "\n}\n"), html3 = dir.appendingPathComponent("old.html").path
        #expect(try strat("report", old.path, "-o", html3).status == 0)
        return (object, try String(contentsOfFile: html, encoding: .utf8), try String(contentsOfFile: html2, encoding: .utf8),
                try String(contentsOfFile: html3, encoding: .utf8))
    }

    @Test func aSweepsReportHasItsTableHeatmapAndGuards() throws {
        let (json, page, again, older) = try sweep()
        #expect(older == page, "a batch's JSON without its kind gives the same page")
        #expect(json["kind"] as? String == "batch")
        #expect(json["varied_inputs"] as? [String] == ["fast", "slow"])
        #expect(page == again, "the same JSON gives the same bytes")
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.hasSuffix("</html>\n"))
        #expect(!page.contains("<script") && !page.contains("src=") && !page.contains("<link"), "self-contained")
        for id in ["headline", "overfitting", "pbo", "dsr", "pbo-text", "dsr-text", "heatmap", "points"] {
            #expect(page.contains("id=\"\(id)\""), "section \(id)")
        }
        // One row per point, best first, in the JSON's order.
        let rows = try #require(json["rows"] as? [[String: Any]])
        #expect(rows.count == 9)
        #expect(count("<tr class=\"point", in: page) == 9)
        let table = try between(page, "<section id=\"points\">", "</section>")
        let first = try between(table, "<tr class=\"point best\">", "</tr>")
        let best = try #require(rows.first), bestInputs = try #require(best["inputs"] as? [String: String])
        #expect(first.hasPrefix("<td class=\"num\">1</td><td>\(bestInputs["fast"]!)</td><td>\(bestInputs["slow"]!)</td>"), "\(first)")
        #expect(first.contains("<td class=\"num\">\(best["trades"] as! Int)</td>"))
        #expect(first.contains(String(format: "<td class=\"num\">%.3f</td>", best["sharpe"] as! Double)))
        // Every input and metric has its column.
        for column in ["fast", "slow", "final_equity", "total_return", "cagr", "sharpe", "sortino", "calmar", "max_drawdown",
                       "trades", "win_rate", "profit_factor", "exposure"] {
            #expect(table.contains(">\(column)</th>"), "column \(column)")
        }
        // The heatmap: 3 × 3 cells, each with its hover text; the best point's cell holds its Sharpe.
        let heatmap = try between(page, "<section id=\"heatmap\">", "</section>")
        #expect(count("<rect x=", in: heatmap) - 10 == 9, "9 cells besides the 10 of the scale")
        #expect(count("<title>fast=", in: heatmap) == 9)
        #expect(heatmap.contains("<title>fast=\(bestInputs["fast"]!) slow=\(bestInputs["slow"]!): \(String(format: "%.3g", best["sharpe"] as! Double))</title>"))
        // PBO and DSR as the JSON has them.
        let pbo = try #require(json["pbo"] as? [String: Any]), dsr = try #require(json["dsr"] as? [String: Any])
        #expect(page.contains(String(format: "id=\"pbo\">%.3f<", pbo["probability"] as! Double)))
        #expect(page.contains(String(format: "id=\"dsr\">%.3f<", dsr["probability"] as! Double)))
        #expect(page.contains("of the \(pbo["splits"] as! Int) ways of cutting the \(pbo["periods"] as! Int) days (\(pbo["blocks"] as! Int) blocks)"))
        #expect(page.contains("the best of 9 points with no skill"))
    }

    @Test func aWalkForwardsReportHasItsWindowsAndEquity() throws {
        let dir = try temp("x", "").deletingLastPathComponent()
        let json = dir.appendingPathComponent("wf.json").path, html = dir.appendingPathComponent("wf.html").path
        let html2 = dir.appendingPathComponent("wf2.html").path
        let r = try batch(["Strategies/sma_cross.strat", "--data", "GOOG=Data/GOOG.csv", "--lot-size", "1",
                           "--grid", "fast=5...15:5", "--grid", "slow=20,40", "--walk-forward", "730d/365d", "--out", json])
        #expect(r.status == 0, "\(r.stderr)")
        let rep = try strat("report", json, "-o", html)
        #expect(rep.status == 0 && rep.stderr.isEmpty, "\(rep.stderr)")
        #expect(try strat("report", json, "-o", html2).status == 0)
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page == (try String(contentsOfFile: html2, encoding: .utf8)))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(object["kind"] as? String == "walk_forward" && object["strategy"] as? String == "SmaCross")
        let windows = try #require(object["windows"] as? [[String: Any]])
        #expect(windows.count == 7)
        #expect(page.contains("<h1>SmaCross: walk-forward</h1>"))
        for id in ["headline", "equity", "equity-chart", "windows", "m-walk_forward_efficiency"] { #expect(page.contains("id=\"\(id)\""), "\(id)") }
        // One row per window: its dates, the chosen point and its figures.
        #expect(count("<tr class=\"window\">", in: page) == 7)
        for w in windows {
            let trainFrom = String((w["train_from"] as! String).prefix(10)), testTo = String((w["test_to"] as! String).prefix(10))
            let row = try between(page, "<tr class=\"window\"><td class=\"num\">\(w["window"] as! Int)</td>", "</tr>")
            #expect(row.hasPrefix("<td>\(trainFrom) … "), "\(row)")
            #expect(row.contains(" … \(testTo)</td><td>\(w["chosen"] as! String)</td>"), "\(row)")
            #expect(row.contains(String(format: "<td class=\"num\">%.2f%%</td>", (w["test_return"] as! Double) * 100)))
            #expect(row.contains("<td class=\"num\">\(w["test_trades"] as! Int)</td>"))
        }
        // The chained equity: one path, six window starts marked, and the totals as the JSON has them.
        let chart = try between(page, "<svg id=\"equity-chart\"", "</svg>")
        #expect(count("<path class=\"equity\"", in: chart) == 1 && count("<path class=\"boundary\"", in: chart) == 6)
        let oos = try #require(object["out_of_sample"] as? [String: Any])
        #expect(page.contains(String(format: "id=\"m-final_equity\">%.2f<", oos["final_equity"] as! Double)))
        #expect(page.contains("id=\"m-trades\">\(oos["trades"] as! Int)<"))
    }

    /// A JSON that is neither a backtest's nor a batch's, or a batch's with a
    /// field wrong: one line naming the file and what was expected, exit 2, no page.
    @Test func aForeignOrBrokenBatchSaysWhy() throws {
        let foreign = try temp("foreign.json", "{\"name\": \"x\", \"values\": [1, 2]}")
        let out = foreign.deletingLastPathComponent().appendingPathComponent("o.html").path
        var r = try strat("report", foreign.path, "-o", out)
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: \(foreign.path): neither a backtest's result (strat backtest --json) nor a batch's (strat batch --out FILE.json): it has none of their members\n")
        let kind = try temp("kind.json", "{\"kind\": \"optimisation\"}")
        r = try strat("report", kind.path, "-o", out)
        #expect(r.status == 2 && r.stderr == "strat: error: \(kind.path): kind: `optimisation` is not one strat report reads (batch, walk_forward)\n")
        let broken = try temp("broken.json", "{\"kind\": \"batch\", \"strategy\": \"X\", \"objective\": \"sharpe\", \"points\": 1, \"missing\": 0, \"rows\": [{\"rank\": \"one\", \"inputs\": {}}]}")
        r = try strat("report", broken.path, "-o", out)
        #expect(r.status == 2 && r.stderr == "strat: error: \(broken.path): rows[0].rank: expected Int\n", "\(r.stderr)")
        let array = try temp("array.json", "[1, 2]")
        r = try strat("report", array.path, "-o", out)
        #expect(r.status == 2 && r.stderr == "strat: error: \(array.path): the top level: expected an object (a backtest's or a batch's JSON)\n", "\(r.stderr)")
        let noRows = try temp("norows.json", "{\"kind\": \"walk_forward\", \"objective\": \"sharpe\"}")
        r = try strat("report", noRows.path, "-o", out)
        #expect(r.status == 2 && r.stderr == "strat: error: \(noRows.path): windows: missing (expected the JSON of `strat batch --out`)\n", "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
