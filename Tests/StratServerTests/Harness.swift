import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOHTTP1
import StratTestSupport
import Testing

/// The repository (for Strategies/ and Data/).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct Reply {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    /// A problem document's stable type.
    var problem: String? { headers["Content-Type"].first == "application/problem+json" ? json["type"] as? String : nil }
}

/// A temporary directory with a queue (SQLite file or PostgreSQL schema) and
/// a data store, `strat` run against them, and `strat serve` on a free port.
final class Deployment: @unchecked Sendable {
    let dir: URL
    let backend: Backend
    let schema = "srv_" + UUID().uuidString.prefix(8).lowercased()
    var server: Child?
    var port = 0
    /// Its own client on its own event loop: other suites' work on NIO's shared
    /// loops (PostgreSQL, fetches) in this process cannot hold its requests up.
    let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    lazy var client = HTTPClient(eventLoopGroup: loop, configuration: .init(timeout: .init(connect: .seconds(30), read: .seconds(300))))

    init(_ backend: Backend) throws {
        self.backend = backend
        dir = scratchDirectory.appendingPathComponent("strat-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if backend == .postgres, Backend.postgresURL == nil {
            throw HarnessError("STRAT_TEST_POSTGRES_URL is not set; CI must run the server tests on PostgreSQL (.ci/run starts one)")
        }
    }

    deinit {
        try? client.syncShutdown()
        try? loop.syncShutdownGracefully()
        server?.kill(SIGKILL)
        _ = try? server?.wait(timeout: 10)
        try? FileManager.default.removeItem(at: dir)
    }

    /// A database of its own (made by `onOwnDatabase`): the queue and the stored series both there.
    var database: String?

    /// The options naming this deployment's queue and store.
    var place: [String] {
        if let database { return ["--postgres", database, "--postgres-schema", schema] }
        let store = ["--db", dir.appendingPathComponent("strat.db").path]
        switch backend {
        case .sqlite: return ["--queue", dir.appendingPathComponent("jobs.db").path] + store
        case .postgres: return ["--postgres", Backend.postgresURL!, "--postgres-schema", schema] + store
        }
    }

    /// Moves the deployment into a new PostgreSQL database (made with psql, dropped by `dropDatabase`).
    func onOwnDatabase() throws {
        let server = Backend.postgresURL!, name = "strat_srv_" + UUID().uuidString.prefix(8).lowercased()
        let made = try runProgram("/usr/bin/env", ["psql", server, "-qc", "CREATE DATABASE \(name)"])
        guard made.status == 0 else { throw HarnessError("psql: \(made.stderr)") }
        var url = URLComponents(string: server)!
        url.path = "/" + name
        database = url.string!
    }

    func dropDatabase() {
        guard let database, let name = URLComponents(string: database)?.path.dropFirst() else { return }
        _ = try? runProgram("/usr/bin/env", ["psql", Backend.postgresURL!, "-qc", "DROP DATABASE \(name) WITH (FORCE)"])
    }

    func strat(_ args: [String]) throws -> Run { try runProgram(stratBinary.path, args, in: dir.path, timeout: 600) }

    /// A new token's secret.
    func token(_ name: String, _ limits: [String] = []) throws -> String {
        let r = try strat(["token", "create", "--name", name] + limits + place)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func start(workers: Int, _ extra: [String] = []) throws {
        server = try Child(stratBinary.path, ["serve", "--port", "0", "--workers", String(workers)] + place + extra, in: dir.path)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let line = server!.outputSoFar.split(separator: "\n").first(where: { $0.contains("listening on http://127.0.0.1:") }),
               let p = Int(line.split(separator: ":").last ?? "") {
                port = p
                return
            }
            usleep(50_000)
        }
        throw HarnessError("strat serve did not say where it listens within 120 s")
    }

    /// SIGTERM, then the server's exit status and log.
    func stop() throws -> Run {
        server!.kill(SIGTERM)
        let r = try server!.wait(timeout: 60)
        server = nil
        return r
    }

    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, body: Data? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(300))
        let bytes = try await response.body.collect(upTo: 1 << 30)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: bytes))
    }

    func post(_ path: String, token: String?, json: Any, headers: [(String, String)] = []) async throws -> Reply {
        try await request(.POST, path, token: token, body: try JSONSerialization.data(withJSONObject: json), headers: headers)
    }

    /// Polls a job or batch until it reaches a final state.
    func waitFinal(_ path: String, token: String, timeout: Double = 300) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let r = try await request(.GET, path, token: token)
            let state = r.json["state"] as? String ?? ""
            if ["succeeded", "failed", "cancelled"].contains(state) { return r.json }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("\(path) did not finish within \(timeout) s")
    }
}

let smaCross = try! String(contentsOf: repoRoot.appendingPathComponent("Strategies/sma_cross.strat"), encoding: .utf8)
let googCSV = try! String(contentsOf: repoRoot.appendingPathComponent("Data/GOOG.csv"), encoding: .utf8)

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
