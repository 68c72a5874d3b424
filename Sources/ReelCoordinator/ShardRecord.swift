import ReelPlan

/// The coordinator's view of one shard: its state machine, the fencing token of
/// its latest lease, and where its output is stored.
struct ShardRecord: Sendable {
    /// Attempts of the current run and the lease (``ShardStateMachine``).
    var machine: ShardStateMachine
    /// The shards table's `attempt`: bumped by every lease and never reset, so a
    /// result carrying an older value is from a stale attempt (also across job retries).
    var token: Int
    /// The content address of the stored output, once done.
    var outputSHA: String?
}
