import Foundation
import StratTestSupport
import Testing

/// Issue 16: the GOOG report in a real browser (headless Chromium, installed by
/// .ci/run): a screenshot that is not blank, kept as .build/report-goog.png, and
/// the headline figures read from the DOM the browser built. Without Chromium
/// the test passes with a note, except in CI (`CI` set), where it fails.
@Suite struct BrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    func browser(_ args: [String]) throws -> Run {
        try runProgram(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"] + args,
                       in: repoRoot.path, timeout: 120)
    }

    @Test func googReportInChromium() throws {
        guard Self.chromium != nil else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("chromium is not installed (.ci/run installs it)") }
            return
        }
        let dir = try temp("x", "").deletingLastPathComponent()
        let html = dir.appendingPathComponent("goog.html")
        let r = try strat("backtest", "Strategies/sma_cross.strat", "--data", "GOOG=Data/GOOG.csv", "--lot-size", "1", "--html", html.path)
        #expect(r.status == 0, "\(r.stderr)")
        // The DOM as the browser parsed it: the headline figures are the summary's.
        let dom = try browser(["--dump-dom", html.absoluteString])
        #expect(dom.stdout.contains("<span class=\"value\" id=\"m-final_equity\">57752.99</span>"), "\(dom.stderr)")
        #expect(dom.stdout.contains("<span class=\"value\" id=\"m-total_return\">477.53%</span>"))
        #expect(dom.stdout.contains("<span class=\"value\" id=\"m-n_trades\">32 closed + 1 open</span>"))
        // Not blank: the page's screenshot holds far more than an empty page's.
        let shot = dir.appendingPathComponent("goog.png"), blank = dir.appendingPathComponent("blank.png")
        let empty = dir.appendingPathComponent("empty.html")
        try "<!DOCTYPE html><html><body></body></html>".write(to: empty, atomically: true, encoding: .utf8)
        _ = try browser(["--screenshot=\(shot.path)", "--window-size=1100,1500", html.absoluteString])
        _ = try browser(["--screenshot=\(blank.path)", "--window-size=1100,1500", empty.absoluteString])
        let size = (try? Data(contentsOf: shot).count) ?? 0, blankSize = (try? Data(contentsOf: blank).count) ?? 0
        #expect(blankSize > 0)
        #expect(size > 10 * blankSize, "screenshot \(size) bytes, an empty page's \(blankSize)")
        // Kept for people to look at, in .build (Docs/report-goog.png is one made the same way).
        let kept = repoRoot.appendingPathComponent(".build/report-goog.png")
        try? FileManager.default.removeItem(at: kept)
        try? FileManager.default.copyItem(at: shot, to: kept)
    }
}
