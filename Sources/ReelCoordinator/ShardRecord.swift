import ReelPlan

/// The coordinator's view of one shard: its state machine, the fencing token of
/// its latest lease, and where its output is stored.
struct ShardRecord: Sendable {
    /// Attempts of the current run and the lease (``ShardStateMachine``).
    var machine: ShardStateMachine { didSet { revision = Revision.next() } }
    /// The shards table's `attempt`: bumped by every lease and never reset, so a
    /// result carrying an older value is from a stale attempt (also across job retries).
    var token: Int { didSet { revision = Revision.next() } }
    /// The content address of the stored output, once done.
    var outputSHA: String? { didSet { revision = Revision.next() } }
    /// Bumped by every change to the record, even one that brings it back where it
    /// was: a shard made ready and then reset by an invalidation is `pending` at the
    /// same token again, but not the shard the reconciler's snapshot may have seen
    /// in between (``ReconcileBaseline``). Drawn from ``Revision``, so a record
    /// rebuilt from the database has a revision no earlier record had.
    private(set) var revision = Revision.next()

    init(machine: ShardStateMachine, token: Int, outputSHA: String? = nil) {
        self.machine = machine
        self.token = token
        self.outputSHA = outputSHA
    }

    /// Takes the database's row (state, token and output) as a change of this
    /// record, so its revision moves on rather than starting again.
    mutating func adopt(machine: ShardStateMachine, token: Int, outputSHA: String?) {
        self.machine = machine
        self.token = token
        self.outputSHA = outputSHA
    }
}
