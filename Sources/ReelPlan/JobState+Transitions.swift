extension JobState.Name {
    /// The states a job may move to from this one: exactly the moves of
    /// ``JobStateMachine``. The farm schema refuses every other change of
    /// `jobs.state` with a trigger (ReelStore's migration 2, which holds the same
    /// table as SQL; a store test checks that the two agree). Staying in a state is
    /// not a move and is always allowed.
    public var successors: Set<JobState.Name> {
        switch self {
        case .queued: return [.running, .failed, .cancelled]
        case .running: return [.decoding, .failed, .cancelled]
        case .decoding: return [.succeeded, .failed, .cancelled]
        // A retry always runs again; a job whose shards are all done goes on to decoding from there.
        case .failed: return [.running, .cancelled]
        case .succeeded, .cancelled: return []
        }
    }
}
