import ReelPlan

/// One of a job's conditioning sources being VAE-encoded, as the core tracks it:
/// its lease (the same state machine and fencing token as a shard's). The job's
/// shards stay pending until every one is done (and the prompt encoding, if any).
struct SourceEncodingProgress: Sendable {
    var machine: ShardStateMachine
    var token: Int
    /// The encoded latents' blob, once done.
    var latentsSHA: String?

    var isDone: Bool { machine.state.name == .done }
}
