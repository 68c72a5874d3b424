import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// Memory learns the database's changes from three connections (the loop's, the
/// `statements` lane's, the `records` lane's), each in its own order. Two ways
/// it can lag were seen to fail a job in the verification farm test (a shard
/// granted while memory did not know an input's output, "cannot build the input
/// of shard r0/b1"); neither may cost a job.
@Suite struct MemoryLagCoreTests {
    typealias Farm = CoordinatorCoreTests

    static func job(_ core: CoordinatorCore) -> JobRuntime { core.jobs[1]! }

    /// A block-1 shard and its block-0 inputs.
    static func reader(_ core: CoordinatorCore) -> (shard: ShardID, inputs: [ShardID]) {
        let plan = job(core).plan
        let shard = plan.shards.first { $0.block == 1 && plan.dependencies(of: $0).count > 1 }!
        return (shard, plan.dependencies(of: shard))
    }

    /// The reconciler's snapshot can fall between two changes that bring a shard
    /// back where it was: made ready (its inputs settled), then reset by an
    /// invalidation, pending at the same token again. State and token are what
    /// memory held when it asked, yet the snapshot's `ready` is older than memory,
    /// not drift: adopted, memory would hold a ready shard the database has pending,
    /// whose inputs are being computed again.
    @Test func aSnapshotBetweenAReadinessAndAResetDoesNotUndoTheReset() throws {
        var core = try Farm.farm()
        let (shard, _) = Self.reader(core)
        #expect(Farm.state(core, shard) == .pending)

        #expect(core.handle(.reconcileDue).contains { if case .readActiveJobs = $0 { return true } else { return false } })
        // The statements lane reads the snapshot here: the shard is ready in it.
        _ = core.handle(.markedReady(job: 1, outcome: .success([shard]), because: .inputsSettled))
        #expect(Farm.state(core, shard)?.name == .ready)
        core.jobs[1]?.invalidating = 1
        _ = core.handle(
            .shardsInvalidated(
                job: 1, reason: "a lost a ballot", outcome: .success([InvalidatedShard(shard: shard, previous: .ready, worker: nil, attempt: 0, ready: false)])))
        #expect(Farm.state(core, shard) == .pending)

        var stored = try CoordinatorCoreRecoveryTests.snapshot(.pending, job: Self.job(core))
        for index in stored.shards.indices {
            let id = stored.shards[index].shard
            let record = Self.job(core).shards[id]!
            stored.shards[index].row = ItemSnapshot(state: record.machine.state, token: record.token)
            if id == shard { stored.shards[index].row = ItemSnapshot(state: .ready(attempts: 0, notBefore: nil), token: 0) }
        }
        let repaired = core.handle(.databaseRead(.success([stored])))
        #expect(Farm.state(core, shard) == .pending, "the older snapshot undid the reset")
        #expect(!repaired.contains { if case .log(_, "repaired: shard state differs", _) = $0 { return true } else { return false } })

        // Asked after the reset, the same difference is drift, and is repaired.
        _ = core.handle(.reconcileDue)
        _ = core.handle(.databaseRead(.success([stored])))
        #expect(Farm.state(core, shard)?.name == .ready)
    }

    /// The database grants a shard (its inputs are done there) while memory does
    /// not know an input's output yet: the claim goes back and the rows are read
    /// again, and the job goes on; the next claim is assigned.
    @Test func aClaimWhoseInputMemoryDoesNotKnowIsGivenBackNotFailed() throws {
        var core = try Farm.farm()
        let (shard, inputs) = Self.reader(core)
        let lagging = inputs[1]
        for input in inputs where input != lagging {
            InvalidationCoreTests.setState(&core, input, .done(worker: "a", attempt: 1), sha: "out-\(input)")
        }
        InvalidationCoreTests.setState(&core, shard, .ready(attempts: 0, notBefore: nil), token: 0)

        let claimed = Farm.lease(&core, shard, token: 1, at: Farm.at(1))
        try #require(core.jobs[1]?.machine.state.name == .running, "the job failed for memory's lag")
        #expect(!claimed.contains { if case .buildShardAssignment = $0 { return true } else { return false } })
        #expect(claimed.contains { if case .release(.shard(1, shard), 1, "a", _, true) = $0 { return true } else { return false } }, "\(claimed)")
        #expect(claimed.contains { if case .readBack(.shard(1, lagging), nil) = $0 { return true } else { return false } }, "\(claimed)")

        // The rows as read again: the input is done with its output, the shard ready.
        _ = core.handle(.readBack(.shard(job: 1, lagging), row: .success(ItemSnapshot(state: .done(worker: "a", attempt: 1), token: 1, worker: "a", outputSHA: "late")), fallback: nil))
        _ = core.handle(.readBack(.shard(job: 1, shard), row: .success(ItemSnapshot(state: .ready(attempts: 0, notBefore: nil), token: 1)), fallback: nil))
        let again = Farm.lease(&core, shard, token: 2, at: Farm.at(2))
        let built = again.compactMap { action -> ShardInputRecipe? in
            if case .buildShardAssignment(let order) = action { return order.recipe }
            return nil
        }
        guard case .blend(_, let outputs)? = built.first else {
            Issue.record("no assignment built: \(again)")
            return
        }
        #expect(outputs[lagging.region] == "late")
    }

    /// A lease the database granted and an invalidation revoked before memory
    /// heard of the claim: memory takes the row's newer token, so the reconciler
    /// finds nothing to repair, and the claim's late answer is given back rather
    /// than built (the shard is ready again: the next claim, a newer token, is).
    @Test func aRevokedLeaseMemoryHadNotHeardOfLeavesItsTokenAndItsAnswerIsStale() throws {
        var core = try Farm.farm()
        core.jobs[1]?.invalidating = 1
        _ = core.handle(
            .shardsInvalidated(
                job: 1, reason: "a lost a ballot", outcome: .success([InvalidatedShard(shard: Farm.first, previous: .leased, worker: "a", attempt: 4, ready: true)])))
        #expect(core.jobs[1]?.shards[Farm.first]?.token == 4)
        #expect(Farm.state(core)?.name == .ready)

        let late = Farm.lease(&core, Farm.first, token: 4, at: Farm.at(1))
        #expect(!late.contains { if case .buildShardAssignment = $0 { return true } else { return false } }, "\(late)")
        #expect(late.contains { if case .release(.shard(1, Farm.first), 4, "a", _, false) = $0 { return true } else { return false } }, "\(late)")
        #expect(Farm.state(core)?.name == .ready)

        let next = Farm.lease(&core, Farm.first, token: 5, at: Farm.at(2))
        #expect(next.contains { if case .buildShardAssignment = $0 { return true } else { return false } }, "\(next)")
    }
}
