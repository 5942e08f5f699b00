/// SQL that both backends run as it is, but for their placeholders.
enum QueueSQL {
    /// Running jobs whose lease ended before `now`: back to the queue, due at
    /// once, or failed when that was their last attempt; either way with the
    /// lease's loss as their last error. `now` is a placeholder used three times.
    static func rescue(jobs: String, now: String) -> String {
        """
        UPDATE \(jobs) SET
            state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
            finished_at = CASE WHEN attempts >= max_attempts THEN \(now) END,
            not_before = \(now),
            error = 'lease expired: worker ' || worker || ' stopped renewing it during attempt ' || attempts,
            lease_token = NULL, lease_until = NULL
        WHERE state = 'running' AND lease_until < \(now)
        """
    }

    /// A leased job given back unfinished: queued, due at once, the attempt uncounted.
    static func release(jobs: String, now: String, job: String, token: String) -> String {
        """
        UPDATE \(jobs) SET state = 'queued', attempts = attempts - 1, not_before = \(now), progress = NULL,
            lease_token = NULL, lease_until = NULL
        WHERE id = \(job) AND lease_token = \(token) AND state = 'running'
        """
    }
}
