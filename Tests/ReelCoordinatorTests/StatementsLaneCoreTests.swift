import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// The core with its frequent statements answered on a later turn (the
/// `statements` lane): a claim in flight holds its worker's slots, and the
/// reconciler's snapshot, older than memory, never undoes what memory learnt
/// after asking for it.
@Suite struct StatementsLaneCoreTests {
    typealias Farm = CoordinatorCoreTests

    static func claims(_ actions: [CoordinatorAction]) -> Int {
        actions.filter { if case .claimShards = $0 { return true } else { return false } }.count
    }

    static func reads(_ actions: [CoordinatorAction]) -> Int {
        actions.filter { if case .readActiveJobs = $0 { return true } else { return false } }.count
    }

    /// Until its claim is answered, a worker is not claimed for again (the loop
    /// turns every few milliseconds; each turn would otherwise claim its slot again).
    @Test func aWorkerWithAClaimInFlightIsNotClaimedForAgain() throws {
        var core = try Farm.farm()
        let first = core.handle(.dispatchDue(at: Farm.at(0), lanesBehind: false))
        #expect(Self.claims(first) == 1)
        #expect(core.claiming[Farm.peerA] == 1)
        for turn in 1 ... 5 {
            #expect(Self.claims(core.handle(.dispatchDue(at: Farm.at(Double(turn) / 100), lanesBehind: false))) == 0)
        }
        // Answered with nothing granted (another coordinator's worker took it, say): free again.
        _ = core.handle(.shardsClaimed(peer: Farm.peerA, worker: "a", claims: .success([]), at: Farm.at(0.1), chunkLimit: nil))
        #expect(core.claiming[Farm.peerA] == nil)
        #expect(Self.claims(core.handle(.dispatchDue(at: Farm.at(0.2), lanesBehind: false))) == 1)
        // Answered with a shard: leased, and the worker is free for the next claim.
        _ = core.handle(.shardsClaimed(peer: Farm.peerA, worker: "a", claims: .success([Claim(job: 1, shard: Farm.first, attempt: 1)]), at: Farm.at(0.3), chunkLimit: nil))
        #expect(core.claiming[Farm.peerA] == nil)
        #expect(Farm.state(core)?.name == .leased)
    }

    /// A result recorded after the snapshot was asked for is newer than the
    /// snapshot: the shard stays done. A shard memory did not touch meanwhile is
    /// still repaired when the database differs.
    @Test func aSnapshotOlderThanMemoryDoesNotUndoAResult() throws {
        var core = try Farm.farm()
        _ = Farm.lease(&core, Farm.first, token: 1)
        let job = core.jobs[1]!
        let other = job.plan.shards.first { $0.block == 0 && $0 != Farm.first }!
        // The snapshot as the statements lane reads it, before the result commits.
        var stored = try CoordinatorCoreRecoveryTests.snapshot(.pending, job: job)
        for index in stored.shards.indices {
            let shard = stored.shards[index].shard
            switch shard {
            case Farm.first: stored.shards[index].row = ItemSnapshot(state: .leased(worker: "a", attempt: 1, expiresAt: Farm.at(30).stamp), token: 1, worker: "a")
            case other: stored.shards[index].row = ItemSnapshot(state: .ready(attempts: 1, notBefore: nil), token: 1)
            case let shard where shard.block == 0: stored.shards[index].row = ItemSnapshot(state: .ready(attempts: 0, notBefore: nil), token: 0)
            default: break
            }
        }
        #expect(Self.reads(core.handle(.reconcileDue)) == 1)
        // Asked again while the first read is unanswered: nothing more is queued.
        #expect(Self.reads(core.handle(.reconcileDue)) == 0)
        _ = core.handle(.shardResult(Farm.peerA, job: 1, shard: Farm.first, token: 1, frames: [], at: Farm.at(1)))
        _ = core.handle(
            .shardRecorded(peer: Farm.peerA, worker: "a", job: 1, shard: Farm.first, attempt: 1, outcome: .committed(sha: "s", ready: []), at: Farm.at(1)))
        #expect(Farm.state(core)?.name == .done)

        let repaired = core.handle(.databaseRead(.success([stored])))
        #expect(Farm.state(core)?.name == .done)
        #expect(core.jobs[1]?.shards[Farm.first]?.outputSHA == "s")
        #expect(Farm.state(core, other) == .ready(attempts: 1, notBefore: nil))
        #expect(CoordinatorCoreRecoveryTests.has(repaired) { if case .log(.warning, "repaired: shard state differs", let meta) = $0 { return meta["shard"] == "\(other)" } else { return false } })
        #expect(core.reconcileBaseline == nil)
    }

    /// A job admitted after the snapshot was asked for is not in it, and must not
    /// be ended; a job memory ended meanwhile is in it, and must not be resumed.
    /// At the next reconciliation the database is the newer, and counts.
    @Test func jobsThatMovedDuringTheReadAreLeftAlone() throws {
        var core = try Farm.farm()
        let stored = try CoordinatorCoreRecoveryTests.snapshot(.pending, job: core.jobs[1]!)
        #expect(Self.reads(core.handle(.reconcileDue)) == 1)
        _ = core.admitted(try Farm.job(id: 2))
        core.jobs[1] = nil  // ended in memory (finished, say) after the read was asked for
        _ = core.handle(.databaseRead(.success([stored])))
        #expect(core.jobs[2] != nil)
        #expect(core.jobs[1] == nil)

        // Asked for after both: job 2 is gone from the database, job 1 is active there.
        #expect(Self.reads(core.handle(.reconcileDue)) == 1)
        _ = core.handle(.databaseRead(.success([stored])))
        #expect(core.jobs[2] == nil)
        #expect(core.jobs[1] != nil)
    }
}

extension StatementsLaneCoreTests {
    /// A worker whose registration is still on its way to the database is not
    /// told to say hello again when it heartbeats: that would register it again,
    /// and a slow database would then set off a storm of registrations.
    @Test func aHeartbeatWhileRegisteringIsNotRefused() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Farm.origin)
        _ = core.handle(.hello(Farm.peerA, Farm.hello("a"), at: Farm.at(0)))
        let beat = core.handle(.heartbeat(Farm.peerA, running: [], at: Farm.at(0.5)))
        #expect(!beat.contains { if case .refuse = $0 { return true } else { return false } })
        let joined = core.handle(.workerRegistered(Farm.peerA, outcome: .committed))
        #expect(joined.contains { if case .welcome(Farm.peerA, "a") = $0 { return true } else { return false } })
        // Once registered, an unknown peer's heartbeat is refused as before.
        let stranger = core.handle(.heartbeat(Farm.peerB, running: [], at: Farm.at(1)))
        #expect(stranger.contains { if case .refuse(Farm.peerB, .notRegistered, _) = $0 { return true } else { return false } })
    }
}
