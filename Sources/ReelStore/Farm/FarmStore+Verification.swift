import ReelPlan

/// A verification ballot's outcome, recorded in one transaction: the losers'
/// quarantine, the checked shard's output replaced by the winner's when the
/// original result lost, and the events.
extension FarmStore {
    /// Settles the check of `shard` (done at fencing token `attempt`): quarantines
    /// each of `quarantine` for `reason`, and when `adopt` is given replaces the
    /// shard's stored output with it (the ballot's winning digest, whose blob is
    /// stored). Returns `false`, changing nothing, when the shard is no longer done
    /// at `attempt` (a retry or a reset moved it: the check is moot).
    ///
    /// No state moves: the coordinator makes a checked shard's dependents ready
    /// only once its check is settled, so nothing downstream read the disproved
    /// output and there is no cone to reset.
    @discardableResult
    public func settleVerification(
        job: Int64, shard: ShardID, attempt: Int, adopt: String?, quarantine: [String], reason: String, at: Timestamp
    ) throws(StoreError) -> Bool {
        try connection.transaction { () throws(StoreError) -> Bool in
            let current = try connection.execute(
                "SELECT 1 FROM shards WHERE job_id = $1 AND region = $2 AND block = $3 AND state = 'done' AND attempt = $4 FOR UPDATE",
                [.int64(job), .int64(Int64(shard.region)), .int64(Int64(shard.block)), .int64(Int64(attempt))], name: "settleVerification.check")
            guard current.count == 1 else { return false }
            try closeCheck(job: job, shard: shard)
            // The ballot decided the shard's output: confirmed (migration 13), so its
            // worker's later quarantine leaves it done, after a restart too.
            try connection.execute(
                "UPDATE shards SET output_sha256 = COALESCE($4, output_sha256), confirmed = true WHERE job_id = $1 AND region = $2 AND block = $3",
                [.int64(job), .int64(Int64(shard.region)), .int64(Int64(shard.block)), adopt.map { .text($0) } ?? .null], name: "settleVerification.adopt")
            for worker in quarantine {
                let rows = try connection.execute(
                    """
                    UPDATE workers SET quarantined_at = COALESCE(quarantined_at, to_timestamp($2::float8 / 1000)),
                        quarantine_reason = COALESCE(quarantine_reason, $3)
                    WHERE name = $1
                    """, [.text(worker), .int64(at.milliseconds), .text(reason)], name: "settleVerification.quarantine")
                if rows.affectedRows == 1 { try appendEvent(kind: .workerQuarantined, job: job, shard: shard, worker: worker, detail: reason) }
            }
            return true
        }
    }
}

extension EventKind {
    /// A re-run on a second worker agreed with the stored result.
    public static let verifyMatch: EventKind = "verify.match"
    /// A re-run disagreed: a third worker breaks the tie.
    public static let verifyMismatch: EventKind = "verify.mismatch"
    /// No other worker could re-run the shard in time: the check was given up.
    public static let verifyGivenUp: EventKind = "verify.given-up"
}
