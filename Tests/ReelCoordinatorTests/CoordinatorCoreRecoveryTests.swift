import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// The core's recovery, reconciliation and decode stage, driven by events with
/// no database: rows come in as ``JobSnapshot``s, as the I/O layer reads them.
@Suite struct CoordinatorCoreRecoveryTests {
    typealias Farm = CoordinatorCoreTests

    /// Job 1's rows: every shard in `state` (done ones with an output).
    static func snapshot(_ state: ShardState = .done(worker: "a", attempt: 1), job: JobRuntime) throws -> JobSnapshot {
        let spec = try StoredJob(request: job.request, model: job.model, decodeWarmup: nil).json()
        let shards = job.plan.shards.map { shard in
            (shard: shard, row: ItemSnapshot(state: state, token: 1, worker: "a", outputSHA: state.name == .done ? "sha-\(shard)" : nil))
        }
        return JobSnapshot(id: job.id, state: .running(attempt: 1), spec: spec, promptSHA: "p", negativeSHA: nil, latentsSHA: nil, shards: shards, chunks: [])
    }

    static func has(_ actions: [CoordinatorAction], _ match: (CoordinatorAction) -> Bool) -> Bool { actions.contains(where: match) }

    /// A running job whose shards are all done always goes on to decoding: at
    /// start, and again at the next reconciliation after a transient failure.
    @Test func aRunningJobWithEveryShardDoneIsBlended() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Farm.origin)
        let stored = try Self.snapshot(job: Farm.job())
        let actions = core.handle(.recovered([stored]))
        #expect(Self.has(actions) { if case .blendClip(1, _, let outputs, let chunks) = $0 { return outputs.count == core.jobs[1]?.plan.finalShards.count && !chunks.isEmpty } else { return false } })
        #expect(core.jobs[1]?.finishing == true)
        // The blend is in flight: a reconciliation does not start a second one.
        #expect(!Self.has(core.handle(.databaseRead(.success([stored])))) { if case .blendClip = $0 { return true } else { return false } })

        let failed = core.handle(.clipBlended(1, outcome: .failure(OffLoopFailure("database away", transient: true))))
        #expect(core.jobs[1]?.machine.state.name == .running && core.jobs[1]?.finishing == false)
        #expect(!Self.has(failed) { if case .setJobFailed = $0 { return true } else { return false } })
        let again = core.handle(.databaseRead(.success([stored])))
        #expect(Self.has(again) { if case .blendClip(1, _, _, _) = $0 { return true } else { return false } })

        // Blended: the job decodes, its chunks ready.
        let chunks = DecodeChunk.layout(latentFrames: core.jobs[1]!.plan.latent.frames, size: 8, warmup: 2, temporalStride: 4)
        _ = core.handle(.clipBlended(1, outcome: .success(BlendedClip(latentsSHA: "clip", chunks: chunks))))
        #expect(core.jobs[1]?.machine.state.name == .decoding)
        #expect(core.jobs[1]?.decode?.hasReadyChunk(now: Farm.at(0).stamp) == true)
    }

    /// A job the database cannot resume fails there, with the reason.
    @Test func aJobThatCannotBeResumedIsFailed() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Farm.origin)
        var stored = try Self.snapshot(job: Farm.job())
        stored.shards.removeLast()
        let actions = core.handle(.recovered([stored]))
        #expect(Self.has(actions) { if case .setJobFailed(1, let reason) = $0 { return reason.contains("shard rows") } else { return false } })
        #expect(core.jobs.isEmpty)
    }

    /// The reconciler repairs each difference: a job gone from the database
    /// leaves memory (its work cancelled, slots freed), an item whose state
    /// differs takes the database's, and one being recorded is left alone.
    @Test func theReconcilerRepairsDifferences() throws {
        var core = try Farm.farm()
        _ = Farm.lease(&core, Farm.first, token: 1)
        let second = ShardID(region: 1, block: 0)
        _ = Farm.lease(&core, second, token: 1)
        _ = core.handle(.shardResult(Farm.peerA, job: 1, shard: second, token: 1, frames: [], at: Farm.at(1)))
        // The database: the first shard was requeued (a lost answer), the second is done.
        var stored = try Self.snapshot(.pending, job: core.jobs[1]!)
        for index in stored.shards.indices {
            switch stored.shards[index].shard {
            case Farm.first: stored.shards[index].row = ItemSnapshot(state: .ready(attempts: 1, notBefore: nil), token: 1)
            case second: stored.shards[index].row = ItemSnapshot(state: .done(worker: "a", attempt: 1), token: 1, worker: "a", outputSHA: "s")
            case let shard where shard.block == 0: stored.shards[index].row = ItemSnapshot(state: .ready(attempts: 0, notBefore: nil), token: 0)
            default: break
            }
        }
        _ = core.handle(.databaseRead(.success([stored])))
        #expect(Farm.state(core) == .ready(attempts: 1, notBefore: nil))
        #expect(core.workers[Farm.peerA]?.running[.shard(job: 1, Farm.first)] == nil)
        // Being recorded: the outcome decides, not the reconciler.
        #expect(Farm.state(core, second)?.name == .leased)

        let gone = core.handle(.databaseRead(.success([])))
        #expect(core.jobs.isEmpty)
        #expect(core.workers[Farm.peerA]?.freeSlots == 2)
        #expect(Self.has(gone) { if case .log(.warning, "repaired: job is no longer active in the database", _) = $0 { return true } else { return false } })
    }

    /// A decode result being recorded is not requeued when its worker is lost;
    /// the last segment stored orders the video joined.
    @Test func segmentsAreRecordedThenJoined() throws {
        var core = try Farm.farm()
        let chunks = DecodeChunk.layout(latentFrames: core.jobs[1]!.plan.latent.frames, size: 16, warmup: 2, temporalStride: 4)
        core.jobs[1]?.machine = JobStateMachine(state: .decoding(attempt: 1))
        let policy = core.config.policy
        core.jobs[1]?.decode = DecodeProgress(chunks: chunks, latentsSHA: "clip", policy: policy)
        let claims = chunks.map { ChunkClaim(job: 1, chunk: $0.index, attempt: 1) }.prefix(2)
        let built = core.handle(.chunksClaimed(peer: Farm.peerA, worker: "a", claims: .success(Array(claims)), at: Farm.at(0)))
        #expect(built.filter { if case .buildChunkAssignment = $0 { return true } else { return false } }.count == claims.count)
        var results: [CoordinatorAction] = []
        for claim in claims {
            var result = Reel_V1_DecodeResult()
            result.jobID = 1
            result.chunk = UInt32(claim.chunk)
            result.attempt = 1
            results += core.handle(.decodeResult(Farm.peerA, result, at: Farm.at(1)))
        }
        #expect(results.filter { if case .recordSegment = $0 { return true } else { return false } }.count == claims.count)
        let lost = core.handle(.tick(at: Farm.at(6)))
        #expect(!Self.has(lost) { if case .requeue = $0 { return true } else { return false } })
        var joins: [CoordinatorAction] = []
        for claim in claims {
            joins += core.handle(.segmentRecorded(peer: Farm.peerA, worker: "a", job: 1, chunk: claim.chunk, attempt: 1, outcome: .committed(sha: "seg\(claim.chunk)", ready: []), at: Farm.at(7)))
        }
        let finished = claims.count == chunks.count
        #expect(Self.has(joins) { if case .joinVideo(1, _, let segments, "clip") = $0 { return segments.count == chunks.count } else { return false } } == finished)
    }

    /// A loop recovered while decoding keeps the layout its chunks were made with:
    /// on the circle (13 latent frames: 52 frames), or start to end (49) when its
    /// chunk 0 has no warm-up, a decode begun before loops were decoded as circles,
    /// so its video is joined with the frames its segments hold.
    @Test(arguments: [true, false])
    func aDecodingLoopKeepsTheLayoutItsChunksWereMadeWith(circle: Bool) throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Farm.origin)
        var stored = try Self.snapshot(job: Farm.job(loop: true))
        let layout = DecodeChunk.layout(latentFrames: 13, size: 8, warmup: 2, temporalStride: 4, loop: circle)
        #expect(layout.map(\.warmup) == (circle ? [2, 2] : [0, 2]))
        stored.state = .decoding(attempt: 1)
        stored.latentsSHA = "clip"
        stored.chunks = layout.map {
            StoredChunk(
                index: $0.index, frames: $0.frames, warmup: $0.warmup,
                row: ItemSnapshot(state: .done(worker: "a", attempt: 1), token: 1, worker: "a", outputSHA: "seg\($0.index)"))
        }
        let actions = core.handle(.recovered([stored]))
        let chunks = try #require(core.jobs[1]?.decode?.chunks)
        #expect(chunks.map(\.cycle) == Array(repeating: circle ? 13 : nil, count: 2))
        #expect(chunks.map(\.pixelFrames) == (circle ? [0 ..< 32, 32 ..< 52] : [0 ..< 29, 29 ..< 49]))
        #expect(Self.has(actions) { if case .joinVideo(1, let description, let segments, "clip") = $0 {
            return segments == ["seg0", "seg1"] && description.frames == (circle ? 52 : 49)
        } else { return false } })
    }
}
