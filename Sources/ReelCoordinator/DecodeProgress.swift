import ReelPlan

/// The decode stage of one job: chunks handed to workers, each coming back as an
/// H.264 segment that is stored as it arrives (in any order). Nothing of the
/// video is held in memory; the segments are joined once all are stored.
struct DecodeProgress: Sendable {
    var chunks: [DecodeChunk]
    /// Chunk states, by index.
    var machines: [ShardStateMachine] { didSet { bump(machines.map(\.state.name), from: oldValue.map(\.state.name)) } }
    /// Fencing tokens, as for shards.
    var tokens: [Int] { didSet { bump(tokens, from: oldValue) } }
    /// Each chunk's ``Revision``, moved on by every change of its state's name or token
    /// (``ReconcileBaseline``, as ``ShardRecord/revision``).
    private(set) var revisions: [Int]
    /// Stored segments, by index, once done.
    var segments: [String?]
    /// The blob of the finished latents `[C, F, H, W]` the chunks are cut from.
    let latentsSHA: String

    init(chunks: [DecodeChunk], latentsSHA: String, policy: RetryPolicy) {
        self.chunks = chunks
        self.latentsSHA = latentsSHA
        machines = chunks.map { _ in ShardStateMachine.ready(policy: policy) }
        tokens = chunks.map { _ in 0 }
        segments = chunks.map { _ in nil }
        revisions = chunks.map { _ in Revision.next() }
    }

    private mutating func bump<Value: Equatable>(_ values: [Value], from old: [Value]) {
        precondition(values.count == revisions.count && old.count == revisions.count, "a job's decode chunks are laid out once")
        for index in revisions.indices where values[index] != old[index] {
            revisions[index] = Revision.next()
        }
    }

    /// Whether every chunk's segment is stored.
    var isFinished: Bool { machines.allSatisfy { $0.state.name == .done } }

    /// Whether a chunk is ready to lease at `now`.
    func hasReadyChunk(now: Timestamp) -> Bool {
        machines.contains { machine in
            if case .ready(_, let notBefore) = machine.state { return notBefore.map { $0 <= now } ?? true }
            return false
        }
    }
}
