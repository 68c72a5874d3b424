/// The life of a job as a value: each event is a `mutating` method that moves the
/// state and returns the ``Action`` the caller performs. Disallowed events return
/// ``Action/rejected(_:)`` and change nothing.
///
/// ```
/// queued ─start→ running ─shardsDone→ decoding ─decoded→ succeeded
///   │              │  ↑                  │
///   │            fail └────retry──── failed ←─fail─┘
///   └──fail─────────────────────────→ failed
/// queued, running, decoding, failed ─cancel→ cancelled
/// ```
public struct JobStateMachine: Hashable, Sendable {
    /// The current state.
    public private(set) var state: JobState

    public init(state: JobState = .queued) { self.state = state }

    /// What the caller must do after an event.
    public enum Action: Hashable, Sendable {
        /// Create the shard rows and mark the block-0 shards ready.
        case startShards(attempt: Int)
        /// Blend the last block's outputs over the clip and decode.
        case decode
        /// Store the video and notify the submitter.
        case publish
        /// Revoke leased shards and record `reason`.
        case abort(reason: String)
        /// Reset failed shards (``ShardStateMachine/reset()``) and requeue ready ones.
        case resumeShards(attempt: Int)
        /// Cancel every shard that is not done (``ShardStateMachine/cancel()``).
        case cancelShards
        /// The event was not allowed; the state is unchanged.
        case rejected(Rejection)
    }

    /// A coordinator picks up the queued job.
    public mutating func start() -> Action {
        guard case .queued = state else { return reject("start", "only a queued job starts") }
        state = .running(attempt: 1)
        return .startShards(attempt: 1)
    }

    /// Every shard of the last block is done.
    public mutating func shardsDone() -> Action {
        guard case .running(let attempt) = state else { return reject("shardsDone", "only a running job has shards in flight") }
        state = .decoding(attempt: attempt)
        return .decode
    }

    /// The decoded video is stored.
    public mutating func decoded() -> Action {
        guard case .decoding = state else { return reject("decoded", "only a decoding job finishes decoding") }
        state = .succeeded
        return .publish
    }

    /// Something the job cannot recover from by itself: a shard out of attempts, a
    /// decode error, or a plan that no longer validates while queued.
    public mutating func fail(reason: String) -> Action {
        switch state {
        case .queued:
            state = .failed(attempt: 0, reason: reason)
        case .running(let attempt), .decoding(let attempt):
            state = .failed(attempt: attempt, reason: reason)
        case .succeeded, .failed, .cancelled:
            return reject("fail", "only a queued, running or decoding job can fail")
        }
        return .abort(reason: reason)
    }

    /// Run a failed job again. Always back to running: if decoding failed, every
    /// shard is still done and the coordinator moves straight on to decoding.
    public mutating func retry() -> Action {
        guard case .failed(let attempt, _) = state else { return reject("retry", "only a failed job is retried") }
        state = .running(attempt: attempt + 1)
        return .resumeShards(attempt: attempt + 1)
    }

    /// A lost ballot's cone reached the last block of a decoding job: the clip it
    /// decodes was blended from a disproved result. The job goes back to running
    /// (same run), its decode abandoned, and blends and decodes again once the
    /// redone shards are done.
    ///
    /// Not in ``JobState/Name/successors``: the schema allows decoding → running
    /// only as a counted invalidation (migration 13, ``JobState/Name/jobInvalidations``).
    public mutating func invalidateDecode() -> Action {
        guard case .decoding(let attempt) = state else {
            return .rejected(Rejection(event: "invalidateDecode", state: state.name.rawValue, reason: "only a decoding job has a decode to abandon"))
        }
        state = .running(attempt: attempt)
        return .resumeShards(attempt: attempt)
    }

    /// A user cancels the job.
    public mutating func cancel() -> Action {
        guard !state.isFinal else { return reject("cancel", "job already \(state.name.rawValue)") }
        state = .cancelled
        return .cancelShards
    }

    private func reject(_ event: String, _ reason: String) -> Action {
        .rejected(Rejection(event: event, state: state.name.rawValue, reason: reason))
    }
}
