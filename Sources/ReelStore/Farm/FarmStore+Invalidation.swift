import ReelPlan

/// One shard an invalidation moved: what it was, so the coordinator can revoke a
/// lease and free what memory held.
public struct InvalidatedShard: Sendable, Equatable {
    public var shard: ShardID
    /// The state before the invalidation (done, leased, ready or pending).
    public var previous: ShardState.Name
    /// The lease holder or the result's worker, before.
    public var worker: String?
    /// The fencing token the shard had (a revoked lease's).
    public var attempt: Int
    /// Whether the shard is ready now (its inputs were all done and settled), else pending.
    public var ready: Bool

    public init(shard: ShardID, previous: ShardState.Name, worker: String?, attempt: Int, ready: Bool) {
        self.shard = shard
        self.previous = previous
        self.worker = worker
        self.attempt = attempt
        self.ready = ready
    }
}

/// Invalidation: shards whose result, or an input of it, was disproved go back to
/// pending in one transaction, and those whose inputs are all done and settled on
/// to ready (migration 11 allows these moves only with a counted invalidation).
extension FarmStore {
    /// Sends each of `shards` of `job` that is done, leased or ready back to
    /// pending (its output, lease and worker cleared, its tries given back since the
    /// redo is no fault of the shard's, `invalidations` + 1 with
    /// `reason`), then makes ready each of `candidates` that is pending with every
    /// input done, appending a `shard.invalidated` event per shard moved. Failed,
    /// cancelled and pending shards are left alone. One transaction.
    ///
    /// Readiness is decided here, as in ``completeShard(job:shard:attempt:worker:outputSHA:dependents:computeMilliseconds:)``,
    /// from the rows as they are when the transaction runs, not from the caller's memory.
    public func invalidateShards(
        job: Int64, shards: [ShardID], candidates: [(shard: ShardID, inputs: [ShardID])], reason: String
    ) throws(StoreError) -> [InvalidatedShard] {
        guard !shards.isEmpty else { return [] }
        let keys = "[" + shards.map { #"{"region":\#($0.region),"block":\#($0.block)}"# }.joined(separator: ",") + "]"
        return try connection.transaction { () throws(StoreError) -> [InvalidatedShard] in
            // Before the reset reads its rows: a readiness check in flight commits first, and is seen.
            try lockReadiness(job: job)
            let moved = try connection.execute(
                """
                WITH old AS (
                    SELECT s.region, s.block, s.state, s.worker, s.attempt FROM shards s
                    JOIN jsonb_to_recordset($2) AS x(region int, block int) ON s.region = x.region AND s.block = x.block
                    WHERE s.job_id = $1 AND s.state IN ('done', 'leased', 'ready')
                    FOR UPDATE OF s)
                UPDATE shards s SET state = 'pending', worker = NULL, lease_expires_at_ms = NULL, not_before_ms = NULL,
                    output_sha256 = NULL, compute_ms = NULL, leased_at_ms = NULL, tries = 0, confirmed = false,
                    invalidations = s.invalidations + 1, invalidation_reason = $3
                FROM old WHERE s.job_id = $1 AND s.region = old.region AND s.block = old.block
                RETURNING s.region, s.block, old.state::text AS previous, old.worker, old.attempt
                """, [.int64(job), .json(keys), .text(reason)], name: "invalidateShards.reset")
            var rows: [InvalidatedShard] = []
            for row in moved {
                rows.append(
                    InvalidatedShard(
                        shard: ShardID(region: try row.get("region"), block: try row.get("block")), previous: try row.get("previous"),
                        worker: try row.get("worker"), attempt: try row.get("attempt"), ready: false))
            }
            for row in rows { try closeCheck(job: job, shard: row.shard) }
            let ready = Set(try markReadyIfInputsDone(job: job, candidates: candidates))
            for index in rows.indices {
                rows[index].ready = ready.contains(rows[index].shard)
                try appendEvent(
                    kind: .shardInvalidated, job: job, shard: rows[index].shard, worker: rows[index].worker,
                    detail: "was \(rows[index].previous.rawValue), now \(rows[index].ready ? "ready" : "pending"): \(reason)")
            }
            return rows.sorted { $0.shard < $1.shard }
        }
    }

    /// How many times each shard of `job` was invalidated, for shards invalidated at least once.
    public func invalidations(job: Int64) throws(StoreError) -> [ShardID: Int] {
        var counts: [ShardID: Int] = [:]
        for row in try connection.execute(
            "SELECT region, block, invalidations FROM shards WHERE job_id = $1 AND invalidations > 0", [.int64(job)], name: "invalidations")
        {
            counts[ShardID(region: try row.get("region"), block: try row.get("block"))] = try row.get("invalidations")
        }
        return counts
    }
}

extension EventKind {
    /// A shard went back to be computed again: its result, or one of its inputs, was disproved.
    public static let shardInvalidated: EventKind = "shard.invalidated"
}
