import Foundation
import Testing
import StratTestSupport
@testable import StratQueue
#if canImport(Glibc)
import Glibc
#endif

/// The worker process of these tests (Tests/StratQueueWorker), beside the test bundle.
let workerBinary: String = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("StratQueueWorker")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside.path }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug/StratQueueWorker").path
}()

/// Waits for a child on a thread of its own: `Child.wait` blocks, and the
/// few threads that run every async test must not wait on it.
func finished(_ child: Child, timeout: Double) async throws -> Run {
    struct Box: @unchecked Sendable { let child: Child }
    let box = Box(child: child)
    return try await withCheckedThrowingContinuation { done in
        Thread.detachNewThread { done.resume(with: Result { try box.child.wait(timeout: timeout) }) }
    }
}

/// Real worker processes on one queue, on each backend. Serialized: each
/// case already keeps both cores busy.
@Suite(.serialized) struct WorkerProcessTests {
    @Test(arguments: Backend.available)
    func fourWorkerProcessesRunEveryJobExactlyOnce(_ backend: Backend) async throws {
        try await withQueuePlace(backend) { place in
            let q = try await place.open()
            defer { (q as? PostgresJobQueue)?.shutdown() }
            var payloads: [JobID: String] = [:]
            for i in 0..<200 {
                let id = try await q.enqueue(kind: "backtest", payload: bytes("job \(i)"), contentHash: "h\(i)", idempotencyKey: nil, maxAttempts: 3)
                payloads[id] = "job \(i)"
            }
            let workers = try (0..<4).map { try Child(workerBinary, place.workerArguments + ["--name", "p\($0)"]) }
            var completed: [JobID] = []
            for (i, worker) in workers.enumerated() {
                let run = try await finished(worker, timeout: 300)
                #expect(run.status == 0, "worker p\(i): \(run.stderr)")
                let lines = run.stdout.split(separator: "\n")
                #expect(!lines.contains { $0.hasPrefix("lost") }, "worker p\(i) lost a lease: \(run.stdout)")
                completed += lines.compactMap { $0.hasPrefix("completed ") ? Int64($0.dropFirst(10)).map { JobID($0) } : nil }
            }
            #expect(completed.count == 200)
            #expect(Set(completed) == Set(payloads.keys))
            #expect(try await q.counts() == [.queued: 0, .running: 0, .succeeded: 200, .failed: 0, .cancelled: 0])
            for (id, payload) in payloads {
                let s = try #require(try await q.status(id))
                #expect(s.attempts == 1, "job \(id)")
                #expect(try await q.result(id) == bytes("done:" + payload))
            }
        }
    }

    @Test(arguments: Backend.available)
    func aKilledWorkersJobIsRescuedAndFinishesElsewhereWithTheSameResult(_ backend: Backend) async throws {
        // The victim never finishes it; any other worker does at once.
        let payload = "hang-on=victim;the killed job"
        // The undisturbed run, on a queue of its own.
        var undisturbed = Data()
        try await withQueuePlace(backend) { place in
            let q = try await place.open()
            defer { (q as? PostgresJobQueue)?.shutdown() }
            let id = try await q.enqueue(kind: "backtest", payload: bytes(payload), contentHash: "hk", idempotencyKey: nil, maxAttempts: 3)
            let run = try await finished(Child(workerBinary, place.workerArguments + ["--name", "calm", "--lease-ms", "1000"]), timeout: 120)
            #expect(run.status == 0, "\(run.stderr)")
            undisturbed = try #require(try await q.result(id))
        }
        #expect(undisturbed == bytes("done:" + payload))

        try await withQueuePlace(backend) { place in
            let q = try await place.open()
            defer { (q as? PostgresJobQueue)?.shutdown() }
            let id = try await q.enqueue(kind: "backtest", payload: bytes(payload), contentHash: "hk", idempotencyKey: nil, maxAttempts: 3)
            let victim = try Child(workerBinary, place.workerArguments + ["--name", "victim", "--lease-ms", "1000"])
            // Mid-job: it has renewed its lease at least once.
            var status = try await q.status(id)
            let deadline = ContinuousClock.now + .seconds(300)
            while !(status?.worker == "victim" && (status?.progress ?? 0) > 0), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                status = try await q.status(id)
            }
            #expect(status?.state == .running && status?.worker == "victim")
            victim.kill(SIGKILL)
            let killed = try await finished(victim, timeout: 30)
            #expect(killed.status == 128 + SIGKILL)
            #expect(!killed.stdout.contains("completed"))

            let rescuer = try await finished(Child(workerBinary, place.workerArguments + ["--name", "rescuer", "--lease-ms", "1000"]), timeout: 120)
            #expect(rescuer.status == 0, "\(rescuer.stderr)")
            #expect(rescuer.stdout == "completed \(id)\n")
            let s = try #require(try await q.status(id))
            #expect(s.state == .succeeded && s.attempts == 2 && s.worker == "rescuer")
            #expect(s.error == "lease expired: worker victim stopped renewing it during attempt 1")
            #expect(try await q.result(id) == undisturbed)
        }
    }
}

@Test(.enabled(if: Backend.postgresURL != nil || Backend.inCI, "STRAT_TEST_POSTGRES_URL is unset: the PostgreSQL queue cases are left out"))
func postgresIsThereForTheQueueTests() async throws {
    try await withQueue(.postgres) { q, _ in
        let total = try await q.counts().values.reduce(0, +)
            #expect(total == 0)
    }
}
