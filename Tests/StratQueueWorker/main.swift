// A worker process for the queue tests (Tests/StratQueueTests/WorkerProcessTests.swift):
// it takes jobs until none is queued or running, "computes" each, and prints
// `completed ID` for each job it completed. Not a product: `strat worker`
// will be the real one.
//
//   StratQueueWorker (--sqlite PATH | --postgres URL --schema NAME) --name NAME [--lease-ms N]
//
// A job's payload is its text; `sleep=MS;…` makes it take MS milliseconds,
// and `hang-on=NAME;…` makes the worker called NAME never finish it (others
// run it at once), both heartbeating every 100 ms with progress, so a test
// can kill a worker mid-job however slowly the test itself runs. The result
// is a function of the payload alone: `done:` + the payload.
import Foundation
import StratQueue

func argument(_ name: String) -> String? {
    let args = CommandLine.arguments
    return args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil }
}

func output(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let name = argument("--name") ?? "worker-\(ProcessInfo.processInfo.processIdentifier)"
let lease = Duration.milliseconds(Int(argument("--lease-ms") ?? "") ?? 30_000)

do {
    let queue: any JobQueue
    if let path = argument("--sqlite") {
        var options = QueueOptions()
        options.pollInterval = .milliseconds(50)
        queue = try SQLiteJobQueue(path: path, options: options)
    } else if let url = argument("--postgres") {
        queue = try await PostgresJobQueue.connect(url: url, schema: argument("--schema") ?? "strat", maximumConnections: 4)
    } else {
        FileHandle.standardError.write(Data("usage: StratQueueWorker (--sqlite PATH | --postgres URL --schema NAME) --name NAME [--lease-ms N]\n".utf8))
        exit(2)
    }
    while true {
        guard let job = try await queue.dequeue(worker: name, lease: lease) else {
            let counts = try await queue.counts()
            if counts[.queued] == 0 && counts[.running] == 0 { break }
            _ = try await queue.waitForWork(timeout: .seconds(1))
            continue
        }
        let text = String(decoding: job.payload, as: UTF8.self)
        do {
            if text.hasPrefix("hang-on=\(name);") {
                for _ in 0..<6000 {     // ten minutes at most
                    try await Task.sleep(for: .milliseconds(100))
                    try await queue.heartbeat(job.id, token: job.token, progress: 0.5)
                }
            }
            if text.hasPrefix("sleep="), let ms = Int(text.dropFirst(6).prefix { $0.isNumber }) {
                for step in 0..<max(1, ms / 100) {
                    try await Task.sleep(for: .milliseconds(100))
                    try await queue.heartbeat(job.id, token: job.token, progress: Double(step + 1) / Double(max(1, ms / 100)))
                }
            }
            try await queue.complete(job.id, token: job.token, result: Data(("done:" + text).utf8))
            output("completed \(job.id)")
        } catch let error as QueueError {
            switch error {
            case .leaseLost, .jobCancelled: output("lost \(job.id)")
            default: throw error
            }
        }
    }
} catch {
    FileHandle.standardError.write(Data("StratQueueWorker \(name): \(error)\n".utf8))
    exit(1)
}
