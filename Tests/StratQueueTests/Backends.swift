import Foundation
import StratTestSupport
import Testing
@testable import StratQueue
import PostgresNIO

/// A clock that moves only when told, so leases and backoffs expire exactly when a test says.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = Date(timeIntervalSince1970: 1_798_761_600)   // 2027-01-01T00:00:00Z

    var now: Date { lock.withLock { time } }
    func advance(_ d: Duration) { lock.withLock { time += Double(d.millis) / 1000 } }
}

/// A fresh, empty queue on `backend` (its own file or its own schema),
/// removed when `body` returns. `open` makes further handles on the same
/// queue, as other processes would have.
struct QueuePlace: Sendable {
    let backend: Backend
    let path: String      // SQLite file, or PostgreSQL schema
    let options: QueueOptions

    func open() async throws -> any JobQueue {
        switch backend {
        case .sqlite: return try SQLiteJobQueue(path: path, options: options)
        case .postgres:
            guard let url = Backend.postgresURL else {
                throw QueueError.invalid("STRAT_TEST_POSTGRES_URL is not set; CI must run the queue tests on PostgreSQL (.ci/run starts one)")
            }
            return try await PostgresJobQueue.connect(url: url, schema: path, options: options, maximumConnections: 8)
        }
    }

    /// The arguments a worker process needs to reach this queue.
    var workerArguments: [String] {
        switch backend {
        case .sqlite: ["--sqlite", path]
        case .postgres: ["--postgres", Backend.postgresURL ?? "", "--schema", path]
        }
    }
}

func withQueuePlace(_ backend: Backend, options: QueueOptions = QueueOptions(),
                    _ body: (QueuePlace) async throws -> Void) async throws {
    let name = "q_" + UUID().uuidString.prefix(8).lowercased()
    switch backend {
    case .sqlite:
        let dir = scratchDirectory.appendingPathComponent("strat-queue-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try await body(QueuePlace(backend: backend, path: dir.appendingPathComponent("jobs.db").path, options: options))
    case .postgres:
        let place = QueuePlace(backend: backend, path: name, options: options)
        do {
            try await body(place)
        } catch {
            try? await dropSchema(name)
            throw error
        }
        try await dropSchema(name)
    }
}

/// One queue handle on a fresh place, with a hand-moved clock.
func withQueue(_ backend: Backend, configure: (inout QueueOptions) -> Void = { _ in },
               _ body: (any JobQueue, TestClock) async throws -> Void) async throws {
    let clock = TestClock()
    var options = QueueOptions()
    options.clock = { clock.now }
    configure(&options)
    try await withQueuePlace(backend, options: options) { place in
        let queue = try await place.open()
        defer { (queue as? PostgresJobQueue)?.shutdown() }
        try await body(queue, clock)
    }
}

func dropSchema(_ schema: String) async throws {
    guard let url = Backend.postgresURL else { return }
    let queue = try await PostgresJobQueue.connect(url: url, schema: schema)
    defer { queue.shutdown() }
    try await queue.rows("DROP SCHEMA \(unescaped: schema) CASCADE")
}

func bytes(_ s: String) -> Data { Data(s.utf8) }

/// The error an async call threw, for exact comparison.
func thrown(_ body: () async throws -> Void) async -> QueueError? {
    do { try await body(); return nil } catch let e as QueueError { return e } catch { return .storage("\(error)") }
}
