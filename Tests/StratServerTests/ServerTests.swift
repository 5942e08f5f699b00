import Foundation
import StratServer
import StratTestSupport
import Testing

/// The same backtest through the API and through `strat backtest`: the CLI
/// runs in the deployment's directory on files named as the server names them
/// (strategy.strat, GOOG.csv), so even the provenance matches.
func cliResult(_ d: Deployment, _ extra: [String]) throws -> Data {
    try smaCross.write(to: d.dir.appendingPathComponent("strategy.strat"), atomically: true, encoding: .utf8)
    try googCSV.write(to: d.dir.appendingPathComponent("GOOG.csv"), atomically: true, encoding: .utf8)
    let r = try d.strat(["backtest", "strategy.strat", "--data", "GOOG=GOOG.csv", "--json", "cli.json"] + extra)
    #expect(r.status == 0, "\(r.stderr)")
    return try Data(contentsOf: d.dir.appendingPathComponent("cli.json"))
}

nonisolated(unsafe) let backtestBody: [String: Any] = ["strategy": smaCross, "data": [["symbol": "GOOG", "csv": googCSV]], "options": ["capital": 10000, "lot_size": 1]]

@Test("A backtest through the API: queued, run by the server's worker, its result the CLI's to the byte", arguments: Backend.available)
func backtestRoundTrip(_ backend: Backend) async throws {
    let d = try Deployment(backend)
    let alice = try d.token("alice")
    try d.start(workers: 1)
    let submitted = try await d.post("/v1/backtests", token: alice, json: backtestBody)
    #expect(submitted.status == 202, "\(submitted.text)")
    let id = try #require(submitted.json["id"] as? String)
    #expect(submitted.headers["Location"].first == "/v1/backtests/\(id)")
    let final = try await d.waitFinal("/v1/backtests/\(id)", token: alice)
    #expect(final["state"] as? String == "succeeded", "\(final)")
    #expect(final["progress"] as? Double == 1)
    #expect(final["attempts"] as? Int == 1)
    let result = try await d.request(.GET, "/v1/backtests/\(id)/result", token: alice)
    #expect(result.status == 200)
    #expect(result.body == (try cliResult(d, ["--capital", "10000", "--lot-size", "1"])))
    // A retried submission with the same key is the first job; without a key, a new one.
    let first = try await d.post("/v1/backtests", token: alice, json: backtestBody, headers: [("Idempotency-Key", "k-1")])
    let again = try await d.post("/v1/backtests", token: alice, json: backtestBody, headers: [("Idempotency-Key", "k-1")])
    #expect(first.status == 202 && again.status == 202)
    #expect(first.json["id"] as? String == again.json["id"] as? String)
    #expect(first.json["id"] as? String != id)
    // Another token sees none of alice's jobs.
    let bob = try d.token("bob")
    #expect(try await d.request(.GET, "/v1/backtests/\(id)", token: bob).problem == "/problems/not-found")
    let metrics = try await d.request(.GET, "/metrics")
    #expect(metrics.status == 200)
    #expect(metrics.text.contains("strat_jobs{state=\"succeeded\"}"))
    #expect(metrics.text.contains("strat_job_run_seconds_bucket"))
    let stopped = try d.stop()
    #expect(stopped.status == 0, "\(stopped.stderr)")
    // One log line per request and per job state change, with ids; never a token or a source.
    #expect(stopped.stderr.contains("job succeeded") && stopped.stderr.contains("job=\(id)"))
    #expect(stopped.stderr.contains("path=/v1/backtests") && stopped.stderr.contains("token=alice"))
    #expect(!stopped.stderr.contains(alice) && !stopped.stderr.contains("crossover"))
}

@Test("A stored strategy by name (`--strategies DIR`): found, not found, or not a plain name")
func storedStrategies() async throws {
    let d = try Deployment(.sqlite)
    let t = try d.token("ivan")
    let dir = d.dir.appendingPathComponent("strategies")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try smaCross.write(to: dir.appendingPathComponent("sma_cross.strat"), atomically: true, encoding: .utf8)
    try d.start(workers: 1, ["--strategies", dir.path])
    let data = [["symbol": "GOOG", "csv": googCSV]]
    let named = try await d.post("/v1/backtests", token: t, json: ["strategy_file": "sma_cross", "data": data, "options": ["lot_size": 1]])
    #expect(named.status == 202, "\(named.text)")
    let final = try await d.waitFinal("/v1/backtests/\(named.json["id"] as! String)", token: t)
    #expect(final["state"] as? String == "succeeded")
    let result = try await d.request(.GET, "/v1/backtests/\(named.json["id"] as! String)/result", token: t)
    #expect((result.json["provenance"] as? [String: Any])?["strategy_file"] as? String == "sma_cross.strat")
    #expect((result.json["metrics"] as? [String: Any])?["final_equity"] as? Double == 57752.99)
    let missing = try await d.post("/v1/backtests", token: t, json: ["strategy_file": "nope", "data": data])
    #expect(missing.status == 404 && missing.problem == "/problems/no-such-strategy")
    let escape = try await d.post("/v1/backtests", token: t, json: ["strategy_file": "../../etc/passwd", "data": data])
    #expect(escape.status == 400 && escape.json["field"] as? String == "/strategy_file")
    let both = try await d.post("/v1/backtests", token: t, json: ["strategy": smaCross, "strategy_file": "sma_cross", "data": data])
    #expect(both.status == 400 && both.json["field"] as? String == "/strategy")
    #expect(try d.stop().status == 0)
}

@Test("Tokens: 401 without one or with an unknown one, 403 once revoked; the public routes need none", arguments: Backend.available)
func tokenRules(_ backend: Backend) async throws {
    let d = try Deployment(backend)
    let carol = try d.token("carol")
    try d.start(workers: 0)
    #expect(try await d.request(.GET, "/healthz").text == #"{"status":"ok"}"#)
    let doc = try await d.request(.GET, "/openapi.json")
    #expect(doc.body == (try Data(contentsOf: repoRoot.appendingPathComponent("Sources/StratServer/openapi.json"))))
    let none = try await d.request(.GET, "/v1/series")
    #expect(none.status == 401 && none.problem == "/problems/unauthorized")
    #expect(none.headers["WWW-Authenticate"].first == "Bearer")
    #expect(try await d.request(.GET, "/v1/series", token: "strat_nope").status == 401)
    #expect(try await d.request(.GET, "/v1/series", token: carol).text == #"{"series":[]}"#)
    let listed = try d.strat(["token", "list"] + d.place)
    #expect(listed.stdout.contains("carol\t") && !listed.stdout.contains(carol))
    #expect(try d.strat(["token", "revoke", "carol"] + d.place).status == 0)
    let revoked = try await d.request(.GET, "/v1/series", token: carol)
    #expect(revoked.status == 403 && revoked.problem == "/problems/token-revoked")
    #expect(try d.strat(["token", "create", "--name", "carol"] + d.place).stderr.contains("a token named `carol` exists already"))
    #expect(try d.stop().status == 0)
}

@Test("Bad input gets a problem document with a stable type, and nothing is queued", arguments: Backend.available)
func problems(_ backend: Backend) async throws {
    let d = try Deployment(backend)
    let t = try d.token("dave")
    try d.start(workers: 0)
    func post(_ body: Any) async throws -> Reply { try await d.post("/v1/backtests", token: t, json: body) }
    let badJSON = try await d.request(.POST, "/v1/backtests", token: t, body: Data("{\"strategy\": ".utf8))
    #expect(badJSON.status == 400 && badJSON.problem == "/problems/invalid-json")
    let unknown = try await post(backtestBody.merging(["colour": "red"]) { $1 })
    #expect(unknown.status == 400 && unknown.problem == "/problems/unknown-field" && unknown.json["field"] as? String == "/colour")
    let unknownOption = try await post(backtestBody.merging(["options": ["capitol": 5]]) { $1 })
    #expect(unknownOption.problem == "/problems/unknown-field" && unknownOption.json["field"] as? String == "/options/capitol")
    let wrongType = try await post(backtestBody.merging(["options": ["capital": "lots"]]) { $1 })
    #expect(wrongType.status == 400 && wrongType.problem == "/problems/invalid-request")
    #expect(wrongType.json["detail"] as? String == "/options/capital must be a number, got \"lots\"")
    let outOfRange = try await post(backtestBody.merging(["options": ["capital": 0]]) { $1 })
    #expect(outOfRange.status == 400 && (outOfRange.json["detail"] as? String ?? "").contains("--capital must be a number above 0"))
    let broken = try await post(backtestBody.merging(["strategy": "strategy S {\n  when close > sma(close, x) { enter long }\n}\n"]) { $1 })
    #expect(broken.status == 422 && broken.problem == "/problems/strategy-errors")
    let diagnostics = try #require(broken.json["diagnostics"] as? [[String: Any]])
    #expect(diagnostics.first?["line"] as? Int == 2 && diagnostics.first?["file"] as? String == "strategy.strat")
    let badCSV = try await post(backtestBody.merging(["data": [["symbol": "GOOG", "csv": "time,open,high,low,close,volume\n2004-08-19,100,104,95,oops,1\n"]]]) { $1 })
    #expect(badCSV.status == 422 && badCSV.problem == "/problems/data-error")
    #expect((badCSV.json["detail"] as? String ?? "").contains("GOOG.csv:2"))
    let emptyStore = try await post(backtestBody.merging(["data": [["symbol": "GOOG", "interval": "1d"]]]) { $1 })
    #expect(emptyStore.status == 404 && emptyStore.problem == "/problems/unknown-series")
    try googCSV.write(to: d.dir.appendingPathComponent("GOOG.csv"), atomically: true, encoding: .utf8)
    #expect(try d.strat(["data", "import", "GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--db", d.dir.appendingPathComponent("strat.db").path]).status == 0)
    let noSeries = try await post(backtestBody.merging(["data": [["symbol": "NOPE", "interval": "1d"]]]) { $1 })
    #expect(noSeries.status == 404 && noSeries.problem == "/problems/unknown-series")
    #expect((noSeries.json["detail"] as? String ?? "").contains("NOPE"))
    let stored = try await post(backtestBody.merging(["data": [["symbol": "GOOG", "interval": "1d", "market": "spot", "source": "csv"]]]) { $1 })
    #expect(stored.status == 202, "\(stored.text)")
    let series = try await d.request(.GET, "/v1/series", token: t).json["series"] as? [[String: Any]]
    #expect(series?.first?["symbol"] as? String == "GOOG" && series?.first?["rows"] as? Int == 2148)
    let neither = try await post(backtestBody.merging(["data": [["symbol": "GOOG"]]]) { $1 })
    #expect(neither.status == 400 && neither.json["field"] as? String == "/data/0")
    let fileOption = try await post(backtestBody.merging(["options": ["holidays": "/etc/passwd"]]) { $1 })
    #expect(fileOption.status == 400 && fileOption.problem == "/problems/unknown-field")
    let noRoute = try await d.request(.GET, "/v1/nothing", token: t)
    #expect(noRoute.status == 404 && noRoute.problem == "/problems/not-found")
    #expect(try await d.request(.GET, "/v1/backtests/abc", token: t).status == 404)
    // /v1/check: the diagnostics `strat check --format json` prints, and whether the source has errors.
    let checked = try await d.post("/v1/check", token: t, json: ["strategy": "strategy S {\n  when close > sma(close, x) { enter long }\n}\n", "file": "s.strat"])
    #expect(checked.status == 200 && checked.json["ok"] as? Bool == false)
    let found = try #require(checked.json["diagnostics"] as? [[String: Any]])
    #expect(found.first?["file"] as? String == "s.strat" && found.first?["line"] as? Int == 2 && found.first?["severity"] as? String == "error")
    try "strategy S {\n  when close > sma(close, x) { enter long }\n}\n".write(to: d.dir.appendingPathComponent("s.strat"), atomically: true, encoding: .utf8)
    let cliCheck = try d.strat(["check", "s.strat", "--format", "json"])
    #expect((try JSONSerialization.jsonObject(with: Data(cliCheck.stdout.utf8)) as? [[String: Any]])?.map { $0["message"] as? String } == found.map { $0["message"] as? String })
    let clean = try await d.post("/v1/check", token: t, json: ["strategy": smaCross])
    #expect(clean.text == #"{"diagnostics":[],"ok":true}"#)
    // Of all the submissions above, only the good one was queued.
    let counts = try await d.request(.GET, "/metrics").text
    #expect(counts.contains("strat_jobs{state=\"queued\"} 1"))
    #expect(try d.stop().status == 0)
}

@Test("Per-token limits: body, source, bars, points, concurrent jobs, request rate, run time", arguments: Backend.available)
func limits(_ backend: Backend) async throws {
    let d = try Deployment(backend)
    let small = try d.token("small", ["--max-body", "300000", "--max-source", "400", "--max-bars", "1000", "--max-points", "3", "--concurrent-jobs", "1"])
    let slow = try d.token("slow", ["--rate", "3"])
    try d.start(workers: 0)
    let huge = try await d.post("/v1/backtests", token: small, json: backtestBody.merging(["data": [["symbol": "GOOG", "csv": String(repeating: googCSV, count: 4)]]]) { $1 })
    #expect(huge.status == 413 && huge.problem == "/problems/body-too-large")
    let long = try await d.post("/v1/backtests", token: small, json: backtestBody.merging(["strategy": smaCross + String(repeating: "// padding\n", count: 40)]) { $1 })
    #expect(long.status == 413 && long.problem == "/problems/source-too-large")
    let short = "strategy S {\n  market spot\n  input fast = 10 in 5...60\n  when crossover(sma(close, fast), sma(close, 30)) { enter long }\n}\n"
    let bars = try await d.post("/v1/backtests", token: small, json: ["strategy": short, "data": [["symbol": "GOOG", "csv": googCSV]]])
    #expect(bars.status == 413 && bars.problem == "/problems/too-many-bars")
    let fewBars = googCSV.split(separator: "\n").prefix(500).joined(separator: "\n") + "\n"
    let points = try await d.post("/v1/batches", token: small, json: ["strategy": short, "data": [["symbol": "GOOG", "csv": fewBars]],
                                                                      "sweep": ["grid": ["fast=5...20:5"]]])
    #expect(points.status == 413 && points.problem == "/problems/too-many-points")
    let one = try await d.post("/v1/backtests", token: small, json: ["strategy": short, "data": [["symbol": "GOOG", "csv": fewBars]]])
    #expect(one.status == 202)
    let two = try await d.post("/v1/backtests", token: small, json: ["strategy": short, "data": [["symbol": "GOOG", "csv": fewBars]]])
    #expect(two.status == 429 && two.problem == "/problems/too-many-jobs" && two.headers["Retry-After"].first == "5")
    // Cancelled, the job no longer counts.
    let id = try #require(one.json["id"] as? String)
    let cancelled = try await d.request(.DELETE, "/v1/backtests/\(id)", token: small)
    #expect(cancelled.status == 200 && cancelled.json["state"] as? String == "cancelled")
    #expect(try await d.request(.GET, "/v1/backtests/\(id)/result", token: small).problem == "/problems/job-cancelled")
    #expect(try await d.post("/v1/backtests", token: small, json: ["strategy": short, "data": [["symbol": "GOOG", "csv": fewBars]]]).status == 202)
    let began = Date()
    for _ in 0..<3 { #expect(try await d.request(.GET, "/v1/series", token: slow).status == 200) }
    let limited = try await d.request(.GET, "/v1/series", token: slow)
    let took = Date().timeIntervalSince(began)
    #expect(limited.status == 429 && limited.problem == "/problems/rate-limited")
    // 3 a minute: one more in 20 s less however long the three took (as the server
    // timed them: within the time this side saw), in whole seconds rounded up.
    let retry = Int(limited.headers["Retry-After"].first ?? "") ?? 0
    #expect(retry <= 20 && retry >= max(1, Int((20 - took).rounded(.up))), "Retry-After \(retry) after \(took) s")
    #expect(try d.stop().status == 0)
}

@Test("A job over its token's run time is stopped and fails; a queued job waits for a worker process", arguments: Backend.available)
func runTimeAndWorkers(_ backend: Backend) async throws {
    let d = try Deployment(backend)
    let t = try d.token("eve", ["--max-run-seconds", "1"])
    try d.start(workers: 0)
    // Hundreds of points in one job: far over a second.
    let batch = try await d.post("/v1/batches", token: t, json: ["strategy": smaCross, "data": [["symbol": "GOOG", "csv": googCSV]],
                                                                 "sweep": ["grid": ["fast=5...60", "slow=20...40"], "points_per_job": 2000]])
    #expect(batch.status == 202, "\(batch.text)")
    let quick = try await d.post("/v1/backtests", token: t, json: backtestBody)
    let worker = try Child(stratBinary.path, ["worker", "--concurrency", "1"] + d.place, in: d.dir.path)
    let b = try await d.waitFinal("/v1/batches/\(batch.json["id"] as! String)", token: t, timeout: 120)
    #expect(b["state"] as? String == "failed")
    #expect((b["error"] as? String ?? "").contains("stopped: over its run time of 1 s"))
    let q = try await d.waitFinal("/v1/backtests/\(quick.json["id"] as! String)", token: t)
    #expect(q["state"] as? String == "succeeded")
    worker.kill(SIGTERM)
    let w = try worker.wait(timeout: 60)
    #expect(w.status == 0, "\(w.stderr)")
    #expect(w.stderr.contains("workers stopped"))
    #expect(try d.stop().status == 0)
}

@Test("The routes are the document's, and the options it lists are the library's", .tags())
func documentMatchesCode() throws {
    let doc = try JSONSerialization.jsonObject(with: APIDocument.bytes) as! [String: Any]
    let paths = doc["paths"] as! [String: [String: Any]]
    let documented = Set(paths.flatMap { path, ops in ops.keys.map { "\($0) \(path)" } })
    #expect(documented == Set(API.routes.map { "\($0.method) \($0.path)" }))
    let schemas = (doc["components"] as! [String: Any])["schemas"] as! [String: [String: Any]]
    let options = Set(((schemas["BacktestOptions"]!["properties"]) as! [String: Any]).keys)
    #expect(options == Set(Jobs.apiOptionKeys))
    #expect(try Data(contentsOf: repoRoot.appendingPathComponent("Sources/StratServer/openapi.json")) == APIDocument.bytes)
}

@Test("A batch of 1,000 points split across two worker processes gives exactly `strat batch`'s rows", arguments: Backend.available)
func batchAcrossWorkers(_ backend: Backend) async throws {
    let d = try Deployment(backend)
    let t = try d.token("frank")
    try d.start(workers: 0)
    let grid = ["fast=5...54", "slow=20...39"]
    let submitted = try await d.post("/v1/batches", token: t, json: ["strategy": smaCross, "data": [["symbol": "GOOG", "csv": googCSV]],
                                                                     "options": ["lot_size": 1], "sweep": ["grid": grid, "points_per_job": 50]])
    #expect(submitted.status == 202, "\(submitted.text)")
    let id = try #require(submitted.json["id"] as? String)
    #expect(try await d.request(.GET, "/v1/batches/\(id)/results", token: t).problem == "/problems/not-finished")
    let workers = try (0..<2).map { _ in try Child(stratBinary.path, ["worker", "--concurrency", "1"] + d.place, in: d.dir.path) }
    let final = try await d.waitFinal("/v1/batches/\(id)", token: t, timeout: 900)
    #expect(final["state"] as? String == "succeeded", "\(final)")
    #expect(final["points"] as? Int == 1000 && final["points_done"] as? Int == 1000)
    #expect((final["jobs"] as? [String: Int])?["succeeded"] == 20)
    let rows = try await d.request(.GET, "/v1/batches/\(id)/results", token: t)
    #expect(rows.status == 200)
    _ = try cliResult(d, [])
    let cli = try d.strat(["batch", "strategy.strat", "--data", "GOOG=GOOG.csv", "--lot-size", "1", "--grid", grid[0], "--grid", grid[1],
                           "--out", "cli-batch.json", "--no-cache"])
    #expect(cli.status == 0, "\(cli.stderr)")
    #expect(rows.body == (try Data(contentsOf: d.dir.appendingPathComponent("cli-batch.json"))))
    var logs: [String] = []
    for w in workers {
        w.kill(SIGTERM)
        logs.append(try w.wait(timeout: 60).stderr)
    }
    // Both took a share of the jobs.
    #expect(logs.allSatisfy { $0.contains("job succeeded") })
    #expect(try d.stop().status == 0)
}

@Test("On PostgreSQL a worker needs nothing but the URL: the queue and the stored series are both there",
      .enabled(if: Backend.postgresURL != nil || Backend.inCI))
func storedSeriesOnPostgres() async throws {
    let d = try Deployment(.postgres)
    try d.onOwnDatabase()
    defer { d.dropDatabase() }
    try googCSV.write(to: d.dir.appendingPathComponent("GOOG.csv"), atomically: true, encoding: .utf8)
    let imported = try d.strat(["data", "import", "GOOG.csv", "--symbol", "GOOG", "--interval", "1d", "--postgres", d.database!])
    #expect(imported.status == 0, "\(imported.stderr)")
    let t = try d.token("heidi")
    try d.start(workers: 0)
    let series = try await d.request(.GET, "/v1/series", token: t).json["series"] as? [[String: Any]]
    #expect(series?.first?["symbol"] as? String == "GOOG" && series?.first?["rows"] as? Int == 2148)
    let submitted = try await d.post("/v1/backtests", token: t, json: ["strategy": smaCross, "data": [["symbol": "GOOG", "interval": "1d"]],
                                                                      "options": ["lot_size": 1]])
    #expect(submitted.status == 202, "\(submitted.text)")
    let worker = try Child(stratBinary.path, ["worker", "--concurrency", "1"] + d.place, in: d.dir.path)
    let id = try #require(submitted.json["id"] as? String)
    let final = try await d.waitFinal("/v1/backtests/\(id)", token: t)
    #expect(final["state"] as? String == "succeeded", "\(final)")
    let result = try await d.request(.GET, "/v1/backtests/\(id)/result", token: t)
    try smaCross.write(to: d.dir.appendingPathComponent("strategy.strat"), atomically: true, encoding: .utf8)
    let cli = try d.strat(["backtest", "strategy.strat", "--data", "GOOG=db:1d", "--postgres", d.database!, "--lot-size", "1", "--json", "cli.json"])
    #expect(cli.status == 0, "\(cli.stderr)")
    #expect(result.body == (try Data(contentsOf: d.dir.appendingPathComponent("cli.json"))))
    worker.kill(SIGTERM)
    #expect(try worker.wait(timeout: 60).status == 0)
    #expect(try d.stop().status == 0)
}
