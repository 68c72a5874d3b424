import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// Confirmed results survive a restart: an agreeing check orders its
/// confirmation stored, and a resumed job takes its confirmed shards back, so a
/// later lost ballot of their worker leaves them done. The job
/// (``CoordinatorCoreTests/job(id:)``) has 3 windows × 2 blocks; window r at
/// block 1 blends windows r−1…r+1 of block 0.
@Suite struct ConfirmedResultRecoveryTests {
    typealias T = CoordinatorCoreTests
    typealias V = VerificationCoreTests
    static func s(_ region: Int, _ block: Int) -> ShardID { ShardID(region: region, block: block) }

    /// Block 0 done by "a" (with (0,0) confirmed when `confirmed`), block 1 pending.
    static func resumed(confirmed: Set<ShardID>) throws -> CoordinatorCore {
        var core = try V.farm()
        core.jobs[1] = nil
        _ = core.handle(.recovered([try PersistedCheckCoreTests.blockZeroDone(confirmed: confirmed.union([Self.s(0, 1)]))]))
        return core
    }

    static func reset(_ actions: [CoordinatorAction]) -> Set<ShardID> {
        Set(actions.flatMap { action -> [ShardID] in
            if case .invalidateShards(1, let shards, _, _) = action { return shards }
            return []
        })
    }

    @Test func aResumedJobKeepsItsConfirmedResultsThroughALaterLostBallot() throws {
        var core = try Self.resumed(confirmed: [Self.s(0, 0)])
        #expect(core.jobs[1]?.confirmed == [Self.s(0, 0)], "a pending shard is not confirmed, whatever a row says")
        let kept = Self.reset(core.invalidateResults(of: ["a"], reason: "a lost"))
        #expect(kept == [Self.s(1, 0), Self.s(2, 0), Self.s(0, 1), Self.s(1, 1), Self.s(2, 1)], "the confirmed (0,0) stays")
        // Without the stored confirmation, (0,0) would be taken for suspect too.
        var forgetful = try Self.resumed(confirmed: [])
        #expect(Self.reset(forgetful.invalidateResults(of: ["a"], reason: "a lost")).contains(Self.s(0, 0)))
    }

    @Test func anAgreeingCheckOrdersItsConfirmationStored() throws {
        var core = try V.farm()
        V.settleOthers(&core)
        #expect(V.complete(&core) == [])
        _ = core.handle(.dispatchDue(at: T.at(1), lanesBehind: false))
        _ = core.handle(.assignmentBuilt(peer: T.peerB, work: .shard(job: 1, V.first), token: 1, frames: .success([Data()])))
        _ = V.rerunResult(&core, from: T.peerB, at: T.at(2))
        let matched = core.handle(.rerunCompared(worker: "b", job: 1, shard: V.first, token: 1, vote: .agrees(sha: "x", maxdiff: 0), at: T.at(3)))
        #expect(matched.contains { if case .confirmResult(1, V.first, 1) = $0 { return true } else { return false } }, "\(matched)")
        #expect(core.jobs[1]?.confirmed.contains(V.first) == true)
    }

    /// A quarantine commits before the reset it orders: a coordinator restarted in
    /// between loads the quarantine first and resets the resumed job's unconfirmed
    /// results of that worker (and their cone), sparing the confirmed (0,0).
    @Test func aResumedJobIsClearedOfAQuarantinedWorkersUnconfirmedResults() throws {
        var core = try V.farm()
        core.jobs[1] = nil
        _ = core.handle(.quarantineLoaded(["a"]))
        let resumed = core.handle(.recovered([try PersistedCheckCoreTests.blockZeroDone(confirmed: [Self.s(0, 0)])]))
        #expect(Self.reset(resumed) == [Self.s(1, 0), Self.s(2, 0), Self.s(0, 1), Self.s(1, 1), Self.s(2, 1)])
        #expect(!resumed.contains { if case .markReady = $0 { return true } else { return false } }, "nothing is readied from a result being reset")
        // Nobody quarantined: nothing to reset.
        var clean = try V.farm()
        clean.jobs[1] = nil
        #expect(Self.reset(clean.handle(.recovered([try PersistedCheckCoreTests.blockZeroDone()]))).isEmpty)
    }

    /// A released worker's results are used again: its late result is not reset.
    @Test func aLiftedQuarantineLetsTheWorkersResultsStand() throws {
        var core = try V.farm()
        _ = core.handle(.quarantineLoaded(["a", "z"]))
        _ = core.handle(.quarantineLifted("a"))
        #expect(core.quarantined == ["z"])
        _ = T.lease(&core, Self.s(1, 0), token: 1, at: T.at(0))
        _ = core.handle(.shardResult(T.peerA, job: 1, shard: Self.s(1, 0), token: 1, frames: [Data()], at: T.at(0)))
        let recorded = core.handle(
            .shardRecorded(peer: T.peerA, worker: "a", job: 1, shard: Self.s(1, 0), attempt: 1, outcome: .committed(sha: "late", ready: []), at: T.at(0)))
        #expect(Self.reset(recorded).isEmpty)
    }
}
