import PropertyBased
import Testing
import ReelPlan

@Suite struct ShardStateMachineTests {
    let t0 = Timestamp(seconds: 1_000)
    let policy = RetryPolicy(maxAttempts: 2, leaseDuration: .seconds(60), baseBackoff: .seconds(5), maxBackoff: .seconds(60))

    @Test func happyPath() {
        var shard = ShardStateMachine(policy: policy)
        #expect(shard.state == .pending)
        #expect(shard.dependenciesMet() == .enqueue(notBefore: nil))
        #expect(shard.lease(to: "w1", now: t0) == .dispatch(worker: "w1", attempt: 1, expiresAt: Timestamp(seconds: 1_060)))
        #expect(shard.heartbeat(from: "w1", attempt: 1, now: Timestamp(seconds: 1_030)) == .extendLease(expiresAt: Timestamp(seconds: 1_090)))
        #expect(shard.complete(by: "w1", attempt: 1) == .storeOutput(worker: "w1", attempt: 1))
        #expect(shard.state == .done(worker: "w1", attempt: 1))
        #expect(shard.state.isFinal && shard.state.name == .done)
    }

    /// A machine made ready is the one `dependenciesMet()` leaves, and takes a lease.
    @Test func readyIsWhereDependenciesMetLeavesANewMachine() {
        var met = ShardStateMachine(policy: policy)
        #expect(met.dependenciesMet() == .enqueue(notBefore: nil))
        var ready = ShardStateMachine.ready(policy: policy)
        #expect(ready == met && ready.state == .ready(attempts: 0, notBefore: nil))
        #expect(ready.lease(to: "w1", now: t0) == .dispatch(worker: "w1", attempt: 1, expiresAt: Timestamp(seconds: 1_060)))
    }

    @Test func lostAttemptsRetryAfterBackoffThenFailTheJob() {
        var shard = ShardStateMachine(state: .ready(attempts: 0, notBefore: nil), policy: policy)
        _ = shard.lease(to: "w1", now: t0)
        #expect(shard.workerLost("w1", now: t0) == .retry(attempt: 2, reason: "worker w1 lost", notBefore: Timestamp(seconds: 1_005)))
        #expect(shard.state == .ready(attempts: 1, notBefore: Timestamp(seconds: 1_005)))
        // Leasing during the backoff is refused; after it, allowed.
        guard case .rejected = shard.lease(to: "w2", now: Timestamp(seconds: 1_004)) else {
            Issue.record("lease during backoff was accepted")
            return
        }
        #expect(shard.lease(to: "w2", now: Timestamp(seconds: 1_005)) == .dispatch(worker: "w2", attempt: 2, expiresAt: Timestamp(seconds: 1_065)))
        #expect(shard.fail(by: "w2", attempt: 2, reason: "OOM", now: Timestamp(seconds: 1_010)) == .failJob(reason: "OOM"))
        #expect(shard.state == .failed(attempts: 2, reason: "OOM"))
        #expect(!shard.state.isFinal)
        #expect(shard.reset() == .none)
        #expect(shard.state == .pending)
    }

    @Test func leaseExpiryOnlyAfterTheExpiry() {
        var shard = ShardStateMachine(state: .leased(worker: "w1", attempt: 1, expiresAt: t0), policy: policy)
        guard case .rejected = shard.leaseExpired(now: Timestamp(seconds: 999)) else {
            Issue.record("expired early")
            return
        }
        #expect(shard.leaseExpired(now: t0) == .retry(attempt: 2, reason: "lease of w1 expired", notBefore: Timestamp(seconds: 1_005)))
    }

    @Test func staleWorkersCannotCompleteFailOrHeartbeat() {
        var shard = ShardStateMachine(state: .leased(worker: "w2", attempt: 2, expiresAt: t0), policy: policy)
        let before = shard
        for action in [
            shard.complete(by: "w1", attempt: 1),
            shard.complete(by: "w2", attempt: 1),
            shard.fail(by: "w1", attempt: 1, reason: "late", now: t0),
            shard.heartbeat(from: "w1", attempt: 1, now: Timestamp(seconds: 999)),
            shard.heartbeat(from: "w2", attempt: 2, now: t0),  // at expiry: too late
            shard.workerLost("w1", now: t0),
        ] {
            guard case .rejected(let rejection) = action else {
                Issue.record("accepted \(action)")
                continue
            }
            #expect(rejection.state == "leased")
        }
        #expect(shard == before)
    }

    @Test func cancelFromEveryNonFinalState() {
        let cases: [(ShardState, ShardStateMachine.Action)] = [
            (.pending, .none),
            (.ready(attempts: 1, notBefore: nil), .none),
            (.leased(worker: "w", attempt: 1, expiresAt: t0), .revoke(worker: "w")),
            (.failed(attempts: 3, reason: "x"), .none),
        ]
        for (state, action) in cases {
            var shard = ShardStateMachine(state: state)
            #expect(shard.cancel() == action)
            #expect(shard.state == .cancelled)
        }
        var done = ShardStateMachine(state: .done(worker: "w", attempt: 1))
        guard case .rejected(let rejection) = done.cancel() else {
            Issue.record("cancelled a done shard")
            return
        }
        #expect(rejection.event == "cancel" && rejection.state == "done")
        #expect(done.state == .done(worker: "w", attempt: 1))
    }

    @Test func backoffDoublesUpToTheCap() {
        let p = RetryPolicy(baseBackoff: .seconds(5), maxBackoff: .seconds(30))
        #expect((1...5).map { p.backoff(afterAttempt: $0) } == [.seconds(5), .seconds(10), .seconds(20), .seconds(30), .seconds(30)])
    }

    @Test func namesAreTheStoredEnumLabels() {
        #expect(ShardState.Name.allCases.map(\.rawValue) == ["pending", "ready", "leased", "done", "failed", "cancelled"])
        #expect(ShardState.Name(rawValue: "leased") == .leased)
    }

    /// Every transition the machine makes must be an edge of the diagram in STATES.md,
    /// and a rejected event must leave the state unchanged — under any event sequence.
    @Test func randomEventSequencesOnlyFollowDocumentedEdges() async {
        let allowed: Set<String> = [
            "pending>ready", "ready>leased", "leased>leased", "leased>done", "leased>ready", "leased>failed",
            "failed>pending", "pending>cancelled", "ready>cancelled", "leased>cancelled", "failed>cancelled",
        ]
        await propertyCheck(input: Gen.int(in: 0...8).array(of: 1...40), Gen.int(in: 0...2).array(of: 40)) { events, workers in
            var shard = ShardStateMachine(policy: RetryPolicy(maxAttempts: 3))
            var now = Timestamp(seconds: 0)
            for (i, event) in events.enumerated() {
                let worker = "w\(workers[i])"
                let attempt: Int
                if case .leased(_, let a, _) = shard.state { attempt = a } else { attempt = 1 }
                now = now.advanced(by: .seconds(20))
                let before = shard.state
                let action: ShardStateMachine.Action
                switch event {
                case 0: action = shard.dependenciesMet()
                case 1: action = shard.lease(to: worker, now: now)
                case 2: action = shard.heartbeat(from: worker, attempt: attempt, now: now)
                case 3: action = shard.complete(by: worker, attempt: attempt)
                case 4: action = shard.fail(by: worker, attempt: attempt, reason: "boom", now: now)
                case 5: action = shard.leaseExpired(now: now)
                case 6: action = shard.workerLost(worker, now: now)
                case 7: action = shard.reset()
                default: action = shard.cancel()
                }
                if case .rejected = action {
                    #expect(shard.state == before)
                } else {
                    let edge = "\(before.name.rawValue)>\(shard.state.name.rawValue)"
                    #expect(allowed.contains(edge), "undocumented transition \(edge) on event \(event)")
                }
                if case .leased(_, let a, _) = shard.state { #expect(a >= 1 && a <= 3) }
            }
        }
    }
}
