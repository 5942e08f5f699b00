import Foundation
import Prometheus
import StratQueue

/// `/metrics`: jobs by state (read from the queue when scraped), how long jobs
/// waited and ran (observed by this node's workers), and requests by status.
public final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let jobs: [JobState: Gauge]
    let queueLatency: DurationHistogram
    let runTime: DurationHistogram
    let outcomes: [String: Counter]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        jobs = Dictionary(uniqueKeysWithValues: JobState.allCases.map {
            ($0, registry.makeGauge(name: "strat_jobs", labels: [("state", $0.rawValue)], help: "Jobs in the queue by state."))
        })
        let buckets: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                   .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)]
        queueLatency = registry.makeDurationHistogram(name: "strat_job_queue_seconds", buckets: buckets,
                                                      help: "From a job's submission to its start on a worker of this node.")
        runTime = registry.makeDurationHistogram(name: "strat_job_run_seconds", buckets: buckets,
                                                 help: "A job's run on a worker of this node, to success or failure.")
        outcomes = Dictionary(uniqueKeysWithValues: ["succeeded", "failed", "released"].map {
            ($0, registry.makeCounter(name: "strat_job_attempts_total", labels: [("outcome", $0)], help: "Job attempts ended on this node's workers."))
        })
    }

    func requests(_ status: Int) -> Counter {
        registry.makeCounter(name: "strat_http_requests_total", labels: [("status", String(status))], help: "HTTP requests answered, by status.")
    }

    /// The text format, with the queue's counts as they are now.
    func text(_ queue: any JobQueue) async throws -> [UInt8] {
        let counts = try await queue.counts()
        for (state, gauge) in jobs { gauge.set(Double(counts[state] ?? 0)) }
        return registry.emitToBuffer()
    }
}
