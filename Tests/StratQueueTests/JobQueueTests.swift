import Foundation
import StratTestSupport
import StratPostgres
import Testing
@testable import StratQueue
import GRDB
import PostgresNIO

/// One suite, two drivers: every case runs on SQLite and on PostgreSQL.
@Suite struct JobQueueTests {
    @Test(arguments: Backend.available)
    func enqueueDequeueComplete(_ backend: Backend) async throws {
        try await withQueue(backend) { q, clock in
            let start = clock.now
            let a = try await q.enqueue(kind: "backtest", payload: bytes("A"), contentHash: "hash-a", idempotencyKey: nil, maxAttempts: 3)
            let b = try await q.enqueue(kind: "sweep", payload: bytes("B"), contentHash: "hash-b", idempotencyKey: nil, maxAttempts: 3)
            #expect(a < b)
            var s = try #require(try await q.status(a))
            #expect(s.state == .queued && s.attempts == 0 && s.maxAttempts == 3 && s.createdAt == start && s.startedAt == nil)
            #expect(s.kind == "backtest" && s.contentHash == "hash-a" && s.worker == nil && s.error == nil)

            clock.advance(.seconds(2))
            let job = try #require(try await q.dequeue(worker: "w1", lease: .seconds(30)))
            #expect(job.id == a && job.kind == "backtest" && job.payload == bytes("A") && job.contentHash == "hash-a")
            #expect(job.attempt == 1 && job.maxAttempts == 3 && job.leaseUntil == start.addingTimeInterval(32))
            s = try #require(try await q.status(a))
            #expect(s.state == .running && s.attempts == 1 && s.worker == "w1" && s.startedAt == start.addingTimeInterval(2))
            #expect(s.leaseUntil == start.addingTimeInterval(32))

            clock.advance(.seconds(10))
            try await q.heartbeat(a, token: job.token, progress: 0.25)
            s = try #require(try await q.status(a))
            #expect(s.progress == 0.25 && s.leaseUntil == start.addingTimeInterval(42))
            #expect(try await q.counts() == [.queued: 1, .running: 1, .succeeded: 0, .failed: 0, .cancelled: 0])

            clock.advance(.seconds(1))
            try await q.complete(a, token: job.token, result: bytes("result A"))
            s = try #require(try await q.status(a))
            #expect(s.state == .succeeded && s.progress == 1 && s.finishedAt == start.addingTimeInterval(13) && s.leaseUntil == nil)
            #expect(try await q.result(a) == bytes("result A"))
            #expect(try await q.result(b) == nil)
            // Completing twice is refused: the lease ended with the first.
            #expect(await thrown { try await q.complete(a, token: job.token, result: bytes("again")) } == .leaseLost(a))

            let next = try #require(try await q.dequeue(worker: "w1", lease: .seconds(30)))
            #expect(next.id == b && next.payload == bytes("B"))
            #expect(try await q.dequeue(worker: "w2", lease: .seconds(30)) == nil)
            #expect(try await q.status(JobID(999_999)) == nil)
        }
    }

    @Test(arguments: Backend.available)
    func idempotencyKeyReturnsTheFirstJob(_ backend: Backend) async throws {
        try await withQueue(backend) { q, _ in
            let first = try await q.enqueue(kind: "backtest", payload: bytes("1"), contentHash: "h1", idempotencyKey: "req-1", maxAttempts: 3)
            let again = try await q.enqueue(kind: "backtest", payload: bytes("changed"), contentHash: "h2", idempotencyKey: "req-1", maxAttempts: 5)
            let other = try await q.enqueue(kind: "backtest", payload: bytes("1"), contentHash: "h1", idempotencyKey: "req-2", maxAttempts: 3)
            let keyless1 = try await q.enqueue(kind: "backtest", payload: bytes("1"), contentHash: "h1", idempotencyKey: nil, maxAttempts: 3)
            let keyless2 = try await q.enqueue(kind: "backtest", payload: bytes("1"), contentHash: "h1", idempotencyKey: nil, maxAttempts: 3)
            #expect(again == first)
            #expect(Set([first, other, keyless1, keyless2]).count == 4)
            let s = try #require(try await q.status(first))
            #expect(s.contentHash == "h1" && s.maxAttempts == 3)   // the first submission's, untouched
            #expect(try await q.counts()[.queued] == 4)
        }
    }

    @Test(arguments: Backend.available)
    func expiredLeaseIsRescuedAndTheOldHolderCannotWrite(_ backend: Backend) async throws {
        try await withQueue(backend) { q, clock in
            let id = try await q.enqueue(kind: "backtest", payload: bytes("P"), contentHash: "hp", idempotencyKey: nil, maxAttempts: 3)
            let old = try #require(try await q.dequeue(worker: "w1", lease: .seconds(10)))
            clock.advance(.seconds(10))
            #expect(try await q.rescueExpired() == 0)          // expires after its last millisecond, not at it
            // Expired but not yet rescued: the holder may still renew it.
            clock.advance(.milliseconds(1))
            try await q.heartbeat(id, token: old.token, progress: 0.5)
            clock.advance(.seconds(11))

            let new = try #require(try await q.dequeue(worker: "w2", lease: .seconds(10)))
            #expect(new.id == id && new.attempt == 2 && new.token != old.token)
            var s = try #require(try await q.status(id))
            #expect(s.state == .running && s.worker == "w2" && s.attempts == 2)
            #expect(s.error == "lease expired: worker w1 stopped renewing it during attempt 1")

            #expect(await thrown { try await q.heartbeat(id, token: old.token) } == .leaseLost(id))
            #expect(await thrown { try await q.complete(id, token: old.token, result: bytes("stale")) } == .leaseLost(id))
            #expect(await thrown { _ = try await q.fail(id, token: old.token, error: "x", retryable: false) } == .leaseLost(id))
            try await q.complete(id, token: new.token, result: bytes("fresh"))
            #expect(await thrown { try await q.complete(id, token: old.token, result: bytes("stale")) } == .leaseLost(id))
            s = try #require(try await q.status(id))
            #expect(s.state == .succeeded && s.attempts == 2 && s.worker == "w2")
            #expect(try await q.result(id) == bytes("fresh"))
        }
    }

    @Test(arguments: Backend.available)
    func rescueOnTheLastAttemptFailsTheJob(_ backend: Backend) async throws {
        try await withQueue(backend) { q, clock in
            let id = try await q.enqueue(kind: "backtest", payload: bytes("P"), contentHash: "hp", idempotencyKey: nil, maxAttempts: 1)
            let job = try #require(try await q.dequeue(worker: "w1", lease: .seconds(5)))
            clock.advance(.seconds(6))
            #expect(try await q.rescueExpired() == 1)
            let s = try #require(try await q.status(id))
            #expect(s.state == .failed && s.attempts == 1 && s.finishedAt == clock.now)
            #expect(s.error == "lease expired: worker w1 stopped renewing it during attempt 1")
            #expect(await thrown { try await q.complete(id, token: job.token, result: bytes("late")) } == .leaseLost(id))
            #expect(try await q.dequeue(worker: "w2", lease: .seconds(5)) == nil)
        }
    }

    @Test(arguments: Backend.available)
    func retriesBackOffExponentiallyUpToTheMaximum(_ backend: Backend) async throws {
        try await withQueue(backend, configure: { $0.backoffBase = .seconds(1); $0.backoffCap = .seconds(3) }) { q, clock in
            let id = try await q.enqueue(kind: "backtest", payload: bytes("P"), contentHash: "hp", idempotencyKey: nil, maxAttempts: 4)
            // Waits after attempts 1, 2, 3: 1 s, 2 s, then 4 s capped at 3 s.
            for (attempt, wait) in [(1, 1000), (2, 2000), (3, 3000)] {
                let job = try #require(try await q.dequeue(worker: "w", lease: .seconds(60)))
                #expect(job.attempt == attempt)
                #expect(try await q.fail(id, token: job.token, error: "boom \(attempt)", retryable: true) == .queued)
                let s = try #require(try await q.status(id))
                #expect(s.state == .queued && s.error == "boom \(attempt)" && s.notBefore == clock.now.addingTimeInterval(Double(wait) / 1000))
                clock.advance(.milliseconds(wait - 1))
                #expect(try await q.dequeue(worker: "w", lease: .seconds(60)) == nil)
                clock.advance(.milliseconds(1))
            }
            let last = try #require(try await q.dequeue(worker: "w", lease: .seconds(60)))
            #expect(last.attempt == 4)
            #expect(try await q.fail(id, token: last.token, error: "boom 4", retryable: true) == .failed)
            let s = try #require(try await q.status(id))
            #expect(s.state == .failed && s.attempts == 4 && s.error == "boom 4" && s.finishedAt == clock.now)
            #expect(try await q.dequeue(worker: "w", lease: .seconds(60)) == nil)

            // Not retryable: fails at once, attempts left or not.
            let other = try await q.enqueue(kind: "backtest", payload: bytes("Q"), contentHash: "hq", idempotencyKey: nil, maxAttempts: 4)
            let job = try #require(try await q.dequeue(worker: "w", lease: .seconds(60)))
            #expect(try await q.fail(other, token: job.token, error: "bad strategy", retryable: false) == .failed)
            let t = try #require(try await q.status(other))
            #expect(t.state == .failed && t.attempts == 1 && t.error == "bad strategy")
        }
    }

    @Test(arguments: Backend.available)
    func releaseGivesTheJobBackWithoutCountingTheAttempt(_ backend: Backend) async throws {
        try await withQueue(backend, configure: { $0.backoffBase = .seconds(5) }) { q, clock in
            let id = try await q.enqueue(kind: "backtest", payload: bytes("P"), contentHash: "hp", idempotencyKey: nil, maxAttempts: 2)
            let first = try #require(try await q.dequeue(worker: "w1", lease: .seconds(30)))
            #expect(try await q.fail(id, token: first.token, error: "flaky", retryable: true) == .queued)
            clock.advance(.seconds(5))
            let second = try #require(try await q.dequeue(worker: "w1", lease: .seconds(30)))
            #expect(second.attempt == 2)
            try await q.heartbeat(id, token: second.token, progress: 0.5)
            try await q.release(id, token: second.token)
            var s = try #require(try await q.status(id))
            #expect(s.state == .queued && s.attempts == 1 && s.notBefore == clock.now && s.progress == nil && s.error == "flaky")
            #expect(await thrown { try await q.release(id, token: second.token) } == .leaseLost(id))
            #expect(await thrown { try await q.complete(id, token: second.token, result: bytes("late")) } == .leaseLost(id))
            // Its last attempt is still to come.
            let third = try #require(try await q.dequeue(worker: "w2", lease: .seconds(30)))
            #expect(third.attempt == 2)
            try await q.complete(id, token: third.token, result: bytes("r"))
            s = try #require(try await q.status(id))
            #expect(s.state == .succeeded && s.attempts == 2 && s.worker == "w2")
        }
    }

    @Test(arguments: Backend.available)
    func emptyPayloadsAndResultsAreKept(_ backend: Backend) async throws {
        try await withQueue(backend) { q, _ in
            let id = try await q.enqueue(kind: "noop", payload: Data(), contentHash: "empty", idempotencyKey: nil, maxAttempts: 1)
            let job = try #require(try await q.dequeue(worker: "w", lease: .seconds(30)))
            #expect(job.id == id && job.payload == Data())
            try await q.complete(id, token: job.token, result: Data())
            #expect(try await q.result(id) == Data())
        }
    }

    @Test(arguments: Backend.available)
    func cancel(_ backend: Backend) async throws {
        try await withQueue(backend) { q, _ in
            let queued = try await q.enqueue(kind: "backtest", payload: bytes("1"), contentHash: "h1", idempotencyKey: nil, maxAttempts: 3)
            #expect(try await q.cancel(queued))
            #expect(try await q.status(queued)?.state == .cancelled)
            #expect(try await q.dequeue(worker: "w", lease: .seconds(30)) == nil)

            let running = try await q.enqueue(kind: "backtest", payload: bytes("2"), contentHash: "h2", idempotencyKey: nil, maxAttempts: 3)
            let job = try #require(try await q.dequeue(worker: "w", lease: .seconds(30)))
            #expect(try await q.cancel(running))
            #expect(await thrown { try await q.heartbeat(running, token: job.token) } == .jobCancelled(running))
            #expect(await thrown { try await q.complete(running, token: job.token, result: bytes("r")) } == .jobCancelled(running))
            #expect(await thrown { _ = try await q.fail(running, token: job.token, error: "e", retryable: true) } == .jobCancelled(running))
            #expect(try await q.result(running) == nil)
            #expect(try await q.status(running)?.state == .cancelled)

            let done = try await q.enqueue(kind: "backtest", payload: bytes("3"), contentHash: "h3", idempotencyKey: nil, maxAttempts: 3)
            let d = try #require(try await q.dequeue(worker: "w", lease: .seconds(30)))
            try await q.complete(done, token: d.token, result: bytes("r3"))
            #expect(try await q.cancel(done) == false)
            #expect(try await q.status(done)?.state == .succeeded)
            #expect(await thrown { _ = try await q.cancel(JobID(424_242)) } == .noSuchJob(JobID(424_242)))
            #expect(try await q.counts() == [.queued: 0, .running: 0, .succeeded: 1, .failed: 0, .cancelled: 2])
        }
    }

    @Test(arguments: Backend.available)
    func resultsAreKeptOncePerContentHash(_ backend: Backend) async throws {
        try await withQueue(backend) { q, _ in
            let a = try await q.enqueue(kind: "backtest", payload: bytes("x"), contentHash: "same", idempotencyKey: nil, maxAttempts: 3)
            let b = try await q.enqueue(kind: "backtest", payload: bytes("x"), contentHash: "same", idempotencyKey: nil, maxAttempts: 3)
            let ja = try #require(try await q.dequeue(worker: "w1", lease: .seconds(30)))
            let jb = try #require(try await q.dequeue(worker: "w2", lease: .seconds(30)))
            #expect(ja.id == a && jb.id == b)
            try await q.complete(b, token: jb.token, result: bytes("first written"))
            try await q.complete(a, token: ja.token, result: bytes("second, dropped"))
            #expect(try await q.result(a) == bytes("first written"))
            #expect(try await q.result(b) == bytes("first written"))
            #expect(try await q.status(a)?.state == .succeeded)
            #expect(try await resultRows(q) == 1)
        }
    }

    @Test(arguments: Backend.available)
    func concurrentDequeuersNeverShareAJob(_ backend: Backend) async throws {
        let clock = TestClock()
        var options = QueueOptions()
        options.clock = { clock.now }
        try await withQueuePlace(backend, options: options) { place in
            let setup = try await place.open()
            var ids = Set<JobID>()
            for i in 0..<200 {
                ids.insert(try await setup.enqueue(kind: "backtest", payload: bytes("job \(i)"), contentHash: "h\(i)",
                                                   idempotencyKey: nil, maxAttempts: 3))
            }
            // Four consumers, each with its own handle (connection pool or SQLite pool).
            let taken = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for w in 0..<4 {
                    group.addTask {
                        let q = try await place.open()
                        defer { (q as? PostgresJobQueue)?.shutdown() }
                        var mine: [JobID] = []
                        while let job = try await q.dequeue(worker: "w\(w)", lease: .seconds(60)) {
                            try await q.complete(job.id, token: job.token, result: bytes("done \(job.id)"))
                            mine.append(job.id)
                        }
                        return mine
                    }
                }
                var all: [[JobID]] = []
                for try await mine in group { all.append(mine) }
                return all
            }
            let flat = taken.flatMap { $0 }
            #expect(flat.count == 200)
            #expect(Set(flat) == ids)
            #expect(try await setup.counts() == [.queued: 0, .running: 0, .succeeded: 200, .failed: 0, .cancelled: 0])
            for id in ids.sorted().prefix(20) {
                #expect(try await setup.status(id)?.attempts == 1)
                #expect(try await setup.result(id) == bytes("done \(id)"))
            }
            (setup as? PostgresJobQueue)?.shutdown()
        }
    }

    @Test(arguments: Backend.available)
    func waitForWorkReturnsWhenAJobArrives(_ backend: Backend) async throws {
        try await withQueue(backend) { idle, _ in
            // Nothing queued: it waits out its timeout and says so.
            let woken = try await idle.waitForWork(timeout: .milliseconds(300))
            #expect(woken == false)
        }
        try await withQueuePlace(backend) { place in
            let waiter = try await place.open(), producer = try await place.open()
            defer { (waiter as? PostgresJobQueue)?.shutdown(); (producer as? PostgresJobQueue)?.shutdown() }
            // Woken by the enqueue (PostgreSQL: its NOTIFY; SQLite: the next poll), long
            // before the timeout, which would answer false.
            async let woken = waiter.waitForWork(timeout: .seconds(600))
            try await Task.sleep(for: .milliseconds(300))
            _ = try await producer.enqueue(kind: "backtest", payload: bytes("p"), contentHash: "h", idempotencyKey: nil, maxAttempts: 3)
            #expect(try await woken)
            // Work already waiting: true at once.
            #expect(try await waiter.waitForWork(timeout: .seconds(600)))
        }
    }

    @Test(arguments: Backend.available)
    func badArgumentsAreRefusedWithWhatWasExpected(_ backend: Backend) async throws {
        try await withQueue(backend) { q, _ in
            #expect(await thrown { _ = try await q.enqueue(kind: "", payload: Data(), contentHash: "h", idempotencyKey: nil, maxAttempts: 3) }
                    == .invalid("enqueue: kind is empty; expected a job kind such as \"backtest\""))
            #expect(await thrown { _ = try await q.enqueue(kind: "k", payload: Data(), contentHash: "h", idempotencyKey: nil, maxAttempts: 0) }
                    == .invalid("enqueue: maxAttempts is 0; expected 1 to 1000"))
            #expect(await thrown { _ = try await q.enqueue(kind: "k", payload: Data(), contentHash: "h", idempotencyKey: "", maxAttempts: 1) }
                    == .invalid("enqueue: idempotencyKey is empty; pass nil for none"))
            #expect(await thrown { _ = try await q.dequeue(worker: "w", lease: .zero) }
                    == .invalid("dequeue: lease is 0.0 seconds; expected at least 1 ms"))
            #expect(await thrown { try await q.heartbeat(JobID(7), token: LeaseToken(rawValue: "t"), progress: 1.5) }
                    == .invalid("heartbeat: progress is 1.5; expected 0 to 1"))
            #expect(await thrown { try await q.heartbeat(JobID(7), token: LeaseToken(rawValue: "t")) } == .noSuchJob(JobID(7)))
            #expect(await thrown { try await q.complete(JobID(7), token: LeaseToken(rawValue: "t"), result: Data()) } == .noSuchJob(JobID(7)))
            let total = try await q.counts().values.reduce(0, +)
            #expect(total == 0)
        }
    }
}

/// Rows in the results table, read past the protocol.
func resultRows(_ q: any JobQueue) async throws -> Int {
    if let q = q as? SQLiteJobQueue { return try await q.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM job_results")! } }
    if let q = q as? PostgresJobQueue {
        return try await q.rows("SELECT count(*) FROM \(unescaped: q.results)").first!.decode(Int.self)
    }
    return -1
}

/// What opening a queue says when it cannot: one line naming the place and the reason.
@Suite struct QueueOpeningTests {
    @Test func unreachablePostgresIsReportedAtOnce() async throws {
        let error = await thrown { _ = try await PostgresJobQueue.connect(url: "postgres://strat@127.0.0.1:9/strat?sslmode=disable") }
        guard case .storage(let message)? = error else { Issue.record("expected a storage error, got \(String(describing: error))"); return }
        // Not the pool's "circuit breaker tripped" (after a minute of retries): the socket's own reason.
        #expect(message == "PostgreSQL 127.0.0.1:9/strat: cannot connect (Connection refused)")
    }

    @Test func badPostgresURLsAndSchemas() async throws {
        #expect(await thrown { _ = try await PostgresJobQueue.connect(url: "mysql://db/strat") }
                == .invalid("--postgres mysql://db/strat: expected postgres://user[:password]@host[:port]/database"))
        #expect(await thrown { _ = try await PostgresJobQueue.connect(url: "postgres://db/strat?sslmode=sometimes") }
                == .invalid("--postgres: sslmode=sometimes: expected disable, prefer or require"))
        #expect(await thrown { _ = try await PostgresJobQueue.connect(url: "postgres:///strat") }
                == .invalid("--postgres postgres:///strat: no host; expected postgres://user@host[:port]/database or ?host=/socket/dir"))
        #expect(await thrown { _ = try await PostgresJobQueue.connect(url: "postgres://db/strat", schema: "Jobs; DROP") }
                == .invalid("schema \"Jobs; DROP\": expected lower-case letters, digits and _ (at most 41), not starting with a digit"))
        let socket = try PostgresURL("postgres://u:secret@/strat?host=/tmp/pgsock&port=54329")
        #expect(socket.socket == "/tmp/pgsock/.s.PGSQL.54329" && socket.user == "u" && socket.password == "secret" && socket.database == "strat")
        #expect(socket.place == "/tmp/pgsock/.s.PGSQL.54329/strat")
    }

    @Test(.enabled(if: Backend.postgresURL != nil))
    func aMissingDatabaseIsNamed() async throws {
        let url = try #require(Backend.postgresURL)
        var parts = try #require(URLComponents(string: url))
        parts.path = "/no_such_database"
        let place = "\(parts.host ?? ""):\(parts.port ?? 5432)/no_such_database"
        #expect(await thrown { _ = try await PostgresJobQueue.connect(url: parts.string!) }
                == .storage("PostgreSQL \(place): database \"no_such_database\" does not exist"))
    }

    @Test func sqliteFilesThatAreNotQueues() async throws {
        let dir = scratchDirectory.appendingPathComponent("strat-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(await thrown { _ = try SQLiteJobQueue(path: dir.path) }
                == .storage("\(dir.path): is a directory; expected a queue file (e.g. \(dir.path)/jobs.db)"))
        let text = dir.appendingPathComponent("notes.txt")
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: text)
        #expect(await thrown { _ = try SQLiteJobQueue(path: text.path) }
                == .storage("\(text.path): not a job queue, or a damaged one (file is not a database)"))
        #expect(try String(contentsOf: text, encoding: .utf8).hasPrefix("not a database"))   // left as it was
    }
}
