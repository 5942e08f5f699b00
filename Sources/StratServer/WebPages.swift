import Foundation
import Hummingbird
import NIOCore
import StratQueue
import StratReport

/// The web page (issue 16): server-rendered HTML that works without
/// JavaScript. The token is given once in a form and kept in an HttpOnly,
/// SameSite=Strict cookie; the page lists the token's backtests with their
/// states, shows a finished one's report, and submits a strategy pasted into
/// a form against a stored series.
struct WebPages: Sendable {
    let api: API
    static let cookie = "strat_token"

    func register(on router: Router<ServerContext>) {
        router.get("/") { _, context in try await home(context, message: nil) }
        router.post("/") { request, context in try await signIn(request, context) }
        router.post("/ui/sign-out") { _, _ in
            Response(status: .seeOther, headers: [.location: "/", .setCookie: "\(Self.cookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"])
        }
        router.post("/ui/backtests") { request, context in try await submit(request, context) }
        router.get("/ui/backtests/{id}") { _, context in try await jobPage(context) }
        router.get("/v1/backtests/{id}/report") { _, context in
            let id = try await api.ownJob(context, kind: Jobs.backtest)
            guard let s = try await api.queue.status(id) else { throw Problem.notFound("no backtest \(id)") }
            guard s.state == .succeeded, let result = try await api.queue.result(id) else { throw api.notDone(s.state, "backtest \(id)", s.error) }
            let doc: ReportDocument
            do { doc = try ReportDocument(json: result) } catch { throw Problem.conflict("report-unreadable", "backtest \(id)'s result cannot be read back: \(error)") }
            return html(HTMLReport.render(doc))
        }
    }

    // MARK: Pages

    func home(_ context: ServerContext, message: String?) async throws -> Response {
        guard let token = context.token else {
            return html(page("Strat", """
                <h1>Strat</h1>
                \(message.map { "<p class=\"error\">\(escape($0))</p>" } ?? "")
                <form method="post" action="/">
                  <label>API token <input type="password" name="token" autocomplete="off" required></label>
                  <button type="submit">Sign in</button>
                </form>
                <p>Make one with <code>strat token create --name NAME</code>.</p>
                """))
        }
        var rows = ""
        for id in try await api.store.backtests(token: token.id, limit: 50) {
            guard let s = try await api.queue.status(id) else { continue }
            rows += "<tr><td><a href=\"/ui/backtests/\(id)\">\(id)</a></td><td class=\"state-\(s.state.rawValue)\">\(s.state.rawValue)</td>"
                + "<td>\(escape(iso(s.createdAt)))</td><td>\(s.state == .succeeded ? "<a href=\"/v1/backtests/\(id)/report\">report</a>" : "")</td></tr>\n"
        }
        return html(page("Strat — \(token.name)", """
            <h1>Strat</h1>
            <form method="post" action="/ui/sign-out" class="who">Signed in as <b>\(escape(token.name))</b> <button type="submit">Sign out</button></form>
            \(message.map { "<pre class=\"error\">\(escape($0))</pre>" } ?? "")
            <h2>Backtests</h2>
            <table id="jobs"><tr><th>id</th><th>state</th><th>submitted</th><th></th></tr>
            \(rows.isEmpty ? "<tr><td colspan=\"4\">none yet</td></tr>" : rows)</table>
            <h2>New backtest</h2>
            \(try submitForm())
            """))
    }

    func submitForm() throws -> String {
        let series = (try? JSONDecoder().decode(SeriesList.self, from: try api.jobs.series()).series) ?? []
        let options = series.map { s -> String in
            let value = [s.symbol, s.interval, s.market, s.source].joined(separator: "|")
            return "<option value=\"\(escape(value))\">\(escape("\(s.symbol) \(s.interval) \(s.market) \(s.source) (\(s.rows) bars)"))</option>"
        }.joined()
        return """
            <form method="post" action="/ui/backtests">
              <label>Strategy<br><textarea name="strategy" rows="16" cols="80" required></textarea></label><br>
              <label>Stored series <select name="series" required>\(options.isEmpty ? "<option value=\"\">(the store is empty: strat data import)</option>" : options)</select></label>
              <label>Capital <input name="capital" value="10000" size="10"></label>
              <label>Lot size <input name="lot_size" size="6"></label>
              <button type="submit">Run</button>
            </form>
            """
    }

    func jobPage(_ context: ServerContext) async throws -> Response {
        guard context.token != nil else { return Response(status: .seeOther, headers: [.location: "/"]) }
        let id = try await api.ownJob(context, kind: Jobs.backtest)
        guard let s = try await api.queue.status(id) else { throw Problem.notFound("no backtest \(id)") }
        // Until it is final the page reloads itself every second: no script needed.
        let refresh = s.state.isFinal ? "" : "<meta http-equiv=\"refresh\" content=\"1\">"
        let body = """
            <p><a href="/">← all backtests</a></p>
            <h1>Backtest \(id)</h1>
            <p>State: <b id="state" class="state-\(s.state.rawValue)">\(s.state.rawValue)</b>\(s.progress.map { String(format: " (%.0f%%)", $0 * 100) } ?? "")</p>
            \(s.error.map { "<pre class=\"error\">\(escape($0))</pre>" } ?? "")
            \(s.state == .succeeded ? "<p><a id=\"report\" href=\"/v1/backtests/\(id)/report\">Open the report</a> · <a href=\"/v1/backtests/\(id)/result\">result JSON</a></p>" : "")
            """
        return html(page("Backtest \(id)", body, head: refresh))
    }

    // MARK: Forms

    func signIn(_ request: Request, _ context: ServerContext) async throws -> Response {
        let form = try await Self.form(request)
        let secret = form["token"]?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !secret.isEmpty, let token = try await api.store.token(hash: Tokens.hash(secret)), token.revokedAt == nil else {
            var r = try await home(context, message: "That token is unknown or revoked.")
            r.status = .unauthorized
            return r
        }
        return Response(status: .seeOther, headers: [.location: "/", .setCookie: "\(Self.cookie)=\(secret); Path=/; HttpOnly; SameSite=Strict"])
    }

    func submit(_ request: Request, _ context: ServerContext) async throws -> Response {
        guard let token = context.token else { return Response(status: .seeOther, headers: [.location: "/"]) }
        let form = try await Self.form(request)
        let parts = (form["series"] ?? "").split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        var options: [String: JSONValue] = [:]
        for key in ["capital", "lot_size"] {
            guard let text = form[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { continue }
            guard let v = Double(text) else { return try await home(context, message: "\(key): `\(text)` is not a number") }
            options[key] = .number(v)
        }
        guard parts.count == 4 else { return try await home(context, message: "Choose a stored series (`strat data import` fills the store).") }
        let submission = Submission(strategy: form["strategy"] ?? "", strategyFile: nil,
                                    data: [DataItem(symbol: parts[0], csv: nil, interval: parts[1], market: parts[2], source: parts[3])],
                                    options: .object(options), sweep: nil)
        do {
            try api.checkSource(submission.strategy, context)
            try await api.checkConcurrency(token)
            let id = try await api.enqueueBacktest(submission, token: token, key: nil)
            return Response(status: .seeOther, headers: [.location: "/ui/backtests/\(id)"])
        } catch let p as Problem {
            var text = p.detail
            if let d = p.diagnostics, let list = try? JSONSerialization.jsonObject(with: d) as? [[String: Any]] {
                text += "\n" + list.map { "\($0["file"] ?? ""):\($0["line"] ?? ""):\($0["column"] ?? ""): \($0["severity"] ?? ""): \($0["message"] ?? "")" }.joined(separator: "\n")
            }
            var r = try await home(context, message: text)
            r.status = p.status
            return r
        }
    }

    /// An `application/x-www-form-urlencoded` body (at most 1 MiB).
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 1 << 20) } catch is NIOTooManyBytesError {
            throw Problem.tooLarge("body-too-large", "a form is at most 1 MiB")
        }
        var out: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            out[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return out
    }
}

struct SeriesList: Decodable {
    struct Item: Decodable { var symbol, interval, market, source: String; var rows: Int }
    var series: [Item]
}

func html(_ text: String) -> Response {
    Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
}

func page(_ title: String, _ body: String, head: String = "") -> String {
    """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>\(head)
    <style>body{font:15px/1.4 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}
    td,th{padding:.2rem .8rem;border-bottom:1px solid #ddd;text-align:left}.error{color:#b00020;white-space:pre-wrap}
    .state-succeeded{color:#0a7d28}.state-failed,.state-cancelled{color:#b00020}textarea{font-family:monospace;width:100%}.who{float:right}</style>
    </head><body>
    \(body)
    </body></html>

    """
}

func escape(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

func iso(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }
