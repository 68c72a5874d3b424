import ReelPlan

extension ShardStateMachine {
    /// Whether `worker` already holds the lease at `attempt` in memory: a read-back
    /// (after a release or a stale requeue) took the row after the statements lane
    /// committed that worker's claim, and before the claim's answer came.
    func isLeased(to worker: String, attempt: Int) -> Bool {
        guard case .leased(let holder, let held, _) = state else { return false }
        return holder == worker && held == attempt
    }

    /// Memory's side of a claim the database granted `worker` at `attempt`: a lease
    /// memory already holds for that claim dispatches as it is (giving it back as
    /// stale would leave the row ready and memory leased until the reconciler's next
    /// pass); otherwise ``lease(to:now:)`` decides.
    mutating func take(claimOf worker: String, attempt: Int, now: Timestamp) -> Action {
        guard case .leased(worker, attempt, let expiresAt) = state else { return lease(to: worker, now: now) }
        return .dispatch(worker: worker, attempt: attempt, expiresAt: expiresAt)
    }
}
