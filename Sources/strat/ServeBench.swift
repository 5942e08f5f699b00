import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import StratMarket
import StratRun
import StratServer

/// `strat bench serve`: submissions per second into the queue (SQLite, or
/// PostgreSQL with --postgres), then the latency of `GET /v1/backtests/{id}`
/// at a fixed request rate (open loop: requests start on schedule whether or
/// not the earlier ones have answered, so a slow server shows in the tail).
/// The server runs in this process with no workers, on 127.0.0.1.
struct ServeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Submissions per second and status latency of the HTTP API.")

    @Option(help: "PostgreSQL instead of a SQLite queue in a temporary directory.") var postgres: String?
    @Option(parsing: .unconditional, help: "Backtests to submit.") var submissions = 2000
    @Option(parsing: .unconditional, help: "Submissions in flight at once.") var concurrency = 16
    @Option(parsing: .unconditional, help: "Status requests per second.") var rate = 500
    @Option(parsing: .unconditional, help: "Seconds of status requests.") var seconds = 10
    @Option(parsing: .unconditional, help: "Bars of the CSV each submission carries.") var bars = 250

    func validate() throws {
        try validating { () throws(RunError) in
        try checkOption("--submissions", submissions, from: 1, to: 1_000_000, unit: "a count")
        try checkOption("--concurrency", concurrency, from: 1, to: 1024, unit: "a count")
        try checkOption("--rate", rate, from: 1, to: 100_000, unit: "requests per second")
        try checkOption("--seconds", seconds, from: 1, to: 3600, unit: "seconds")
        try checkOption("--bars", bars, from: 2, to: 1_000_000, unit: "a count")
        }
    }

    func run() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strat-bench-serve-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let place: QueuePlace = postgres.map { .postgres(url: $0, schema: "bench_\(getpid())") } ?? .sqlite(path: dir + "/jobs.db")
        let csv = "time,open,high,low,close,volume\n" + Bench.minuteWalk(bars).bars.map {
            "\(UTCTime.format($0.time)),\($0.open),\($0.high),\($0.low),\($0.close),\($0.volume)"
        }.joined(separator: "\n") + "\n"
        let body = try JSONSerialization.data(withJSONObject: ["strategy": Bench.smaCross1m, "data": [["symbol": "BENCH", "csv": csv]]])
        let (n, c, r, t) = (submissions, concurrency, rate, seconds)
        let quiet = { var l = Logger(label: "strat.bench"); l.logLevel = .critical; return l }()
        let outcome = runBlocking {
            let secret = Tokens.make()
            var limits = TokenLimits()
            (limits.requestsPerMinute, limits.concurrentJobs) = (Int(Int32.max), Int(Int32.max))
            _ = try await place.open().store.createToken(name: "bench", hash: Tokens.hash(secret), limits: limits)
            var server = Server(place: place, jobs: Jobs(store: .sqlite(path: dir + "/strat.db"), strategies: nil), logger: quiet)
            (server.port, server.workers) = (0, 0)
            let port = AsyncStream<Int>.makeStream()
            let serving = Task { [server] in try await server.run { port.continuation.yield($0) } }
            var it = port.stream.makeAsyncIterator()
            guard let p = await it.next() else { throw ServerError("the server did not start") }
            defer { serving.cancel() }
            return try await Self.measure(port: p, token: secret, body: body, submissions: n, concurrency: c, rate: r, seconds: t)
        }
        switch outcome {
        case .success(let text): print(text, terminator: "")
        case .failure(let e): writeStderr("strat: error: \(e)\n"); throw ExitCode(2)
        }
    }

    static func measure(port: Int, token: String, body: Data, submissions n: Int, concurrency c: Int, rate: Int, seconds: Int) async throws -> String {
        let base = "http://127.0.0.1:\(port)"
        func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (Int, ByteBuffer) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if let body { request.body = .bytes(ByteBuffer(bytes: body)); request.headers.add(name: "Content-Type", value: "application/json") }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            return (Int(response.status.code), try await response.body.collect(upTo: 1 << 24))
        }
        // Submissions, `c` at a time.
        let start = ContinuousClock.now
        var ids: [String] = []
        try await withThrowingTaskGroup(of: String.self) { group in
            var next = 0
            func add() { if next < n { next += 1; group.addTask {
                let (status, reply) = try await send(.POST, "/v1/backtests", body: body)
                guard status == 202 else { throw ServerError("a submission answered \(status): \(String(buffer: reply))") }
                return String(String(buffer: reply).split(separator: "\"")[3])
            } } }
            for _ in 0..<c { add() }
            for try await id in group { ids.append(id); add() }
        }
        let submitSeconds = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
        // Status requests at `rate` per second, on schedule.
        var latencies: [Double] = []
        let total = rate * seconds, interval = Duration.seconds(1) / rate
        let t0 = ContinuousClock.now
        try await withThrowingTaskGroup(of: Double.self) { group in
            for i in 0..<total {
                try await Task.sleep(until: t0 + interval * i, clock: .continuous)
                let id = ids[i % ids.count]
                group.addTask {
                    let s = ContinuousClock.now
                    let (status, _) = try await send(.GET, "/v1/backtests/\(id)")
                    guard status == 200 else { throw ServerError("a status request answered \(status)") }
                    return Double((ContinuousClock.now - s) / .microseconds(1)) / 1000
                }
            }
            for try await ms in group { latencies.append(ms) }
        }
        let achieved = Double(total) / (Double((ContinuousClock.now - t0) / .milliseconds(1)) / 1000)
        latencies.sort()
        func pct(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return String(format: "submissions: %d in %.2f s = %.0f/s (%d in flight)\nGET /v1/backtests/{id}: %d at %d/s (achieved %.0f/s): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                      n, submitSeconds, Double(n) / submitSeconds, c, total, rate, achieved, pct(0.5), pct(0.99), latencies.last ?? 0)
    }
}
