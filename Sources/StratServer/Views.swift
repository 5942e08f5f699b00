import Foundation
import StratQueue

/// A job as `GET /v1/backtests/{id}` shows it (the Job schema).
struct JobView {
    var status: JobStatus
    init(_ s: JobStatus) { status = s }

    var json: Data {
        let s = status, now = Date()
        var f = ["\"id\":\"\(s.id)\"", "\"state\":\"\(s.state.rawValue)\"", "\"attempts\":\(s.attempts)", "\"max_attempts\":\(s.maxAttempts)",
                 "\"created_at\":\(stamp(s.createdAt))"]
        if let p = s.progress { f.append("\"progress\":\(p)") }
        if let t = s.startedAt {
            f.append("\"started_at\":\(stamp(t))")
            f.append("\"queued_seconds\":\(seconds(t.timeIntervalSince(s.createdAt)))")
            f.append("\"run_seconds\":\(seconds((s.finishedAt ?? now).timeIntervalSince(t)))")
        }
        if let t = s.finishedAt { f.append("\"finished_at\":\(stamp(t))") }
        if let e = s.error { f.append("\"error\":\(Problem.quoted(e))") }
        return Data(("{" + f.joined(separator: ",") + "}").utf8)
    }
}

/// A batch as `GET /v1/batches/{id}` shows it (the Batch schema): its state
/// is its jobs' (failed or cancelled if any is, succeeded once all are).
struct BatchView {
    var batch: BatchRecord
    var jobs: [JobStatus]
    var pointsPerJob: Int

    var counts: [JobState: Int] { Dictionary(grouping: jobs, by: \.state).mapValues(\.count) }

    var state: JobState {
        let c = counts
        if c[.failed, default: 0] > 0 { return .failed }
        if c[.cancelled, default: 0] > 0 { return .cancelled }
        if c[.succeeded, default: 0] == jobs.count { return .succeeded }
        return c[.running, default: 0] > 0 || c[.succeeded, default: 0] > 0 ? .running : .queued
    }

    var error: String? { jobs.first { $0.state == .failed }.map { "job \($0.id): \($0.error ?? "failed")" } }

    var pointsDone: Int {
        jobs.enumerated().reduce(0) { sum, j in
            let size = min(pointsPerJob, batch.points - j.offset * pointsPerJob)
            return sum + (j.element.state == .succeeded ? size : Int((Double(size) * (j.element.progress ?? 0)).rounded(.down)))
        }
    }

    var json: Data {
        let c = counts
        let jobsText = JobState.allCases.map { "\"\($0.rawValue)\":\(c[$0, default: 0])" }.joined(separator: ",")
        var f = ["\"id\":\"\(batch.id)\"", "\"state\":\"\(state.rawValue)\"", "\"points\":\(batch.points)", "\"points_done\":\(pointsDone)",
                 "\"jobs\":{\(jobsText)}", "\"created_at\":\(stamp(batch.createdAt))"]
        if let e = error { f.append("\"error\":\(Problem.quoted(e))") }
        return Data(("{" + f.joined(separator: ",") + "}").utf8)
    }
}

/// RFC 3339, UTC, milliseconds.
func stamp(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return "\"\(f.string(from: d))\""
}

func seconds(_ s: TimeInterval) -> String { String(format: "%.3f", max(0, s)) }
