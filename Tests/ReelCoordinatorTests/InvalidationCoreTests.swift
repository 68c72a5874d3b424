import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// A lost ballot invalidates the loser's other results: the core orders the
/// reset of every unconfirmed result of the quarantined worker and of its cone
/// (shards blended from it), readying in the same transaction only shards whose
/// inputs are all outside the reset and settled; memory follows the database's
/// answer, revoking leases. Expected sets follow from the plan's overlaps
/// (window r at block 1 blends windows r−1…r+1 of block 0), not from the code.
@Suite struct InvalidationCoreTests {
    typealias T = CoordinatorCoreTests
    typealias V = VerificationCoreTests
    static func s(_ region: Int, _ block: Int) -> ShardID { ShardID(region: region, block: block) }

    static func invalidations(_ actions: [CoordinatorAction]) -> [(shards: Set<ShardID>, ready: Set<ShardID>)] {
        actions.compactMap { action in
            if case .invalidateShards(1, let shards, let candidates, _) = action { return (Set(shards), Set(candidates.map(\.shard))) }
            return nil
        }
    }

    static func setState(_ core: inout CoordinatorCore, _ shard: ShardID, _ state: ShardState, sha: String? = nil, token: Int = 1) {
        let policy = core.config.policy
        core.jobs[1]?.shards[shard] = ShardRecord(machine: ShardStateMachine(state: state, policy: policy), token: token, outputSHA: sha)
    }

    /// "a" poisons (0,0) (checked) and (2,0) (not checked); (1,0) by "a" was
    /// confirmed by an earlier check; (2,1), blended from (2,0), is leased to "b".
    /// When "a" loses the ballot on (0,0), (2,0) and its cone (1,1), (2,1) are
    /// reset; (2,0) is ready at once (block 0 reads noise only).
    @Test func aLostBallotResetsTheLosersUncheckedResultsAndTheirCone() throws {
        var core = try V.farm()
        Self.setState(&core, Self.s(1, 0), .done(worker: "a", attempt: 1), sha: "a10")
        core.jobs[1]?.confirmed.insert(Self.s(1, 0))
        Self.setState(&core, Self.s(2, 0), .done(worker: "a", attempt: 1), sha: "a20")
        Self.setState(&core, Self.s(2, 1), .leased(worker: "b", attempt: 3, expiresAt: Timestamp(milliseconds: 9_000_000)), token: 3)
        _ = V.complete(&core, sha: "poisoned")
        _ = core.handle(.dispatchDue(at: T.at(1), lanesBehind: false))
        _ = core.handle(.assignmentBuilt(peer: T.peerB, work: .shard(job: 1, V.first), token: 1, frames: .success([Data()])))
        _ = V.rerunResult(&core, from: T.peerB, at: T.at(2))
        _ = core.handle(.rerunCompared(worker: "b", job: 1, shard: V.first, token: 1, vote: .differs(sha: "honest", maxdiff: 1), at: T.at(2)))
        _ = core.handle(.dispatchDue(at: T.at(3), lanesBehind: false))
        _ = core.handle(.assignmentBuilt(peer: V.peerC, work: .shard(job: 1, V.first), token: 1, frames: .success([Data()])))
        _ = V.rerunResult(&core, from: V.peerC, at: T.at(4))
        let decided = core.handle(.rerunCompared(worker: "c", job: 1, shard: V.first, token: 1, vote: .agrees(sha: "honest", maxdiff: 0), at: T.at(4)))
        #expect(Self.invalidations(decided).isEmpty, "nothing is reset before the quarantine is recorded")
        core.workers[T.peerB]?.running[.shard(job: 1, Self.s(2, 1))] = T.origin

        let settled = core.handle(.verificationSettled(job: 1, shard: V.first, token: 1, adopt: "honest", quarantine: ["a"], outcome: .success(true)))
        let orders = Self.invalidations(settled)
        #expect(orders.count == 1)
        #expect(orders.first?.shards == [Self.s(2, 0), Self.s(1, 1), Self.s(2, 1)], "the adopted (0,0) and the confirmed (1,0) stay")
        #expect(orders.first?.ready == [Self.s(2, 0)], "(1,1) and (2,1) read (2,0), which is redone")

        let rows = [
            InvalidatedShard(shard: Self.s(2, 0), previous: .done, worker: "a", attempt: 1, ready: true),
            InvalidatedShard(shard: Self.s(2, 1), previous: .leased, worker: "b", attempt: 3, ready: false),
        ]
        let applied = core.handle(.shardsInvalidated(job: 1, reason: "a lost", outcome: .success(rows)))
        #expect(T.state(core, Self.s(2, 0)) == .ready(attempts: 0, notBefore: nil))
        #expect(T.state(core, Self.s(2, 1)) == .pending)
        #expect(core.jobs[1]?.shards[Self.s(2, 0)]?.outputSHA == nil)
        #expect(core.jobs[1]?.shards[Self.s(1, 0)]?.outputSHA == "a10")
        let cancels = applied.compactMap { action -> (PeerID, WorkRef, Int)? in
            if case .cancel(let peer, let work, let token, _) = action { return (peer, work, token) }
            return nil
        }
        #expect(cancels.count == 1 && cancels.first?.0 == T.peerB && cancels.first?.1 == .shard(job: 1, Self.s(2, 1)) && cancels.first?.2 == 3, "\(cancels)")
        #expect(core.workers[T.peerB]?.running[.shard(job: 1, Self.s(2, 1))] == nil, "the revoked lease's slot is free")
        #expect(applied.contains { if case .tally(.invalidated(2)) = $0 { return true } else { return false } })
    }

    /// A result of a quarantined worker that commits afterwards (it was being
    /// recorded) is reset at once, with whatever read it.
    @Test func aQuarantinedWorkersLateResultIsInvalidated() throws {
        var core = try V.farm()
        core.quarantined = ["a"]
        _ = T.lease(&core, Self.s(1, 0), token: 1, at: T.at(0))
        _ = core.handle(.shardResult(T.peerA, job: 1, shard: Self.s(1, 0), token: 1, frames: [Data()], at: T.at(0)))
        let recorded = core.handle(
            .shardRecorded(peer: T.peerA, worker: "a", job: 1, shard: Self.s(1, 0), attempt: 1, outcome: .committed(sha: "late", ready: []), at: T.at(0)))
        let orders = Self.invalidations(recorded)
        #expect(orders.first?.shards == [Self.s(1, 0), Self.s(0, 1), Self.s(1, 1), Self.s(2, 1)])
        #expect(core.jobs[1]?.checks[Self.s(1, 0)] == nil, "a result to be reset is not checked")
    }

    /// A failed reset changes no memory.
    @Test func aFailedResetLeavesMemoryAlone() throws {
        var core = try V.farm()
        Self.setState(&core, Self.s(2, 0), .done(worker: "a", attempt: 1), sha: "a20")
        let failed = core.handle(.shardsInvalidated(job: 1, reason: "a lost", outcome: .failure(StoreFailure("down"))))
        #expect(T.state(core, Self.s(2, 0)) == .done(worker: "a", attempt: 1))
        #expect(failed.contains { if case .log(.error, _, _) = $0 { return true } else { return false } })
    }

    // MARK: The redo set (pure)

    /// 3 windows × 3 blocks (``VerificationTests/plan()``). Roots (0,1): cone (0,1), (0,2), (1,2).
    /// Inputs whose blobs were collected are computed again, transitively.
    @Test func theRedoSetIsTheConePlusCollectedInputs() throws {
        let plan = try VerificationTests.plan()
        let s = Self.s
        var states: [ShardID: ShardState.Name] = [:]
        for shard in plan.shards { states[shard] = .done }
        #expect(InvalidationCone.redo(from: [s(0, 1)], in: plan, states: states, collected: []) == [s(0, 1), s(0, 2), s(1, 2)])
        // (0,1) reads (0,0), (1,0); (1,2) reads (1,1), which reads (0,0)…(2,0).
        let collected: Set<ShardID> = [s(0, 0), s(1, 0), s(2, 0), s(1, 1)]
        #expect(
            InvalidationCone.redo(from: [s(0, 1)], in: plan, states: states, collected: collected)
                == [s(0, 1), s(0, 2), s(1, 2), s(0, 0), s(1, 0), s(1, 1), s(2, 0)])
        states[s(1, 2)] = .cancelled
        #expect(InvalidationCone.redo(from: [s(0, 1)], in: plan, states: states, collected: []) == [s(0, 1), s(0, 2)])
    }

    @Test func theMachineInvalidatesDoneLeasedAndReadyShardsToPending() {
        let policy = RetryPolicy.default
        var done = ShardStateMachine(state: .done(worker: "a", attempt: 1), policy: policy)
        #expect(done.invalidate() == .none && done.state == .pending)
        var leased = ShardStateMachine(state: .leased(worker: "b", attempt: 2, expiresAt: Timestamp(milliseconds: 1)), policy: policy)
        #expect(leased.invalidate() == .revoke(worker: "b") && leased.state == .pending)
        var cancelled = ShardStateMachine(state: .cancelled, policy: policy)
        if case .rejected = cancelled.invalidate() {} else { Issue.record("a cancelled shard cannot be invalidated") }
        #expect(cancelled.state == .cancelled)
        for name in ShardState.Name.allCases {
            #expect(name.shardInvalidations.isSubset(of: [.pending]))
        }
    }
}
