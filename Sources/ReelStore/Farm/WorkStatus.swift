import ReelPlan

/// The lease columns a shard and a decode chunk share: where the item is in its
/// life (`ShardState.Name`, the same states for both) and who holds or held it.
public struct WorkStatus: Hashable, Sendable {
    /// The persisted state.
    public var state: ShardState.Name
    /// The lease counter, never reset: the fencing token of the latest lease.
    public var attempt: Int
    /// Leases in the job's current run (a job retry resets it).
    public var tries: Int
    /// The holder while leased, the finisher once done; `nil` otherwise.
    public var worker: String?
    /// When the lease ends unless extended (leased only).
    public var leaseExpiresAt: Timestamp?
    /// Earliest time of the next lease after a failure (backoff).
    public var notBefore: Timestamp?
    /// The stored result (done only).
    public var outputSHA: String?
    /// The latest failure's reason.
    public var reason: String?
    /// The worker of the latest lease: a retry prefers another one.
    public var lastWorker: String?

    /// The shared columns of a `shards` or `decode_chunks` row.
    init(row: PostgresRow) throws(StoreError) {
        state = try row.get("state")
        attempt = try row.get("attempt")
        tries = try row.get("tries")
        worker = try row.get("worker")
        leaseExpiresAt = try row.get("lease_expires_at_ms")
        notBefore = try row.get("not_before_ms")
        outputSHA = try row.get("output_sha256")
        reason = try row.get("reason")
        lastWorker = try row.get("last_worker")
    }
}
