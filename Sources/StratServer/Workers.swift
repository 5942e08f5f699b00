import Foundation
import Logging
import ServiceLifecycle
import StratBacktest
import StratQueue

/// Workers: `concurrency` loops that take jobs from the queue and run them,
/// each run on a thread of its own (the runs are CPU-bound; the async pool
/// stays free for heartbeats and requests). On graceful shutdown they take no
/// more jobs, give the running ones `drain` to finish, then stop and release
/// them to the queue (the attempt does not count) and return.
public final class WorkerPool: Service, @unchecked Sendable {
    let queue: any JobQueue
    let jobs: Jobs
    let metrics: ServerMetrics
    let logger: Logger
    let concurrency: Int
    let name: String
    let lease: Duration
    let drain: Duration
    private let lock = NSLock()
    private var stoppingAt: ContinuousClock.Instant?

    public init(queue: any JobQueue, jobs: Jobs, metrics: ServerMetrics, logger: Logger, concurrency: Int,
                name: String = "\(ProcessInfo.processInfo.hostName)/\(getpid())", lease: Duration = .seconds(30), drain: Duration = .seconds(10)) {
        self.queue = queue
        self.jobs = jobs
        self.metrics = metrics
        self.logger = logger
        self.concurrency = concurrency
        self.name = name
        self.lease = lease
        self.drain = drain
    }

    var stopping: Bool { lock.withLock { stoppingAt != nil } }
    /// Running jobs are stopped once the drain time after the shutdown began has passed.
    var drained: Bool { lock.withLock { stoppingAt.map { ContinuousClock.now - $0 >= drain } ?? false } }

    public func run() async throws {
        logger.info("workers started", metadata: ["workers": "\(concurrency)", "worker": "\(name)"])
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<concurrency { group.addTask { await self.loop("\(self.name)/\(i)") } }
            }
        } onGracefulShutdown: {
            self.lock.withLock { if self.stoppingAt == nil { self.stoppingAt = .now } }
        }
        logger.info("workers stopped", metadata: ["worker": "\(name)"])
    }

    func loop(_ worker: String) async {
        while !stopping {
            do {
                guard let job = try await queue.dequeue(worker: worker, lease: lease) else {
                    _ = try await queue.waitForWork(timeout: .milliseconds(500))
                    continue
                }
                await execute(job, worker: worker)
            } catch {
                logger.error("worker: the queue failed", metadata: ["worker": "\(worker)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    func execute(_ job: LeasedJob, worker: String) async {
        let control = RunControl()
        let started = ContinuousClock.now
        if let s = try? await queue.status(job.id), let t = s.startedAt {
            metrics.queueLatency.recordNanoseconds(Int64(max(0, t.timeIntervalSince(s.createdAt)) * 1e9))
        }
        let meta: Logger.Metadata = ["job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempt)", "worker": "\(worker)"]
        logger.info("job running", metadata: meta)
        // Decoded once: the run-time limit and the run both come from it.
        let payload = Result { try JSONDecoder().decode(JobPayload.self, from: job.payload) }
        let limit = (try? payload.get())?.maxRunSeconds ?? TokenLimits().maxRunSeconds
        // Heartbeats (with progress) at a third of the lease; the run-time limit; the shutdown's drain.
        let watcher = Task {
            var last = ContinuousClock.now
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                if ContinuousClock.now - started >= .seconds(limit) { control.stop("over its run time of \(limit) s (the token's limit)") }
                if drained { control.stop(Self.shutdown) }
                guard ContinuousClock.now - last >= lease / 3 else { continue }
                last = .now
                do { try await queue.heartbeat(job.id, token: job.token, progress: control.progress) } catch QueueError.jobCancelled {
                    control.stop(Self.cancelled)
                } catch QueueError.leaseLost {
                    control.stop(Self.lost)
                } catch {
                    logger.warning("heartbeat failed", metadata: meta.merging(["error": "\(error)"]) { $1 })
                }
            }
        }
        let outcome = await onThread { try self.jobs.run(try payload.get(), kind: job.kind, control: control) }
        watcher.cancel()
        let ms = ContinuousClock.now - started
        do {
            switch outcome {
            case .success(let result):
                try await queue.complete(job.id, token: job.token, result: result)
                metrics.runTime.record(ms)
                metrics.outcomes["succeeded"]?.increment()
                logger.info("job succeeded", metadata: meta.merging(["ms": "\(Int(ms / .milliseconds(1)))"]) { $1 })
            case .failure(let stopped as RunStopped) where stopped.reason == Self.shutdown:
                try await queue.release(job.id, token: job.token)
                metrics.outcomes["released"]?.increment()
                logger.info("job released", metadata: meta)
            case .failure(let stopped as RunStopped) where stopped.reason == Self.cancelled || stopped.reason == Self.lost:
                logger.info("job dropped", metadata: meta.merging(["why": "\(stopped.reason)"]) { $1 })
            case .failure(let error):
                // What the job holds cannot run (a defect, a limit): retrying would fail alike.
                let state = try await queue.fail(job.id, token: job.token, error: Self.text(error), retryable: false)
                metrics.runTime.record(ms)
                metrics.outcomes["failed"]?.increment()
                logger.info("job \(state.rawValue)", metadata: meta.merging(["error": "\(Self.text(error))"]) { $1 })
            }
        } catch QueueError.leaseLost, QueueError.jobCancelled {
            logger.info("job dropped", metadata: meta.merging(["why": "its lease was lost or it was cancelled"]) { $1 })
        } catch {
            logger.error("job outcome not recorded", metadata: meta.merging(["error": "\(error)"]) { $1 })
        }
    }

    static let shutdown = "the worker is shutting down", cancelled = "cancelled", lost = "the lease was lost"

    static func text(_ error: any Error) -> String {
        switch error {
        case let p as Problem: p.detail
        case let s as RunStopped: "stopped: \(s.reason)"
        default: "\(error)"
        }
    }
}

/// Runs `body` on a new thread with a large stack, off the async pool.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async -> Result<T, any Error> {
    await withCheckedContinuation { c in
        let t = Thread { c.resume(returning: Result { try body() }) }
        t.stackSize = 64 << 20
        t.start()
    }
}
