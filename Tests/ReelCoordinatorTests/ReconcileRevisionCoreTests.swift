import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// The reconciler's baseline tells a value that came back where it was from one
/// that never moved: a job retried while the snapshot was read (running → failed →
/// running, rebuilt with new records), a decode chunk made ready and reset.
@Suite struct ReconcileRevisionCoreTests {
    typealias Farm = CoordinatorCoreTests

    static func logged(_ actions: [CoordinatorAction], _ message: String) -> Bool {
        actions.contains { if case .log(_, message, _) = $0 { return true } else { return false } }
    }

    /// The snapshot was read while the job was failed (so it is not among the active
    /// jobs), and a retry rebuilt the job before the answer came: the job's state
    /// reads `running` as it did when the read was asked for, but the runtime is a
    /// new one. Ending it would revoke the retried job's leases for a snapshot older
    /// than the retry.
    @Test func aJobRetriedDuringTheReadIsNotEndedByIt() throws {
        var core = try Farm.farm()
        let running = try CoordinatorCoreRecoveryTests.snapshot(.pending, job: core.jobs[1]!)
        #expect(core.handle(.reconcileDue).contains { if case .readActiveJobs = $0 { return true } else { return false } })
        let before = core.jobs[1]!.revision
        _ = try core.retried(running, reset: 0)
        #expect(core.jobs[1]?.machine.state.name == .running)
        #expect(core.jobs[1]?.revision != before)

        let read = core.handle(.databaseRead(.success([])))
        #expect(core.jobs[1] != nil, "the older snapshot ended the retried job")
        #expect(!Self.logged(read, "repaired: job is no longer active in the database"))

        // Asked for after the retry, the same answer is drift, and is repaired.
        _ = core.handle(.reconcileDue)
        let again = core.handle(.databaseRead(.success([])))
        #expect(core.jobs[1] == nil)
        #expect(Self.logged(again, "repaired: job is no longer active in the database"))
    }

    /// A record rebuilt from the database (`resume`) has a revision no earlier
    /// record had, so a baseline taken before the rebuild never matches it.
    @Test func aRebuiltShardRecordHasANewRevision() throws {
        let core = try Farm.farm()
        let old = core.jobs[1]!.shards[Farm.first]!
        let rebuilt = ShardRecord(machine: old.machine, token: old.token, outputSHA: old.outputSHA)
        #expect(rebuilt.revision != old.revision)
        #expect(rebuilt.machine == old.machine && rebuilt.token == old.token)
    }

    /// A decode chunk that went ready → leased → ready again at the same token is
    /// not the chunk it was: each change moves its revision on, and only its own.
    @Test func aDecodeChunkThatCameBackHasANewRevision() {
        let chunks = DecodeChunk.layout(latentFrames: 21, size: 8, warmup: 2, temporalStride: 4)
        #expect(chunks.count >= 2)
        let policy = RetryPolicy()
        var decode = DecodeProgress(chunks: chunks, latentsSHA: "clip", policy: policy)
        let start = decode.revisions
        #expect(Set(start).count == start.count, "two chunks share a revision")
        let ready = decode.machines[0]
        decode.machines[0] = ShardStateMachine(state: .leased(worker: "a", attempt: 0, expiresAt: Farm.at(30).stamp), policy: policy)
        decode.machines[0] = ready
        #expect(decode.machines[0] == ready && decode.tokens[0] == 0)
        #expect(decode.revisions[0] != start[0])
        #expect(Array(decode.revisions.dropFirst()) == Array(start.dropFirst()), "a change of chunk 0 moved another chunk's revision")
        let afterState = decode.revisions[0]
        decode.tokens[0] = 3
        #expect(decode.revisions[0] != afterState)
    }

    /// A lease extension (every heartbeat makes one) leaves the revision where it
    /// was: otherwise a leased shard, chunk or encoding would be left out of every
    /// comparison while its worker heartbeats, and its drift never repaired.
    @Test func aLeaseExtensionLeavesTheRevision() {
        let policy = RetryPolicy()
        let leased = ShardStateMachine(state: .leased(worker: "a", attempt: 1, expiresAt: Farm.at(30).stamp), policy: policy)
        var record = ShardRecord(machine: leased, token: 1)
        let start = record.revision
        record.machine = ShardStateMachine(state: .leased(worker: "a", attempt: 1, expiresAt: Farm.at(90).stamp), policy: policy)
        #expect(record.revision == start)
        record.machine = ShardStateMachine(state: .done(worker: "a", attempt: 1), policy: policy)
        #expect(record.revision != start)

        var decode = DecodeProgress(chunks: DecodeChunk.layout(latentFrames: 21, size: 8, warmup: 2, temporalStride: 4), latentsSHA: "clip", policy: policy)
        decode.machines[0] = leased
        let chunk = decode.revisions[0]
        decode.machines[0] = ShardStateMachine(state: .leased(worker: "a", attempt: 1, expiresAt: Farm.at(90).stamp), policy: policy)
        #expect(decode.revisions[0] == chunk)
    }

    /// A job whose state went decoding → running → decoding (an invalidation found
    /// it decoding, then it blended again) is not the job a snapshot read in between
    /// saw running: its revision moved on.
    @Test func aJobWhoseStateCameBackHasANewRevision() throws {
        var core = try Farm.farm()
        _ = core.handle(.reconcileDue)
        let running = core.jobs[1]!.machine
        let before = core.jobs[1]!.revision
        core.jobs[1]?.machine = JobStateMachine(state: .decoding(attempt: 1))
        core.jobs[1]?.machine = running
        #expect(core.jobs[1]?.machine.state.name == running.state.name)
        #expect(core.jobs[1]?.revision != before)
        let baseline = try #require(core.reconcileBaseline)
        #expect(!baseline.jobUnchanged(core.jobs[1]!), "the baseline took the job that came back for the one it saw")
    }

    /// The database's row for a source encoding (a read-back, a repair) changes the
    /// item in place: whether its latents go into the cache is decided at its claim
    /// and is not on the row, so taking the row must not reset it to "yes" (a row
    /// admitted before source forms would then fill the cache under another form's key).
    @Test func adoptingASourceRowKeepsWhetherItCaches() throws {
        var core = SourceEncodingCoreTests.core()
        let job = try SourceEncodingCoreTests.waitingJob()
        core.jobs[1] = job
        let index = try #require(job.sources.keys.min())
        core.jobs[1]?.sources[index]?.caches = false
        let before = core.jobs[1]!.sources[index]!.revision
        let actions = core.adopt(
            ItemSnapshot(state: .leased(worker: "a", attempt: 2, expiresAt: Farm.at(30).stamp), token: 2, worker: "a"), work: .source(job: 1, index))
        #expect(actions.isEmpty)
        #expect(core.jobs[1]?.sources[index]?.caches == false, "the row's adoption reset caches")
        #expect(core.jobs[1]?.sources[index]?.token == 2)
        #expect(core.jobs[1]?.sources[index]?.machine.state.name == .leased)
        #expect(core.jobs[1]?.sources[index]?.revision != before)
    }
}
