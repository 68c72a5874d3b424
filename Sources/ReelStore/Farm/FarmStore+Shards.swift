import ReelPlan

extension FarmStore {
    /// Leases up to `limit` ready shards of running jobs (of `models`, when given) to `worker` in one statement
    /// (concurrent claims never get the same shard). Skips shards still backing off
    /// at `now`, shards with `maxTries` tries in this run, and jobs where `worker` has
    /// `blocklistThreshold` recorded failures. Highest job priority first; among
    /// equals, shards `worker` did not hold last, then job, block and region order.
    /// Each gets attempt + 1 (its fencing token), tries + 1, and a lease until
    /// `now + leaseDuration`.
    public func claimShards(
        worker: String, models: [String]? = nil, limit: Int, now: Timestamp, leaseDuration: Duration, maxTries: Int,
        blocklistThreshold: Int = 2
    ) throws(StoreError) -> [ClaimedShard] {
        try claim(
            .shards, worker: worker, models: models, limit: limit, now: now, leaseDuration: leaseDuration, maxTries: maxTries,
            blocklistThreshold: blocklistThreshold
        ).map { row throws(StoreError) in try ClaimedShard(row: row) }.sorted { ($0.job, $0.shard) < ($1.job, $1.shard) }
    }

    /// Stores `worker`'s result for `shard` if it holds the current lease as
    /// `attempt`, and in the same transaction makes ready each candidate of
    /// `dependents` (a shard with the shards its input reads) that is pending and
    /// whose inputs are now all done. Deciding readiness here, inside the
    /// transaction, rather than from the caller's memory is what keeps two results
    /// recorded back to back from each waiting for the other. Returns the shards made
    /// ready, or `nil`, changing nothing, for a stale attempt or holder (logged as
    /// `shard.stale`). With `openCheck`, the result's verification check is
    /// stored in the same transaction (``openChecks(job:)``).
    public func completeShard(
        job: Int64, shard: ShardID, attempt: Int, worker: String, outputSHA: String,
        dependents: [(shard: ShardID, inputs: [ShardID])] = [], computeMilliseconds: Int64? = nil, openCheck: Bool = false
    ) throws(StoreError) -> [ShardID]? {
        var ready: [ShardID] = []
        let completed = try complete(
            .shard(shard), job: job, attempt: attempt, worker: worker, outputSHA: outputSHA, computeMilliseconds: computeMilliseconds
        ) {
            () throws(StoreError) in
            ready = try markReadyIfInputsDone(job: job, candidates: dependents)
            if openCheck { try self.openCheck(job: job, shard: shard, attempt: attempt, worker: worker, sha: outputSHA) }
        }
        return completed ? ready.sorted() : nil
    }

    /// Makes ready the pending `candidates` whose input shards are all done; returns them.
    @discardableResult
    public func markReadyIfInputsDone(job: Int64, candidates: [(shard: ShardID, inputs: [ShardID])]) throws(StoreError)
        -> [ShardID]
    {
        guard !candidates.isEmpty else { return [] }
        let records = candidates.map { candidate in
            let inputs = candidate.inputs.map { #"{"region":\#($0.region),"block":\#($0.block)}"# }.joined(separator: ",")
            return #"{"region":\#(candidate.shard.region),"block":\#(candidate.shard.block),"inputs":[\#(inputs)]}"#
        }
        // Under the job's readiness lock, so no invalidation of an input is in
        // flight: in the caller's transaction if one is open (a result's record, an
        // invalidation), else in one of its own.
        guard connection.inTransaction else {
            return try connection.transaction { () throws(StoreError) -> [ShardID] in
                try lockReadiness(job: job)
                return try markReady(job: job, records: records)
            }
        }
        try lockReadiness(job: job)
        return try markReady(job: job, records: records)
    }

    private func markReady(job: Int64, records: [String]) throws(StoreError) -> [ShardID] {
        try connection.execute(
            """
            UPDATE shards s SET state = 'ready'
            FROM jsonb_to_recordset($2) AS x(region int, block int, inputs jsonb)
            WHERE s.job_id = $1 AND s.region = x.region AND s.block = x.block AND s.state = 'pending'
              AND NOT EXISTS (
                  SELECT 1 FROM jsonb_to_recordset(x.inputs) AS i(region int, block int)
                  JOIN shards p ON p.job_id = $1 AND p.region = i.region AND p.block = i.block
                  WHERE p.state <> 'done')
            RETURNING s.region, s.block
            """, [.int64(job), .json("[" + records.joined(separator: ",") + "]")], name: "markReadyIfInputsDone"
        ).map { row throws(StoreError) in ShardID(region: try row.get("region"), block: try row.get("block")) }
    }

    /// The current lease on `shard` failed: back to ready from `notBefore` (backoff).
    /// `false`, changing nothing, if `worker`/`attempt` is not the current lease.
    public func failShard(
        job: Int64, shard: ShardID, attempt: Int, worker: String, reason: String, notBefore: Timestamp
    ) throws(StoreError) -> Bool {
        try requeue(.shard(shard), job: job, attempt: attempt, worker: worker, reason: reason, notBefore: notBefore)
    }

    /// The current lease on `shard` failed with no tries left: the shard fails, and
    /// its job fails with a reason naming the shard. One transaction; `false`,
    /// changing nothing, for a stale lease.
    public func failShardForGood(job: Int64, shard: ShardID, attempt: Int, worker: String, reason: String)
        throws(StoreError) -> Bool
    {
        try failForGood(.shard(shard), job: job, attempt: attempt, worker: worker, reason: reason)
    }

    /// Every shard of `job`, in block then region order.
    public func shards(job: Int64) throws(StoreError) -> [ShardRow] {
        try connection.execute("SELECT * FROM shards WHERE job_id = $1 ORDER BY block, region", [.int64(job)], name: "shards")
            .map { row throws(StoreError) in try ShardRow(row: row) }
    }

    /// How many shards of `job` are in each state (every state present, zeros included).
    public func shardCounts(job: Int64) throws(StoreError) -> [ShardState.Name: Int] {
        try counts(.shards, job: job)
    }

    /// Counts one more failure of `worker` on `job` and returns the total; at the
    /// blocklist threshold ``claimShards(worker:limit:now:leaseDuration:maxTries:blocklistThreshold:)``
    /// stops giving it the job's shards and chunks.
    @discardableResult
    public func recordWorkerFailure(job: Int64, worker: String) throws(StoreError) -> Int {
        try connection.execute(
            """
            INSERT INTO worker_job_failures (job_id, worker, failures) VALUES ($1, $2, 1)
            ON CONFLICT (job_id, worker) DO UPDATE SET failures = worker_job_failures.failures + 1
            RETURNING failures
            """, [.int64(job), .text(worker)], name: "recordWorkerFailure"
        ).first().get("failures")
    }

    /// The workers blocklisted for `job`: those with at least `threshold` failures on it.
    public func blocklisted(job: Int64, threshold: Int) throws(StoreError) -> Set<String> {
        Set(
            try connection.execute(
                "SELECT worker FROM worker_job_failures WHERE job_id = $1 AND failures >= $2",
                [.int64(job), .int(threshold)], name: "blocklisted"
            ).map { row throws(StoreError) -> String in try row.get("worker") })
    }
}
