import ReelPlan
import Testing

/// The transition tables the farm schema enforces (`successors`,
/// `shardSuccessors`) are exactly the moves the state machines make: every event
/// is tried in every state, and the moves it makes are collected.
@Suite struct TransitionTableTests {
    private static func table<Name: Hashable>(_ names: [Name], _ successors: (Name) -> Set<Name>) -> Set<[Name]> {
        Set(names.flatMap { from in successors(from).map { [from, $0] } })
    }

    @Test func jobTableIsTheMachinesMoves() {
        let states: [JobState] = [
            .queued, .running(attempt: 1), .decoding(attempt: 1), .succeeded, .failed(attempt: 1, reason: "x"), .cancelled,
        ]
        let events: [(inout JobStateMachine) -> JobStateMachine.Action] = [
            { $0.start() }, { $0.shardsDone() }, { $0.decoded() }, { $0.fail(reason: "x") }, { $0.retry() }, { $0.cancel() },
        ]
        var moves: Set<[JobState.Name]> = []
        for state in states {
            for event in events {
                var machine = JobStateMachine(state: state)
                if case .rejected = event(&machine) { continue }
                if machine.state.name != state.name { moves.insert([state.name, machine.state.name]) }
            }
        }
        #expect(moves == Self.table(JobState.Name.allCases, \.successors))
    }

    @Test func shardTableIsTheMachinesMoves() {
        let t0 = Timestamp(milliseconds: 1_000_000)
        let policy = RetryPolicy(maxAttempts: 2, leaseDuration: .seconds(60), baseBackoff: .seconds(5), maxBackoff: .seconds(60))
        let states: [ShardState] = [
            .pending, .ready(attempts: 0, notBefore: nil),
            .leased(worker: "w", attempt: 1, expiresAt: t0), .leased(worker: "w", attempt: 2, expiresAt: t0),
            .done(worker: "w", attempt: 1), .failed(attempts: 2, reason: "x"), .cancelled,
        ]
        let events: [(inout ShardStateMachine) -> ShardStateMachine.Action] = [
            { $0.dependenciesMet() }, { $0.lease(to: "w", now: t0) }, { $0.heartbeat(from: "w", attempt: 1, now: t0) },
            { $0.complete(by: "w", attempt: 1) }, { $0.fail(by: "w", attempt: 1, reason: "x", now: t0) },
            { $0.fail(by: "w", attempt: 2, reason: "x", now: t0) }, { $0.leaseExpired(now: t0) },
            { $0.workerLost("w", now: t0) }, { $0.cancel() }, { $0.reset() },
        ]
        var moves: Set<[ShardState.Name]> = []
        for state in states {
            for event in events {
                var machine = ShardStateMachine(state: state, policy: policy)
                if case .rejected = event(&machine) { continue }
                if machine.state.name != state.name { moves.insert([state.name, machine.state.name]) }
            }
        }
        #expect(moves == Self.table(ShardState.Name.allCases, \.shardSuccessors))
    }

    /// A decode chunk moves like a shard, except that it is never pending: it is
    /// created ready, and a retry puts a failed chunk back to ready.
    @Test func decodeChunksAreShardsWithoutPending() {
        let shards = Self.table(ShardState.Name.allCases, \.shardSuccessors)
        let chunks = Self.table(ShardState.Name.allCases, \.decodeChunkSuccessors)
        #expect(chunks.allSatisfy { !$0.contains(.pending) })
        #expect(chunks.subtracting(shards) == [[.failed, .ready]])
        #expect(shards.subtracting(chunks) == [[.failed, .pending], [.pending, .ready], [.pending, .cancelled]])
    }
}
