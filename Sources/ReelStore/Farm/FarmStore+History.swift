import ReelPlan

/// One job's history as an operator reads it afterwards (`reel status JOB`, the
/// dashboard): where its time went and what it cost.
public struct JobHistory: Sendable, Equatable {
    /// From submission to its first lease of a shard (or of its prompt encoding).
    public var queueMilliseconds: Int64?
    /// From that first lease to the move to decoding.
    public var renderMilliseconds: Int64?
    /// From the move to decoding to the job's end.
    public var decodeMilliseconds: Int64?
    /// Work items put back after a failed or lost lease (shards, decode chunks, prompt encodings).
    public var retries: Int
    /// Distinct workers whose results were stored.
    public var workersUsed: Int
    /// The workers' compute summed over the stored items, as each worker timed
    /// its own (loading and running the model; not waiting or transfers).
    public var computeMilliseconds: Int64
}

extension FarmStore {
    /// ``JobHistory`` of `job` from its row, its work items' lease times and its
    /// events; nil if there is no such job. One statement.
    public func history(job: Int64) throws(StoreError) -> JobHistory? {
        let items = LeaseTable.all.map(\.table)
        let kinds = { (suffix: String) in LeaseTable.all.map { "'\($0.eventPrefix).\(suffix)'" }.joined(separator: ", ") }
        let firstLeases = items.map { "(SELECT min(leased_at_ms) FROM \($0) WHERE job_id = j.id)" }.joined(separator: ", ")
        let compute = items.map { "(SELECT coalesce(sum(compute_ms), 0) FROM \($0) WHERE job_id = j.id)" }
            .joined(separator: " + ")
        let rows = try connection.execute(
            """
            SELECT
                (extract(epoch FROM j.created_at) * 1000)::bigint AS created_ms,
                (extract(epoch FROM j.finished_at) * 1000)::bigint AS finished_ms,
                least(\(firstLeases)) AS first_lease_ms,
                (SELECT (extract(epoch FROM min(e.at)) * 1000)::bigint FROM events e
                 WHERE e.job_id = j.id AND e.kind = 'job.decoding') AS decoding_ms,
                (SELECT count(*) FROM events e WHERE e.job_id = j.id AND e.kind IN (\(kinds("retry")))) AS retries,
                (SELECT count(DISTINCT e.worker) FROM events e
                 WHERE e.job_id = j.id AND e.kind IN (\(kinds("done")))) AS workers,
                (\(compute))::bigint AS compute_ms
            FROM jobs j WHERE j.id = $1
            """, [.int64(job)], name: "job history")
        guard let row = rows.first else { return nil }
        let created: Int64 = try row.get("created_ms")
        let finished: Int64? = try row.get("finished_ms")
        let firstLease: Int64? = try row.get("first_lease_ms")
        let decoding: Int64? = try row.get("decoding_ms")
        return JobHistory(
            queueMilliseconds: firstLease.map { max(0, $0 - created) },
            renderMilliseconds: firstLease.flatMap { lease in decoding.map { max(0, $0 - lease) } },
            decodeMilliseconds: decoding.flatMap { start in finished.map { max(0, $0 - start) } },
            retries: try row.get("retries"), workersUsed: try row.get("workers"), computeMilliseconds: try row.get("compute_ms"))
    }
}
