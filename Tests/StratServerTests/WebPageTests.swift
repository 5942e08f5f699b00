import AsyncHTTPClient
import Foundation
import Logging
import StratTestSupport
import Testing
import WSClient

/// Headless Chromium driven over the DevTools protocol: the test types into
/// the page as a person would (the page itself has no script) and reads back
/// what the browser shows.
struct Browser {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `script` against a fresh browser's one page; the browser is killed afterwards.
    static func run(_ script: @escaping @Sendable (Page) async throws -> Void) async throws {
        let profile = scratchDirectory.appendingPathComponent("strat-chromium-\(UUID().uuidString)")
        let browser = try Child(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-port=0", "--remote-allow-origins=*",
                                            "--user-data-dir=\(profile.path)", "--window-size=1100,1400", "about:blank"],
                                  // (Its own temporary files too: killed, it leaves them.)
                                  environment: ProcessInfo.processInfo.environment.merging(["TMPDIR": scratchDirectory.path]) { $1 })
        defer {
            browser.kill(SIGKILL)
            _ = try? browser.wait(timeout: 10)
            try? FileManager.default.removeItem(at: profile)
        }
        var port = 0
        for _ in 0..<600 where port == 0 {
            // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…"
            if let at = browser.errorsSoFar.range(of: "DevTools listening on ws://127.0.0.1:") {
                port = Int(browser.errorsSoFar[at.upperBound...].prefix { $0.isNumber }) ?? 0
            } else { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard port > 0 else { throw HarnessError("chromium did not open its DevTools port: \(browser.errorsSoFar)") }
        let list = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/json/list"), timeout: .seconds(30))
        let targets = try JSONSerialization.jsonObject(with: Data(buffer: try await list.body.collect(upTo: 1 << 20))) as? [[String: Any]] ?? []
        guard let ws = targets.first(where: { $0["type"] as? String == "page" })?["webSocketDebuggerUrl"] as? String else {
            throw HarnessError("chromium has no page to drive: \(targets)")
        }
        try await WebSocketClient.connect(url: ws, configuration: .init(maxFrameSize: 1 << 26), logger: Logger(label: "cdp")) { inbound, outbound, _ in
            let page = Page(inbound: inbound.messages(maxSize: 1 << 26).makeAsyncIterator(), outbound: outbound)
            try await script(page)
            try await outbound.close(.normalClosure, reason: nil)
        }
    }

    /// One page: commands answered in order (events in between are skipped).
    final class Page: @unchecked Sendable {
        var inbound: WebSocketInboundMessageStream.AsyncIterator
        let outbound: WebSocketOutboundWriter
        var id = 0

        init(inbound: WebSocketInboundMessageStream.AsyncIterator, outbound: WebSocketOutboundWriter) {
            self.inbound = inbound
            self.outbound = outbound
        }

        @discardableResult
        func call(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
            id += 1
            let message = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
            try await outbound.write(.text(String(decoding: message, as: UTF8.self)))
            while let m = try await inbound.next() {
                guard case .text(let text) = m, let reply = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                      reply["id"] as? Int == id else { continue }
                if let error = reply["error"] { throw HarnessError("\(method): \(error)") }
                return reply["result"] as? [String: Any] ?? [:]
            }
            throw HarnessError("the browser closed the connection")
        }

        /// A JavaScript expression's value, in the page as it is now.
        func value(_ expression: String) async throws -> Any? {
            let r = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true])
            return (r["result"] as? [String: Any])?["value"]
        }

        /// Waits until `expression` is true in the page (pages reload and redirect meanwhile).
        func wait(for expression: String, timeout: Double = 120) async throws {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if (try? await value("!!(\(expression))")) as? Bool == true { return }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw HarnessError("the page never showed `\(expression)`; it shows: \((try? await value("document.body && document.body.innerText")) ?? "")")
        }

        func go(_ url: String) async throws { try await call("Page.navigate", ["url": url]) }
    }
}

@Test("The web page in a real browser: sign in with the token, submit a strategy against a stored series, wait, read its report")
func webPageInChromium() async throws {
    guard Browser.chromium != nil else {
        if Backend.inCI { Issue.record("chromium is not installed (.ci/run installs it)") }
        return
    }
    let d = try Deployment(.sqlite)
    let token = try d.token("grace")
    try googCSV.write(to: d.dir.appendingPathComponent("GOOG.csv"), atomically: true, encoding: .utf8)
    #expect(try d.strat(["data", "import", "GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--db", d.dir.appendingPathComponent("strat.db").path]).status == 0)
    try d.start(workers: 1)
    let base = "http://127.0.0.1:\(d.port)"
    let shot = repoRoot.appendingPathComponent(".build/server-page.png")
    try await Browser.run { page in
        try await page.go(base + "/")
        try await page.wait(for: "document.querySelector('input[name=token]')")
        _ = try await page.value("document.querySelector('input[name=token]').value = \(quoted(token)); document.querySelector('form').submit(); true")
        try await page.wait(for: "document.querySelector('textarea[name=strategy]')")
        #expect(try await page.value("document.querySelector('select[name=series]').options[0].text") as? String == "GOOG 1d spot csv (2148 bars)")
        _ = try await page.value("""
            document.querySelector('textarea[name=strategy]').value = \(quoted(smaCross));
            document.querySelector('input[name=lot_size]').value = '1';
            document.querySelector('form[action="/ui/backtests"]').submit(); true
            """)
        // The job's page reloads itself until the job is done, then links the report.
        try await page.wait(for: "document.getElementById('report')")
        #expect(try await page.value("document.getElementById('state').textContent") as? String == "succeeded")
        _ = try await page.value("location.href = document.getElementById('report').href; true")
        try await page.wait(for: "document.getElementById('m-final_equity')")
        #expect(try await page.value("document.getElementById('m-final_equity').textContent") as? String == "57752.99")
        #expect(try await page.value("document.getElementById('m-n_trades').textContent") as? String == "32 closed + 1 open")
        let png = try await page.call("Page.captureScreenshot", ["format": "png"])
        let bytes = Data(base64Encoded: png["data"] as? String ?? "") ?? Data()
        #expect(bytes.count > 50_000, "a screenshot of \(bytes.count) bytes is blank")
        try? bytes.write(to: shot)
        // Back on the list, the job is there, succeeded.
        try await page.go(base + "/")
        try await page.wait(for: "document.querySelector('#jobs td.state-succeeded')")
        let home = try await page.call("Page.captureScreenshot", ["format": "png"])
        try? Data(base64Encoded: home["data"] as? String ?? "")?.write(to: repoRoot.appendingPathComponent(".build/server-home.png"))
    }
    #expect(try d.stop().status == 0)
}

/// A JavaScript string literal.
func quoted(_ s: String) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: [s]), as: UTF8.self).dropFirst().dropLast().description
}
