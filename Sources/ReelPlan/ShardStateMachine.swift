/// The life of one shard as a value: each event is a `mutating` method that moves
/// the state and returns the ``Action`` the caller must perform (the I/O: store
/// writes, messages to workers). Events that are not allowed return
/// ``Action/rejected(_:)`` and leave the state alone; nothing traps.
///
/// ```
/// pending ─dependenciesMet→ ready ─lease→ leased ─complete→ done
///                             ↑            │ fail / leaseExpired / workerLost
///                             └─(attempts left, after backoff)─┘
///                                          └─(none left)→ failed ─reset→ pending
/// any non-final ─cancel→ cancelled
/// ```
public struct ShardStateMachine: Hashable, Sendable {
    /// The current state.
    public internal(set) var state: ShardState
    /// Lease length, attempts and backoff.
    public let policy: RetryPolicy

    public init(state: ShardState = .pending, policy: RetryPolicy = .default) {
        self.state = state
        self.policy = policy
    }

    /// What the caller must do after an event.
    public enum Action: Hashable, Sendable {
        /// Put the shard in the ready queue (leasable from `notBefore`, if set).
        case enqueue(notBefore: Timestamp?)
        /// Send the shard to `worker` as attempt `attempt`, lease until `expiresAt`.
        case dispatch(worker: String, attempt: Int, expiresAt: Timestamp)
        /// Record the lease's new expiry.
        case extendLease(expiresAt: Timestamp)
        /// Keep the output of `worker`'s attempt; release dependents whose inputs are now complete.
        case storeOutput(worker: String, attempt: Int)
        /// The attempt was lost; requeue from `notBefore`.
        case retry(attempt: Int, reason: String, notBefore: Timestamp)
        /// No attempts left; fail the job with `reason`.
        case failJob(reason: String)
        /// Tell `worker` to stop (cancelled while leased).
        case revoke(worker: String)
        /// Nothing to do.
        case none
        /// The event was not allowed; the state is unchanged.
        case rejected(Rejection)
    }

    /// The previous block's overlapping shards are done (or this is block 0).
    /// A work item whose inputs exist from the start (a block-0 shard, a decode
    /// chunk): the state ``dependenciesMet()`` leaves a new machine in, for rows the
    /// store creates ready, where its `enqueue` is already carried out.
    public static func ready(policy: RetryPolicy) -> ShardStateMachine {
        var machine = ShardStateMachine(policy: policy)
        machine.state = .ready(attempts: 0, notBefore: nil)
        return machine
    }

    public mutating func dependenciesMet() -> Action {
        guard case .pending = state else { return reject("dependenciesMet", "only a pending shard waits for dependencies") }
        state = .ready(attempts: 0, notBefore: nil)
        return .enqueue(notBefore: nil)
    }

    /// `worker` takes the shard at `now`.
    public mutating func lease(to worker: String, now: Timestamp) -> Action {
        guard case .ready(let attempts, let notBefore) = state else {
            return reject("lease", "only a ready shard can be leased")
        }
        if let notBefore, now < notBefore {
            return reject("lease", "backing off until \(notBefore.milliseconds) ms")
        }
        let expiresAt = now.advanced(by: policy.leaseDuration)
        state = .leased(worker: worker, attempt: attempts + 1, expiresAt: expiresAt)
        return .dispatch(worker: worker, attempt: attempts + 1, expiresAt: expiresAt)
    }

    /// The lease holder is alive at `now`: extend its lease.
    public mutating func heartbeat(from worker: String, attempt: Int, now: Timestamp) -> Action {
        guard case .leased(let holder, let current, let expiresAt) = state else {
            return reject("heartbeat", "only a leased shard takes heartbeats")
        }
        guard holder == worker, current == attempt else {
            return reject("heartbeat", "lease belongs to \(holder) attempt \(current)")
        }
        // A heartbeat that arrives after expiry is too late: leaseExpired decides.
        guard now < expiresAt else { return reject("heartbeat", "lease expired at \(expiresAt.milliseconds) ms") }
        let extended = now.advanced(by: policy.leaseDuration)
        state = .leased(worker: worker, attempt: attempt, expiresAt: extended)
        return .extendLease(expiresAt: extended)
    }

    /// The lease holder returned its output.
    public mutating func complete(by worker: String, attempt: Int) -> Action {
        guard case .leased(let holder, let current, _) = state else {
            return reject("complete", "only a leased shard can complete")
        }
        // Only the current lease may complete; a stale attempt's output is dropped so
        // that exactly one output per shard is ever stored.
        guard holder == worker, current == attempt else {
            return reject("complete", "lease belongs to \(holder) attempt \(current)")
        }
        state = .done(worker: worker, attempt: attempt)
        return .storeOutput(worker: worker, attempt: attempt)
    }

    /// The lease holder reports a failure.
    public mutating func fail(by worker: String, attempt: Int, reason: String, now: Timestamp) -> Action {
        guard case .leased(let holder, let current, _) = state else {
            return reject("fail", "only a leased shard can fail")
        }
        guard holder == worker, current == attempt else {
            return reject("fail", "lease belongs to \(holder) attempt \(current)")
        }
        return lose(attempt: current, reason: reason, now: now)
    }

    /// The coordinator's timer found the lease past its expiry at `now`.
    public mutating func leaseExpired(now: Timestamp) -> Action {
        guard case .leased(let holder, let attempt, let expiresAt) = state else {
            return reject("leaseExpired", "only a leased shard has a lease")
        }
        guard now >= expiresAt else { return reject("leaseExpired", "lease runs until \(expiresAt.milliseconds) ms") }
        return lose(attempt: attempt, reason: "lease of \(holder) expired", now: now)
    }

    /// `worker` disconnected; if it held this shard, the attempt is lost.
    public mutating func workerLost(_ worker: String, now: Timestamp) -> Action {
        guard case .leased(let holder, let attempt, _) = state, holder == worker else {
            return reject("workerLost", "shard is not leased to \(worker)")
        }
        return lose(attempt: attempt, reason: "worker \(worker) lost", now: now)
    }

    /// The job was cancelled.
    public mutating func cancel() -> Action {
        switch state {
        case .done, .cancelled:
            return reject("cancel", "shard already finished")
        case .leased(let worker, _, _):
            state = .cancelled
            return .revoke(worker: worker)
        case .pending, .ready, .failed:
            state = .cancelled
            return .none
        }
    }

    /// The job is retried: a failed shard starts over with fresh attempts. It goes
    /// back to pending because its inputs are re-checked like any other shard's.
    public mutating func reset() -> Action {
        guard case .failed = state else { return reject("reset", "only a failed shard is reset") }
        state = .pending
        return .none
    }

    private mutating func lose(attempt: Int, reason: String, now: Timestamp) -> Action {
        if attempt >= policy.maxAttempts {
            state = .failed(attempts: attempt, reason: reason)
            return .failJob(reason: reason)
        }
        let notBefore = now.advanced(by: policy.backoff(afterAttempt: attempt))
        state = .ready(attempts: attempt, notBefore: notBefore)
        return .retry(attempt: attempt + 1, reason: reason, notBefore: notBefore)
    }

    private func reject(_ event: String, _ reason: String) -> Action {
        .rejected(Rejection(event: event, state: state.name.rawValue, reason: reason))
    }
}
