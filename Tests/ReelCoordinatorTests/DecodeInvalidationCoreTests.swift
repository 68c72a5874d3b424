import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// A lost ballot whose cone reaches the last block of a job that already decodes
/// abandons that decode: the core orders the job back to running with its chunks
/// and the cone reset in one transaction, and memory follows the answer (chunk
/// leases revoked, abandoned segments, previews and latents collected, the job
/// running again). The job (``CoordinatorCoreTests/job(id:)``) has 3 windows × 2
/// blocks; window r at block 1 blends windows r−1…r+1 of block 0, so a poisoned
/// (2,0) reaches (1,1) and (2,1), two of the three final shards.
@Suite struct DecodeInvalidationCoreTests {
    typealias T = CoordinatorCoreTests
    typealias V = VerificationCoreTests
    static func s(_ region: Int, _ block: Int) -> ShardID { ShardID(region: region, block: block) }
    static let poisoned = s(2, 0)

    /// Job 1 decoding: every shard done by "b" but (2,0) by "a"; chunk 0's segment
    /// stored (by "c"), chunk 1 leased to "b" at token 4.
    static func decoding(collectBlobs: Bool) throws -> CoordinatorCore {
        var config = CoordinatorConfig(dataDirectory: "/nonexistent")
        config.verification = VerificationPolicy(fraction: 1)
        config.collectBlobs = collectBlobs
        var core = CoordinatorCore(config: config, startedAt: T.origin)
        for (name, peer) in zip(["a", "b", "c"], [T.peerA, T.peerB, V.peerC]) {
            _ = core.handle(.hello(peer, T.hello(name), at: T.at(0)))
            _ = core.handle(.workerRegistered(peer, outcome: .committed))
        }
        core.jobs[1] = try T.job()
        let policy = core.config.policy
        for shard in try #require(core.jobs[1]).plan.shards {
            let worker = shard == poisoned ? "a" : "b"
            core.jobs[1]?.shards[shard] = ShardRecord(
                machine: ShardStateMachine(state: .done(worker: worker, attempt: 1), policy: policy), token: 1, outputSHA: "\(worker)\(shard.region)\(shard.block)")
        }
        core.jobs[1]?.machine = JobStateMachine(state: .decoding(attempt: 1))
        let chunks = DecodeChunk.layout(latentFrames: 13, size: 7, warmup: 1, temporalStride: 4)
        var decode = DecodeProgress(chunks: chunks, latentsSHA: "latents", policy: policy)
        decode.machines[0] = ShardStateMachine(state: .done(worker: "c", attempt: 1), policy: policy)
        decode.segments[0] = "segment0"
        decode.machines[1] = ShardStateMachine(state: .leased(worker: "b", attempt: 4, expiresAt: Timestamp(milliseconds: 9_000_000)), policy: policy)
        decode.tokens[1] = 4
        core.jobs[1]?.decode = decode
        core.workers[T.peerB]?.running[.chunk(job: 1, 1)] = T.origin
        return core
    }

    static func orders(_ actions: [CoordinatorAction]) -> [(shards: Set<ShardID>, ready: Set<ShardID>)] {
        actions.compactMap { action in
            if case .invalidateDecode(1, let shards, let candidates, _) = action { return (Set(shards), Set(candidates.map(\.shard))) }
            return nil
        }
    }

    /// With intermediates kept, the redo is the cone: (2,0), (1,1), (2,1); (2,0)
    /// is ready at once (block 0 reads noise only).
    @Test func aConeReachingTheLastBlockOfADecodingJobAbandonsItsDecode() throws {
        var core = try Self.decoding(collectBlobs: false)
        let ordered = core.invalidateResults(of: ["a"], reason: "a lost")
        let orders = Self.orders(ordered)
        #expect(orders.count == 1)
        #expect(orders.first?.shards == [Self.poisoned, Self.s(1, 1), Self.s(2, 1)])
        #expect(orders.first?.ready == [Self.poisoned])
        #expect(core.jobs[1]?.invalidating == 1)
        #expect(core.startJoin(1).isEmpty, "no video is joined while the decode may be abandoned")

        let reset = InvalidatedDecode(
            latentsSHA: "latents",
            chunks: [
                .init(chunk: 0, previous: .done, worker: "c", attempt: 1, segmentSHA: "segment0", previewSHA: "preview0"),
                .init(chunk: 1, previous: .leased, worker: "b", attempt: 4, segmentSHA: nil, previewSHA: nil),
            ],
            shards: [
                InvalidatedShard(shard: Self.poisoned, previous: .done, worker: "a", attempt: 1, ready: true),
                InvalidatedShard(shard: Self.s(1, 1), previous: .done, worker: "b", attempt: 1, ready: false),
                InvalidatedShard(shard: Self.s(2, 1), previous: .done, worker: "b", attempt: 1, ready: false),
            ])
        let applied = core.handle(.decodeInvalidated(job: 1, reason: "a lost", outcome: .success(reset)))
        #expect(core.jobs[1]?.machine.state == .running(attempt: 1))
        #expect(core.jobs[1]?.decode == nil)
        #expect(core.jobs[1]?.invalidating == 0)
        #expect(T.state(core, Self.poisoned) == .ready(attempts: 0, notBefore: nil))
        #expect(T.state(core, Self.s(1, 1)) == .pending && T.state(core, Self.s(2, 1)) == .pending)
        #expect(T.state(core, Self.s(0, 1)) == .done(worker: "b", attempt: 1), "a final shard outside the cone stays done")
        let cancels = applied.compactMap { action -> (PeerID, WorkRef, Int)? in
            if case .cancel(let peer, let work, let token, _) = action { return (peer, work, token) }
            return nil
        }
        #expect(cancels.count == 1 && cancels.first?.0 == T.peerB && cancels.first?.1 == .chunk(job: 1, 1) && cancels.first?.2 == 4, "\(cancels)")
        #expect(core.workers[T.peerB]?.running[.chunk(job: 1, 1)] == nil, "the revoked chunk lease's slot is free")
        let collected = applied.flatMap { action -> [String] in
            if case .collectBlobs(1, _, let chunks) = action { return chunks.map(\.1) }
            return []
        }
        #expect(Set(collected) == ["segment0", "preview0", "latents"])
        #expect(core.startFinalBlend(1).isEmpty, "the clip waits for the redone shards")

        // The redone shards are done: the clip is blended again.
        let policy = core.config.policy
        for shard in [Self.poisoned, Self.s(1, 1), Self.s(2, 1)] {
            core.jobs[1]?.shards[shard] = ShardRecord(
                machine: ShardStateMachine(state: .done(worker: "c", attempt: 2), policy: policy), token: 2, outputSHA: "c\(shard.region)\(shard.block)")
        }
        #expect(core.startFinalBlend(1).contains { if case .blendClip(1, _, _, _) = $0 { return true } else { return false } })
    }

    /// The last block's blobs went with the first blend: every final shard is
    /// computed again, and with them each collected input, back to block 0.
    @Test func withCollectedIntermediatesTheWholeJobIsRedone() throws {
        var core = try Self.decoding(collectBlobs: true)
        let orders = Self.orders(core.invalidateResults(of: ["a"], reason: "a lost"))
        let plan = try #require(core.jobs[1]?.plan)
        #expect(orders.first?.shards == Set(plan.shards))
        #expect(orders.first?.ready == [Self.s(0, 0), Self.s(1, 0), Self.s(2, 0)])
    }

    /// A blend in flight: the invalidation waits for its answer, then abandons the decode it started.
    @Test func anInvalidationDuringTheFinalBlendWaitsForIt() throws {
        var core = try Self.decoding(collectBlobs: false)
        core.jobs[1]?.machine = JobStateMachine(state: .running(attempt: 1))
        core.jobs[1]?.decode = nil
        core.jobs[1]?.finishing = true
        core.quarantined = ["a"]
        let deferred = core.invalidateResults(of: ["a"], reason: "a lost")
        #expect(Self.orders(deferred).isEmpty)
        #expect(!deferred.contains { if case .invalidateShards = $0 { return true } else { return false } })
        #expect(core.jobs[1]?.deferredInvalidation == "a lost")
        let chunks = DecodeChunk.layout(latentFrames: 13, size: 7, warmup: 1, temporalStride: 4)
        let blended = core.handle(.clipBlended(1, outcome: .success(BlendedClip(latentsSHA: "latents", chunks: chunks))))
        #expect(core.jobs[1]?.machine.state == .decoding(attempt: 1))
        #expect(Self.orders(blended).first?.shards == [Self.poisoned, Self.s(1, 1), Self.s(2, 1)])
        #expect(core.jobs[1]?.deferredInvalidation == nil)
    }

    /// A failed reset changes no memory: the job decodes on.
    @Test func aFailedResetLeavesTheDecodeAlone() throws {
        var core = try Self.decoding(collectBlobs: false)
        _ = core.invalidateResults(of: ["a"], reason: "a lost")
        let failed = core.handle(.decodeInvalidated(job: 1, reason: "a lost", outcome: .failure(StoreFailure("down"))))
        #expect(core.jobs[1]?.machine.state == .decoding(attempt: 1) && core.jobs[1]?.decode != nil && core.jobs[1]?.invalidating == 0)
        #expect(failed.contains { if case .log(.error, _, _) = $0 { return true } else { return false } })
        var machine = JobStateMachine(state: .running(attempt: 2))
        if case .rejected = machine.invalidateDecode() {} else { Issue.record("only a decoding job abandons a decode") }
    }
}
