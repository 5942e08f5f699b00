import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import StratQueue

/// Where a node keeps its jobs: a SQLite file (one machine) or PostgreSQL (many).
public enum QueuePlace: Sendable {
    case sqlite(path: String)
    case postgres(url: String, schema: String)

    /// `~/.strat/jobs.db`, or `$STRAT_QUEUE`.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["STRAT_QUEUE"] ?? (NSHomeDirectory() + "/.strat/jobs.db")
    }

    /// The queue and the server's tables beside it.
    public func open() async throws -> (queue: any JobQueue, store: any ServerStore) {
        switch self {
        case .sqlite(let path):
            let queue = try SQLiteJobQueue(path: path)
            return (queue, try SQLiteServerStore(path: path))
        case .postgres(let url, let schema):
            let queue = try await PostgresJobQueue.connect(url: url, schema: schema)
            return (queue, try await PostgresServerStore(queue: queue))
        }
    }
}

/// `strat serve`: the API on `host:port` and `workers` in-process workers.
public struct Server: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var workers = 1
    public var place: QueuePlace
    public var jobs: Jobs
    public var logger: Logger

    public init(place: QueuePlace, jobs: Jobs, logger: Logger) {
        self.place = place
        self.jobs = jobs
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT; `listening` is told the bound port (port 0 picks one).
    public func run(listening: @escaping @Sendable (Int) -> Void) async throws {
        let (queue, store) = try await place.open()
        let metrics = ServerMetrics()
        let api = API(queue: queue, store: store, jobs: jobs, metrics: metrics, logger: logger)
        let pool = WorkerPool(queue: queue, jobs: jobs, metrics: metrics, logger: logger, concurrency: workers)
        let app = Application(router: api.router(), configuration: .init(address: .hostname(host, port: port), serverName: "strat"),
                              // A service that returns ends the group: an API-only node has none.
                              services: workers > 0 ? [pool] : [], onServerRunning: { channel in listening(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.runService()
    }
}

/// `strat worker`: workers only, until SIGTERM or SIGINT.
public func runWorkers(place: QueuePlace, jobs: Jobs, concurrency: Int, logger: Logger) async throws {
    let (queue, _) = try await place.open()
    let pool = WorkerPool(queue: queue, jobs: jobs, metrics: ServerMetrics(), logger: logger, concurrency: concurrency)
    let group = ServiceGroup(configuration: .init(services: [pool], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}
