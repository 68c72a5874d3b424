import ReelPlan

extension ShardStateMachine {
    /// Whether `worker` already holds the lease at `attempt` in memory: a read-back
    /// (after a release or a stale requeue) took the row after the statements lane
    /// committed that worker's claim, and before the claim's answer came. The claim
    /// is then memory's own, to be dispatched, not given back as a stale one (which
    /// would leave the row ready and memory leased until the reconciler's next pass).
    func isLeased(to worker: String, attempt: Int) -> Bool {
        guard case .leased(let holder, let held, _) = state else { return false }
        return holder == worker && held == attempt
    }
}
