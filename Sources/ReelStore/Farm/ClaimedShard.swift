import ReelPlan

/// A shard a worker just leased: what to send it.
public struct ClaimedShard: Hashable, Sendable {
    /// The job's id.
    public var job: Int64
    /// Region and step block.
    public var shard: ShardID
    /// The fencing token: the worker returns it with the result, and only the
    /// current attempt's result is accepted.
    public var attempt: Int
    /// Leases of this shard in the job's current run, this one included.
    public var tries: Int
    /// When the lease ends unless extended.
    public var leaseExpiresAt: Timestamp

    init(row: PostgresRow) throws(StoreError) {
        job = try row.get("job_id")
        shard = ShardID(region: try row.get("region"), block: try row.get("block"))
        attempt = try row.get("attempt")
        tries = try row.get("tries")
        leaseExpiresAt = try row.get("lease_expires_at_ms")
    }
}
