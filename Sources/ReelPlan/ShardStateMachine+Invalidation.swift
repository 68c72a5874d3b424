extension ShardStateMachine {
    /// The shard's result, or an input it was computed from, was disproved: it is
    /// computed again. A done, leased or ready shard goes back to pending (it
    /// becomes ready like any pending shard, once its inputs are done and settled);
    /// a leased one's holder is told to stop. A failed or cancelled shard is left
    /// alone (its job is not running). Pending stays pending.
    ///
    /// These moves are not in ``ShardState/Name/shardSuccessors``: the schema allows
    /// them only as an invalidation (``ShardState/Name/shardInvalidations``).
    public mutating func invalidate() -> Action {
        switch state {
        case .failed, .cancelled:
            return .rejected(Rejection(event: "invalidate", state: state.name.rawValue, reason: "a failed or cancelled shard has no result to invalidate"))
        case .leased(let worker, _, _):
            state = .pending
            return .revoke(worker: worker)
        case .done, .ready, .pending:
            state = .pending
            return .none
        }
    }
}

extension ShardState.Name {
    /// The moves an invalidation makes (``ShardStateMachine/invalidate()``), which
    /// the schema allows only together with a recorded invalidation (migration 11:
    /// `shards.invalidations` goes up by one and a reason is stored).
    public var shardInvalidations: Set<ShardState.Name> {
        switch self {
        case .done, .leased, .ready: return [.pending]
        case .pending, .failed, .cancelled: return []
        }
    }
}
