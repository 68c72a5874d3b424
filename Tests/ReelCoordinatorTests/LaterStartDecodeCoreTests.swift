import Foundation
import ReelPlan
import Testing

@testable import ReelCoordinator

/// Which decode chunks the coordinator has read a later-form clip start
/// (`DecodeAssignment.later_start`): for a model that draws latent frame 0 in later
/// form, every chunk whose run starts at the clip's latent frame 0; never a loop's
/// (its runs start on the circle's tail), and never for Wan's first form.
@Suite struct LaterStartDecodeCoreTests {
    typealias T = CoordinatorCoreTests

    /// The later-start flag of every chunk's assignment, in chunk order, for job 1 laid
    /// out in chunks of 4 latent frames with `warmup` frames of warm-up.
    static func laterStarts(form: SourceForm?, loop: Bool = false, warmup: Int) throws -> [Bool] {
        var core = try T.farm()
        var model = ModelGeometry.wan21_1_3B
        model.firstLatentForm = form
        let request = JobRequest(
            model: "wan", frames: 49, width: 64, height: 64, seed: 3, plan: PlanConfig(window: 6, overlap: 2, loop: loop, steps: 4, blendEvery: 2))
        let plan = try request.makePlan(model: model)
        core.jobs[1] = JobRuntime(
            id: 1, request: request, model: model, plan: plan, promptSHA: "p", negativeSHA: nil, decodeWarmup: warmup,
            machine: JobStateMachine(state: .decoding(attempt: 1)), shards: [:])
        let chunks = plan.decodeChunks(size: 4, warmup: warmup)
        let policy = core.config.policy
        core.jobs[1]?.decode = DecodeProgress(chunks: chunks, latentsSHA: "clip", policy: policy)
        var flags = [Int: Bool]()
        for chunk in chunks {
            let claim = ChunkClaim(job: 1, chunk: chunk.index, attempt: 1)
            for action in core.handle(.chunksClaimed(peer: T.peerA, worker: "a", claims: .success([claim]), at: T.at(0))) {
                if case .buildChunkAssignment(let order) = action { flags[order.chunk.index] = order.laterStart }
            }
            core.workers[T.peerA]?.running = [:]
        }
        try #require(flags.count == chunks.count, "every chunk was assigned")
        return chunks.map { flags[$0.index]! }
    }

    @Test func runsThatStartTheClipOfALaterFormModelReadItSo() throws {
        // 13 latent frames in chunks of 4: [0,4) [4,8) [8,12) [12,13). With 2 warm-up frames
        // only chunk 0 starts the clip; with 8, chunks 1 and 2 reach back to frame 0 too.
        #expect(try Self.laterStarts(form: .later, warmup: 2) == [true, false, false, false])
        #expect(try Self.laterStarts(form: .later, warmup: 8) == [true, true, true, false])
        #expect(try Self.laterStarts(form: nil, warmup: 8) == [false, false, false, false])
        #expect(try Self.laterStarts(form: .first, warmup: 2) == [false, false, false, false])
        // A loop is decoded as a circle: no run starts the clip.
        #expect(try Self.laterStarts(form: .later, loop: true, warmup: 2).allSatisfy { !$0 })
    }
}
