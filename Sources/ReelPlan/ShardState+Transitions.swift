extension ShardState.Name {
    /// The states a shard may move to from this one: exactly the moves of
    /// ``ShardStateMachine`` (a lost, failed or handed-back lease goes back to ready;
    /// a job retry puts a failed shard back to pending, to wait for its inputs). The
    /// farm schema refuses every other change of `shards.state` with a trigger
    /// (ReelStore's migration 2; a store test checks that the two agree). Staying in
    /// a state is not a move and is always allowed.
    public var shardSuccessors: Set<ShardState.Name> {
        switch self {
        case .pending: return [.ready, .cancelled]
        case .ready: return [.leased, .cancelled]
        case .leased: return [.done, .ready, .failed, .cancelled]
        case .failed: return [.pending, .cancelled]
        case .done, .cancelled: return []
        }
    }

    /// The states a decode chunk may move to from this one. A chunk has no inputs, so
    /// it is never pending: it is created ready, and a job retry puts a failed chunk
    /// straight back to ready. Otherwise the moves are a shard's. Enforced on
    /// `decode_chunks.state` like ``shardSuccessors`` on shards.
    public var decodeChunkSuccessors: Set<ShardState.Name> {
        switch self {
        case .pending: return []
        case .failed: return [.ready, .cancelled]
        default: return shardSuccessors
        }
    }
}
