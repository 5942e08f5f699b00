import Foundation
import StratTestSupport
import Testing
@testable import StratQueue

/// Seeded random runs of every operation, stale leases included, with the
/// queue's invariants checked after each step; where both backends are
/// there, their traces must be the same line for line.
@Suite struct RandomRunTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomRunsKeepTheInvariantsAndAgreeAcrossBackends(seed: UInt64) async throws {
        var traces: [Backend: [String]] = [:]
        for backend in Backend.available {
            traces[backend] = try await randomRun(backend, seed: seed, steps: 200)
        }
        if let sqlite = traces[.sqlite], let postgres = traces[.postgres] {
            let first = zip(sqlite, postgres).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(first == nil && sqlite.count == postgres.count,
                    "seed \(seed): step \(first ?? -1): sqlite \(first.map { sqlite[$0] } ?? "") ≠ postgres \(first.map { postgres[$0] } ?? "")")
        }
    }
}

/// SplitMix64: small, seeded, the same on every platform.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One run: what each step did and the state of every job after it. Job ids
/// appear as their order of creation (PostgreSQL's identity may skip numbers).
func randomRun(_ backend: Backend, seed: UInt64, steps: Int) async throws -> [String] {
    var trace: [String] = []
    try await withQueue(backend, configure: { $0.backoffBase = .seconds(2); $0.backoffCap = .seconds(10) }) { q, clock in
        var rng = SeededRandom(state: seed)
        var ids: [JobID] = []                       // in order of creation
        var leases: [LeasedJob] = []                // every lease ever handed out, stale ones too
        var firstResult: [String: Data] = [:]       // content hash → the result that must stand
        func name(_ id: JobID) -> String { ids.firstIndex(of: id).map { "#\($0)" } ?? "#?" }
        func outcome(_ body: () async throws -> String) async -> String {
            do { return try await body() } catch let e as QueueError {
                switch e {
                case .leaseLost(let id): return "leaseLost \(name(id))"
                case .jobCancelled(let id): return "jobCancelled \(name(id))"
                case .noSuchJob(let id): return "noSuchJob \(name(id))"
                default: return "\(e)"
                }
            } catch { return "\(error)" }
        }
        func snapshot() async throws -> [String] {
            var lines: [String] = []
            for id in ids {
                let s = try #require(try await q.status(id))
                let result = try await q.result(id)
                // Invariants of every job at every step.
                #expect((s.state == .running) == (s.leaseUntil != nil), "seed \(seed) \(name(id)): \(s)")
                #expect(s.state.isFinal == (s.finishedAt != nil), "seed \(seed) \(name(id)): \(s)")
                #expect(s.attempts <= s.maxAttempts && (s.attempts > 0 || s.state == .queued || s.state == .cancelled), "seed \(seed) \(name(id)): \(s)")
                #expect((s.state == .succeeded) == (result != nil), "seed \(seed) \(name(id)): \(s)")
                if s.state == .failed { #expect(s.error != nil, "seed \(seed) \(name(id)): \(s)") }
                if let result { #expect(result == firstResult[s.contentHash], "seed \(seed) \(name(id)): result of \(s.contentHash)") }
                lines.append("\(name(id)) \(s.state) a\(s.attempts)/\(s.maxAttempts) nb\(s.notBefore.millis) p\(s.progress.map { "\($0)" } ?? "-") "
                             + "w\(s.worker ?? "-") lu\(s.leaseUntil?.millis ?? -1) f\(s.finishedAt?.millis ?? -1) e\(s.error ?? "-") r\(result.map { String(decoding: $0, as: UTF8.self) } ?? "-")")
            }
            let counts = try await q.counts()
            #expect(counts.values.reduce(0, +) == ids.count, "seed \(seed): counts \(counts) for \(ids.count) jobs")
            return lines
        }

        var before = try await snapshot()
        for step in 0..<steps {
            let roll = Int.random(in: 0..<100, using: &rng)
            var op: String
            var mayChange = true
            switch roll {
            case 0..<15:
                let n = Int.random(in: 0..<1000, using: &rng)
                let key: String? = Bool.random(using: &rng) ? "key\(n % 8)" : nil
                let hash = "h\(n % 6)", attempts = Int.random(in: 1...3, using: &rng)
                op = await outcome {
                    let id = try await q.enqueue(kind: "k", payload: bytes("p\(n)"), contentHash: hash, idempotencyKey: key, maxAttempts: attempts)
                    if !ids.contains(id) { ids.append(id) }
                    return "enqueue \(key ?? "-") → \(name(id))"
                }
            case 15..<40:
                let worker = "w\(Int.random(in: 0..<3, using: &rng))", lease = Int.random(in: 5...20, using: &rng)
                op = await outcome {
                    guard let job = try await q.dequeue(worker: worker, lease: .seconds(lease)) else { return "dequeue \(worker) → none" }
                    leases.append(job)
                    return "dequeue \(worker) → \(name(job.id)) attempt \(job.attempt)"
                }
            case 40..<85 where !leases.isEmpty:
                // Mostly a recent lease (likely still held), sometimes any (likely stale).
                let recent = Int.random(in: 0..<5, using: &rng) > 0
                let job = leases[recent ? leases.count - 1 - Int.random(in: 0..<min(3, leases.count), using: &rng)
                                        : Int.random(in: 0..<leases.count, using: &rng)]
                let what = Int.random(in: 0..<4, using: &rng), flag = Bool.random(using: &rng)
                op = await outcome {
                    switch what {
                    case 0:
                        try await q.heartbeat(job.id, token: job.token, progress: flag ? 0.5 : nil)
                        return "heartbeat \(name(job.id))"
                    case 1:
                        let result = bytes("r\(name(job.id))@\(step)")
                        try await q.complete(job.id, token: job.token, result: result)
                        if firstResult[job.contentHash] == nil { firstResult[job.contentHash] = result }
                        return "complete \(name(job.id))"
                    case 2:
                        return "fail \(name(job.id)) → \(try await q.fail(job.id, token: job.token, error: "e\(step)", retryable: flag))"
                    default:
                        try await q.release(job.id, token: job.token)
                        return "release \(name(job.id))"
                    }
                }
                mayChange = !op.hasPrefix("leaseLost") && !op.hasPrefix("jobCancelled")
            case 85..<89 where !ids.isEmpty:
                let id = ids[Int.random(in: 0..<ids.count, using: &rng)]
                op = await outcome { "cancel \(name(id)) → \(try await q.cancel(id))" }
            default:
                let seconds = Int.random(in: 1...12, using: &rng)
                clock.advance(.seconds(seconds))
                op = "advance \(seconds) s"
            }
            let after = try await snapshot()
            // A refused write changes nothing.
            if !mayChange { #expect(after == before, "seed \(seed) step \(step): \(op) changed the queue") }
            trace.append("\(step): \(op)")
            trace += after
            before = after
        }
    }
    return trace
}
