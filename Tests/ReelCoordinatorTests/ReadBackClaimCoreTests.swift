import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// A read-back can see a claim the statements lane committed before the claim's
/// answer arrives: memory then already holds that lease when the answer comes, and
/// the claim must be dispatched, not given back (giving it back left the row ready
/// and memory leased until the reconciler's next pass).
@Suite struct ReadBackClaimCoreTests {
    typealias Farm = CoordinatorCoreTests

    static func snapshot(leasedTo worker: String, attempt: Int) -> ItemSnapshot {
        ItemSnapshot(state: .leased(worker: worker, attempt: attempt, expiresAt: Farm.at(30).stamp), token: attempt, worker: worker, outputSHA: nil)
    }

    static func releases(_ actions: [CoordinatorAction]) -> Bool {
        actions.contains { if case .release = $0 { return true } else { return false } }
    }

    @Test func aShardClaimTheReadBackAlreadyTookIsDispatched() throws {
        var core = try Farm.farm()
        let work = WorkRef.shard(job: 1, Farm.first)
        _ = core.handle(.readBack(work, row: .success(Self.snapshot(leasedTo: "a", attempt: 2)), fallback: nil))
        #expect(Farm.state(core) == .leased(worker: "a", attempt: 2, expiresAt: Farm.at(30).stamp))

        let answered = Farm.lease(&core, token: 2, at: Farm.at(1))
        #expect(!Self.releases(answered), "the claim memory already held was given back: \(answered)")
        #expect(answered.contains { if case .buildShardAssignment(let order) = $0 { return order.token == 2 } else { return false } })
        #expect(core.jobs[1]?.shards[Farm.first]?.token == 2)
    }

    /// The same lease held by another worker, or at another attempt, is still not
    /// this claim's: that answer goes back as before.
    @Test func aClaimMemoryHoldsForAnotherWorkerOrAttemptIsStillGivenBack() throws {
        var core = try Farm.farm()
        let work = WorkRef.shard(job: 1, Farm.first)
        _ = core.handle(.readBack(work, row: .success(Self.snapshot(leasedTo: "b", attempt: 2)), fallback: nil))
        #expect(Self.releases(Farm.lease(&core, token: 2, at: Farm.at(1))))

        var other = try Farm.farm()
        _ = other.handle(.readBack(work, row: .success(Self.snapshot(leasedTo: "a", attempt: 3)), fallback: nil))
        #expect(Self.releases(Farm.lease(&other, token: 2, at: Farm.at(1))))
    }
}
