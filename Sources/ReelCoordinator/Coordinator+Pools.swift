import ReelPlan

/// Pools as the API reports them: a job that requires a pool no connected worker
/// is in waits, and says so.
extension Coordinator {
    /// The pools of the connected workers that may be leased to (copied for the `queries` lane).
    var connectedPools: Set<String> {
        Set(core.workers.values.flatMap(\.pools))
    }
}

extension FarmAPI.JobStatus {
    /// Sets ``waiting`` when the job is unfinished and requires a pool that
    /// none of `pools` (the connected workers') is.
    func waiting(pools: Set<String>) -> FarmAPI.JobStatus {
        var status = self
        guard let pool, ["queued", "running", "decoding"].contains(state), !pools.contains(pool) else { return status }
        status.waiting = "no connected worker is in pool '\(pool)'; start one with `reel worker --pool \(pool)`"
        return status
    }
}
