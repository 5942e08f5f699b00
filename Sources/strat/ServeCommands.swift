import ArgumentParser
import Foundation
import Logging
import StratData
import StratRun
import StratServer

/// Where jobs live, shared by `serve`, `worker` and `token`.
struct ServiceOptions: ParsableArguments {
    @Option(help: "The SQLite job queue (default: $STRAT_QUEUE or ~/.strat/jobs.db); one machine.")
    var queue: String?

    @Option(help: "PostgreSQL instead (postgres://user[:password]@host[:port]/database): any number of nodes and workers share it.")
    var postgres: String?

    @Option(name: .customLong("postgres-schema"), help: "The PostgreSQL schema of the queue's tables.")
    var postgresSchema = "strat"

    @Option(help: "The SQLite market-data store stored series are read from (default: with --postgres, the same PostgreSQL database; else $STRAT_DB or ~/.strat/strat.db).")
    var db: String?

    @Option(help: "A directory of .strat files that submissions may name (`strategy_file`).")
    var strategies: String?

    func validate() throws {
        if queue != nil, postgres != nil { throw ValidationError("--queue and --postgres: give one (SQLite on one machine, PostgreSQL for many)") }
    }

    var place: QueuePlace {
        postgres.map { .postgres(url: $0, schema: postgresSchema) } ?? .sqlite(path: queue ?? QueuePlace.defaultPath)
    }

    /// Stored series: --db, else the PostgreSQL database of the queue, else the default file.
    var jobs: Jobs {
        Jobs(store: db.map { .sqlite(path: $0) } ?? postgres.map { .postgres(url: $0) } ?? .standard, strategies: strategies)
    }
}

/// Runs `body` to its end; a failure is `strat: error: …` and exit status 2.
func service<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    switch runBlocking(body) {
    case .success(let value): return value
    case .failure(let e):
        writeStderr("strat: error: \(e)\n")
        throw ExitCode(2)
    }
}

/// One line per event on stderr: time, level, message, then key=value metadata.
func serverLogger(_ label: String) -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return logger
}

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve backtests and sweeps over an HTTP API (Docs/Service.md), with workers in-process.",
        discussion: """
            One machine: `strat token create --name me`, then `strat serve` (SQLite queue, \(ProcessInfo.processInfo.activeProcessorCount) workers here). \
            Many machines: `strat serve --postgres URL --workers 0` on the API nodes and `strat worker --postgres URL` anywhere; \
            every node reads the same queue, tokens, results and stored series from PostgreSQL. \
            Every route but /healthz, /openapi.json and /metrics needs `Authorization: Bearer TOKEN`. \
            SIGTERM or Ctrl-C: stop taking jobs, give running ones 10 s to finish, release the rest to the queue, exit.
            """)

    @OptionGroup var where_: ServiceOptions

    @Option(help: "The address to listen on (127.0.0.1: this machine only).")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "The port (0: any free one, printed).")
    var port = 8080

    @Option(parsing: .unconditional, help: "Workers in this process (0: an API-only node).")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        try validating { () throws(RunError) in
            try checkOption("--port", port, from: 0, to: 65535, unit: "a port")
            try checkOption("--workers", workers, from: 0, to: 256, unit: "a number of workers")
        }
    }

    func run() throws {
        var server = Server(place: where_.place, jobs: where_.jobs, logger: serverLogger("strat.serve"))
        (server.host, server.port, server.workers) = (host, port, workers)
        let (configured, host) = (server, host)
        try service {
            try await configured.run { port in
                // The line tests and scripts wait for (port 0 picks a free port).
                FileHandle.standardOutput.write(Data("strat serve: listening on http://\(host):\(port)\n".utf8))
            }
        }
    }
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run queued backtests and sweep slices (from `strat serve`'s queue) on this machine.",
        discussion: "SIGTERM or Ctrl-C: stop taking jobs, give running ones 10 s to finish, release the rest to the queue, exit.")

    @OptionGroup var where_: ServiceOptions

    @Option(parsing: .unconditional, help: "Jobs run at once here.")
    var concurrency = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        try validating { () throws(RunError) in try checkOption("--concurrency", concurrency, from: 1, to: 256, unit: "a number of jobs") }
    }

    func run() throws {
        let (place, jobs, n) = (where_.place, where_.jobs, concurrency)
        try service { try await runWorkers(place: place, jobs: jobs, concurrency: n, logger: serverLogger("strat.worker")) }
    }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke the API's bearer tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token; it is printed once (only its hash is kept).")
        @OptionGroup var where_: ServiceOptions
        @Option(help: "A name for the token (logs and `strat token list` show it).") var name: String
        @Option(parsing: .unconditional, help: "Requests per minute.") var rate = TokenLimits().requestsPerMinute
        @Option(name: .customLong("concurrent-jobs"), parsing: .unconditional, help: "Backtests and batches queued or running at once.") var concurrentJobs = TokenLimits().concurrentJobs
        @Option(name: .customLong("max-body"), parsing: .unconditional, help: "Bytes of a request body.") var maxBody = TokenLimits().maxBodyBytes
        @Option(name: .customLong("max-source"), parsing: .unconditional, help: "Bytes of a strategy's source.") var maxSource = TokenLimits().maxSourceBytes
        @Option(name: .customLong("max-bars"), parsing: .unconditional, help: "Bars of one backtest.") var maxBars = TokenLimits().maxBarsPerJob
        @Option(name: .customLong("max-points"), parsing: .unconditional, help: "Points of one batch.") var maxPoints = TokenLimits().maxPointsPerBatch
        @Option(name: .customLong("max-run-seconds"), parsing: .unconditional, help: "Seconds one job may run before it is stopped and fails.") var maxRunSeconds = TokenLimits().maxRunSeconds

        func validate() throws {
            do { try Tokens.checkName(name) } catch let e as ServerError { throw ValidationError("--name: \(e.description)") }
            let limits = [("--rate", rate), ("--concurrent-jobs", concurrentJobs), ("--max-body", maxBody), ("--max-source", maxSource),
                          ("--max-bars", maxBars), ("--max-points", maxPoints), ("--max-run-seconds", maxRunSeconds)]
            try validating { () throws(RunError) in
                for (option, value) in limits { try checkOption(option, value, from: 1, to: Int(Int32.max), unit: "a whole number") }
            }
        }

        func run() throws {
            var limits = TokenLimits()
            (limits.requestsPerMinute, limits.concurrentJobs, limits.maxBodyBytes, limits.maxSourceBytes) = (rate, concurrentJobs, maxBody, maxSource)
            (limits.maxBarsPerJob, limits.maxPointsPerBatch, limits.maxRunSeconds) = (maxBars, maxPoints, maxRunSeconds)
            let (place, name, secret) = (where_.place, name, Tokens.make())
            let limitsCopy = limits
            try service { try await place.open().store.createToken(name: name, hash: Tokens.hash(secret), limits: limitsCopy) }
            print(secret)
            writeStderr("strat: note: the token `\(name)` is shown this once; keep it (only its hash is stored)\n")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tokens: name, created, revoked, limits.")
        @OptionGroup var where_: ServiceOptions

        func run() throws {
            let place = where_.place
            let tokens = try service { try await place.open().store.tokens() }
            print("name\tcreated\trevoked\trate/min\tjobs\tbody\tsource\tbars\tpoints\trun s")
            for t in tokens {
                let l = t.limits
                print([t.name, iso(t.createdAt), t.revokedAt.map(iso) ?? "-", "\(l.requestsPerMinute)", "\(l.concurrentJobs)", "\(l.maxBodyBytes)",
                       "\(l.maxSourceBytes)", "\(l.maxBarsPerJob)", "\(l.maxPointsPerBatch)", "\(l.maxRunSeconds)"].joined(separator: "\t"))
            }
        }

        func iso(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: requests with it get 403 from then on.")
        @OptionGroup var where_: ServiceOptions
        @Argument(help: "The token's name.") var name: String

        func run() throws {
            let (place, name) = (where_.place, name)
            guard try service({ try await place.open().store.revokeToken(name: name) }) else {
                writeStderr("strat: error: no unrevoked token named `\(name)`; see `strat token list`\n")
                throw ExitCode(2)
            }
            print("revoked \(name)")
        }
    }
}
