import ReelPlan

/// An open verification check as stored (migration 11): the result under check
/// and who computed it. Re-runs are not stored: a restarted coordinator asks for
/// them again.
public struct OpenCheckRow: Sendable, Equatable {
    public var shard: ShardID
    /// The fencing token of the result under check.
    public var attempt: Int
    /// The worker whose result is under check, and its digest.
    public var worker: String
    public var sha: String

    public init(shard: ShardID, attempt: Int, worker: String, sha: String) {
        self.shard = shard
        self.attempt = attempt
        self.worker = worker
        self.sha = sha
    }
}

/// Open checks survive a restart: a check opens in the transaction that commits
/// the checked result (``completeShard(job:shard:attempt:worker:outputSHA:dependents:computeMilliseconds:openCheck:)``)
/// and closes when its ballot is settled, it agrees or it is given up, so a
/// restarted coordinator keeps the shard's dependents waiting for it.
extension FarmStore {
    /// Stores the check of `shard`'s result (inside the completing transaction).
    func openCheck(job: Int64, shard: ShardID, attempt: Int, worker: String, sha: String) throws(StoreError) {
        try connection.execute(
            """
            INSERT INTO verification_checks (job_id, region, block, attempt, workers, digests, stored)
            VALUES ($1, $2, $3, $4, ARRAY[$5], ARRAY[$6], ARRAY[$6])
            ON CONFLICT (job_id, region, block) DO UPDATE SET attempt = EXCLUDED.attempt, workers = EXCLUDED.workers,
                digests = EXCLUDED.digests, stored = EXCLUDED.stored
            """, [.int64(job), .int64(Int64(shard.region)), .int64(Int64(shard.block)), .int64(Int64(attempt)), .text(worker), .text(sha)],
            name: "openCheck")
    }

    /// The check of `shard` is over (agreed, given up, settled, or its shard reset).
    public func closeCheck(job: Int64, shard: ShardID) throws(StoreError) {
        try connection.execute(
            "DELETE FROM verification_checks WHERE job_id = $1 AND region = $2 AND block = $3",
            [.int64(job), .int64(Int64(shard.region)), .int64(Int64(shard.block))], name: "closeCheck")
    }

    /// The open checks of `job` whose shard is still done at the checked attempt
    /// (a check of a result a reset or a retry replaced is moot).
    public func openChecks(job: Int64) throws(StoreError) -> [OpenCheckRow] {
        try connection.execute(
            """
            SELECT c.region, c.block, c.attempt, c.workers[1] AS worker, c.digests[1] AS sha FROM verification_checks c
            JOIN shards s ON s.job_id = c.job_id AND s.region = c.region AND s.block = c.block
            WHERE c.job_id = $1 AND s.state = 'done' AND s.attempt = c.attempt
            ORDER BY c.block, c.region
            """, [.int64(job)], name: "openChecks"
        ).map { row throws(StoreError) in
            OpenCheckRow(
                shard: ShardID(region: try row.get("region"), block: try row.get("block")), attempt: try row.get("attempt"),
                worker: try row.get("worker"), sha: try row.get("sha"))
        }
    }
}
