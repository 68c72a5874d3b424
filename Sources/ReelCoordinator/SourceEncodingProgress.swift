import ReelPlan

/// One of a job's conditioning sources being VAE-encoded, as the core tracks it:
/// its lease (the same state machine and fencing token as a shard's). The job's
/// shards stay pending until every one is done (and the prompt encoding, if any).
struct SourceEncodingProgress: Sendable {
    var machine: ShardStateMachine { didSet { if machine.state.name != oldValue.state.name { revision = Revision.next() } } }
    var token: Int { didSet { if token != oldValue { revision = Revision.next() } } }
    /// Moved on by every change of the state's name or the token (``ReconcileBaseline``,
    /// as ``ShardRecord/revision``).
    private(set) var revision = Revision.next()
    /// The encoded latents' blob, once done.
    var latentsSHA: String?
    /// Whether its latents go into the cache under the row's key: not when that key is
    /// not the encoding's (a job admitted before source forms, whose later-form item
    /// has a first-form key: its latents there would be wrong for a first-form pin).
    var caches = true

    var isDone: Bool { machine.state.name == .done }
}
