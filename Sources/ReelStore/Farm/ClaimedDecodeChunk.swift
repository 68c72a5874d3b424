import ReelPlan

/// A decode chunk a worker just leased. Its frames are the job's ``DecodeChunk``
/// layout's, which the coordinator holds.
public struct ClaimedDecodeChunk: Hashable, Sendable {
    /// The job's id.
    public var job: Int64
    /// The chunk's position in the clip, from 0.
    public var chunk: Int
    /// The fencing token (see ``ClaimedShard/attempt``).
    public var attempt: Int
    /// Leases of this chunk in the job's current run, this one included.
    public var tries: Int
    /// When the lease ends unless extended.
    public var leaseExpiresAt: Timestamp

    init(row: PostgresRow) throws(StoreError) {
        job = try row.get("job_id")
        chunk = try row.get("chunk")
        attempt = try row.get("attempt")
        tries = try row.get("tries")
        leaseExpiresAt = try row.get("lease_expires_at_ms")
    }
}
