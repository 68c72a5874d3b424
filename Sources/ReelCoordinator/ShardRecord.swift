import ReelPlan

/// The coordinator's view of one shard: its state machine, the fencing token of
/// its latest lease, and where its output is stored.
struct ShardRecord: Sendable {
    /// Attempts of the current run and the lease (``ShardStateMachine``).
    var machine: ShardStateMachine { didSet { if machine.state.name != oldValue.state.name { revision = Revision.next() } } }
    /// The shards table's `attempt`: bumped by every lease and never reset, so a
    /// result carrying an older value is from a stale attempt (also across job retries).
    var token: Int { didSet { if token != oldValue { revision = Revision.next() } } }
    /// The content address of the stored output, once done.
    var outputSHA: String? { didSet { if outputSHA != oldValue { revision = Revision.next() } } }
    /// Moved on by every change of what the reconciler compares (the state's name,
    /// the token, the output), even one that brings it back where it was: a shard
    /// made ready and then reset by an invalidation is `pending` at the same token
    /// again, but not the shard the reconciler's snapshot may have seen in between
    /// (``ReconcileBaseline``). Not by a lease extension: every heartbeat extends
    /// one, and a leased shard would then be left out of every comparison while its
    /// worker heartbeats. Drawn from ``Revision``, so a record rebuilt from the
    /// database has a revision no earlier record had.
    private(set) var revision = Revision.next()

    init(machine: ShardStateMachine, token: Int, outputSHA: String? = nil) {
        self.machine = machine
        self.token = token
        self.outputSHA = outputSHA
    }

    /// Takes the database's row (state, token and output) as a change of this
    /// record, so its revision moves on (where the row differs) rather than
    /// starting again.
    mutating func adopt(machine: ShardStateMachine, token: Int, outputSHA: String?) {
        self.machine = machine
        self.token = token
        self.outputSHA = outputSHA
    }
}
