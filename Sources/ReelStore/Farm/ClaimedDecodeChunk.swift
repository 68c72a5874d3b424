import ReelPlan

/// A decode chunk a worker just leased: what to send it.
public struct ClaimedDecodeChunk: Hashable, Sendable {
    /// The job's id.
    public var job: Int64
    /// Which frames.
    public var chunk: DecodeChunk
    /// The fencing token (see ``ClaimedShard/attempt``).
    public var attempt: Int
    /// Leases of this chunk in the job's current run, this one included.
    public var tries: Int
    /// When the lease ends unless extended.
    public var leaseExpiresAt: Timestamp

    init(row: PostgresRow) throws(StoreError) {
        job = try row.get("job_id")
        chunk = try DecodeChunk(row: row)
        attempt = try row.get("attempt")
        tries = try row.get("tries")
        leaseExpiresAt = try row.get("lease_expires_at_ms")
    }
}
