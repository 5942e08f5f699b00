import Foundation
import StratTestSupport
import Testing

/// Issue 16, item 1: the HTML report of `strat backtest --html` and `strat report`.
@Suite struct ReportCLITests {
    static let goog = ["backtest", "Strategies/sma_cross.strat", "--data", "GOOG=Data/GOOG.csv", "--lot-size", "1"]

    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// The sections, one marker per fill, every trade row linking its rule's line.
    @Test func googReportHasItsSections() throws {
        let dir = try temp("x", "").deletingLastPathComponent()
        let html = dir.appendingPathComponent("r.html").path, json = dir.appendingPathComponent("r.json").path
        let r = try runStrat(Self.goog + ["--html", html, "--json", json])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        for id in ["headline", "equity-chart", "underwater-chart", "drawdowns", "price-chart-0", "trades", "monthly",
                   "distribution-chart", "source", "provenance"] {
            #expect(page.contains("id=\"\(id)\""), "no \(id)")
        }
        // No network and no script: the file stands alone.
        #expect(!page.contains("<script"))
        #expect(!page.contains("http://") && !page.contains("https://"))
        let fills = (result["fills"] as! [Any]).count, trades = (result["trades"] as! [Any]).count
        #expect(fills == 65)
        #expect(count("class=\"fill-marker ", in: page) == fills)
        #expect(count("<tr class=\"win\" id=\"trade-", in: page) + count("<tr class=\"loss\" id=\"trade-", in: page)
                + count("<tr class=\"flat\" id=\"trade-", in: page) == trades)
        // Every trade row links the rule that opened it, which the listing holds.
        #expect(count("<a class=\"rule\" href=\"#line-13\">sma_cross.strat:13</a> <code>when crossover(fastMa, slowMa) {</code>", in: page) == trades)
        #expect(page.contains("<tr id=\"line-13\">"))
        // The headline figures are the summary's.
        #expect(page.contains("<span class=\"value\" id=\"m-total_return\">"))
        #expect(r.stdout.contains("Total return        \(figure(page, "m-total_return"))\n"))
        #expect(r.stdout.contains("Trades              32 closed + 1 open\n"))
        #expect(figure(page, "m-n_trades") == "32 closed + 1 open")
        // Five worst drawdowns listed.
        let table = page.components(separatedBy: "<table id=\"drawdowns\"")[1].components(separatedBy: "</table>")[0]
        #expect(count("<tr><td>", in: table) == 5)
    }

    /// Stored data brings its latest quality report into the provenance and the page; a file brings none.
    @Test func storedDataShowsItsQuality() throws {
        let dir = try temp("x", "").deletingLastPathComponent()
        let db = dir.appendingPathComponent("q.db").path, html = dir.appendingPathComponent("q.html").path
        #expect(try runStrat(["data", "import", "Data/GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--db", db]).status == 0)
        let r = try runStrat(["backtest", "Strategies/sma_cross.strat", "--data", "GOOG=db:1d", "--db", db, "--lot-size", "1", "--html", html])
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        let section = page.components(separatedBy: "<section id=\"data-quality\">").dropFirst().first ?? ""
        #expect(section.hasPrefix("\n<h2>Data quality</h2>\n<pre>GOOG 1d (spot, csv): 2148 bars, quality score 54.9/100\n"))
        #expect(section.contains("  gap           463 (969 missing bars)\n"))
        let fromFile = dir.appendingPathComponent("f.html").path
        #expect(try runStrat(Self.goog + ["--html", fromFile]).status == 0)
        #expect(!(try String(contentsOfFile: fromFile, encoding: .utf8)).contains("id=\"data-quality\""))
    }

    func figure(_ page: String, _ id: String) -> String {
        page.components(separatedBy: "id=\"\(id)\">").dropFirst().first?.components(separatedBy: "<").first ?? ""
    }

    /// The same result gives the same bytes, whether made in the run or from its JSON.
    @Test func reportsAreDeterministic() throws {
        let dir = try temp("x", "").deletingLastPathComponent()
        let a = dir.appendingPathComponent("a.html").path, b = dir.appendingPathComponent("b.html").path
        let c = dir.appendingPathComponent("c.html").path, json = dir.appendingPathComponent("r.json").path
        #expect(try runStrat(Self.goog + ["--html", a, "--json", json]).status == 0)
        #expect(try runStrat(Self.goog + ["--html", b]).status == 0)
        let r = try strat("report", json, "-o", c)
        #expect(r.status == 0, "\(r.stderr)")
        let first = try Data(contentsOf: URL(fileURLWithPath: a))
        #expect(first == (try Data(contentsOf: URL(fileURLWithPath: b))))
        #expect(first == (try Data(contentsOf: URL(fileURLWithPath: c))))
    }

    /// A JSON that is not a result: one line naming the file and the field.
    @Test func reportOfABadResultSaysWhy() throws {
        let bad = try temp("bad.json", "{\"strategy\": \"X\", \"symbols\": []}")
        let out = bad.deletingLastPathComponent().appendingPathComponent("o.html").path
        let r = try strat("report", bad.path, "-o", out)
        #expect(r.status == 2)
        #expect(r.stderr == "strat: error: \(bad.path): metrics: missing (expected the JSON of `strat backtest --json`)\n")
        #expect(!FileManager.default.fileExists(atPath: out))
        let notJSON = try temp("n.json", "time,open\n")
        #expect(try strat("report", notJSON.path, "-o", out).stderr.hasPrefix("strat: error: \(notJSON.path): not JSON"))
    }

    /// More bars than columns: the chart keeps one bar per span of time, the
    /// span's extremes kept (a one-bar spike survives), and the lets likewise.
    @Test func longRunsAreDrawnAtTheChartsResolution() throws {
        var csv = "time,open,high,low,close,volume\n"
        for i in 0..<2_500 {
            let x = 100 + Double(i % 50) / 10
            csv += "\(1_704_067_200_000 + Int64(i) * 3_600_000),\(x),\(i == 1_234 ? 500 : x + 1),\(x - 1),\(x),1000\n"
        }
        let bars = try temp("long.csv", csv)
        let dir = bars.deletingLastPathComponent()
        let s = dir.appendingPathComponent("l.strat"), json = dir.appendingPathComponent("l.json").path
        try "strategy L {\n  market spot\n  timeframe 1h\n  let m = sma(close, 5)\n  when close > m {\n    enter long\n  }\n}\n"
            .write(to: s, atomically: true, encoding: .utf8)
        let r = try strat("backtest", s.path, "--data", "X=\(bars.path)", "--json", json)
        #expect(r.status == 0, "\(r.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let chart = result["chart"] as! [String: Any]
        let prices = (chart["prices"] as! [[String: Any]])[0]
        let points = prices["bars"] as! [[String: Any]]
        #expect(prices["aggregated"] as? Bool == true)
        #expect(points.count == 1000)
        #expect(points.map { $0["high"] as! Double }.max() == 500)
        #expect(points.first?["time"] as? String == "2024-01-01T00:00:00Z")
        let series = (chart["series"] as! [[String: Any]])[0]
        #expect(series["name"] as? String == "m" && series["dimension"] as? String == "Price")
        // The first four bars have no average yet.
        #expect((series["points"] as! [Any]).count == 999)
    }

    /// An all-in order that never filled has no quantity (`"qty": null`): the
    /// report reads it (it once refused the result: "orders[0].qty: expected Double").
    @Test func anUnfilledAllInOrderHasNoQuantity() throws {
        let bars = try temp("bars.csv", """
            time,open,high,low,close,volume
            2024-01-01T00:00:00Z,100,101,99,101,1000
            2024-01-01T01:00:00Z,100,100.5,98,99,1000

            """)
        let s = bars.deletingLastPathComponent().appendingPathComponent("lim.strat")
        try "strategy L {\n  market spot\n  timeframe 1h\n  when close > open {\n    enter long at limit close - 50\n  }\n}\n"
            .write(to: s, atomically: true, encoding: .utf8)
        let html = bars.deletingLastPathComponent().appendingPathComponent("lim.html").path
        let r = try strat("backtest", s.path, "--data", "X=\(bars.path)", "--html", html)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: html, encoding: .utf8).contains("<p>No trades.</p>"))
    }

    /// Two symbols: a price section each and the exposure over time.
    @Test func multiSymbolReportHasAPriceSectionPerSymbolAndExposure() throws {
        var a = "time,open,high,low,close,volume\n", b = a
        for i in 0..<120 {
            let t = 1_704_067_200_000 + Int64(i) * 86_400_000
            let x = 100 + 10 * sin(Double(i) / 7), y = 50 + 5 * cos(Double(i) / 5)
            a += "\(t),\(x),\(x + 1),\(x - 1),\(x + 0.5),1000\n"
            b += "\(t),\(y),\(y + 1),\(y - 1),\(y - 0.2),1000\n"
        }
        let fa = try temp("A.csv", a), fb = fa.deletingLastPathComponent().appendingPathComponent("B.csv")
        try b.write(to: fb, atomically: true, encoding: .utf8)
        let s = fa.deletingLastPathComponent().appendingPathComponent("m.strat")
        try """
            strategy M {
              market spot
              timeframe 1d
              universe A, B
              let fast = sma(close, 5)
              when crossover(fast, sma(close, 15)) {
                enter long size equity(40%)
              }
              when crossunder(fast, sma(close, 15)) {
                exit long
              }
            }

            """.write(to: s, atomically: true, encoding: .utf8)
        let html = fa.deletingLastPathComponent().appendingPathComponent("m.html").path
        let r = try strat("backtest", s.path, "--data", "A=\(fa.path)", "--data", "B=\(fb.path)", "--html", html)
        #expect(r.status == 0, "\(r.stderr)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<h2>A</h2>") && page.contains("<h2>B</h2>"))
        #expect(page.contains("id=\"exposure-chart\""))
        // `fast` over each symbol's price, and A's exposure line (B's is the second colour).
        #expect(count("<path class=\"overlay o0\"", in: page) == 3)
        #expect(count("<path class=\"overlay o1\"", in: page) == 1)
    }
}
