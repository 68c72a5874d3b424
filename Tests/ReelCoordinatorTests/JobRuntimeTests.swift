import Foundation
import ReelPlan
import ReelStore
import Testing

@testable import ReelCoordinator

/// The coordinator's pure bookkeeping, with no sockets or database.
@Suite struct JobRuntimeTests {
    func runtime(frames: Int = 49, loop: Bool = false) throws -> JobRuntime {
        let request = JobRequest(
            model: "m", frames: frames, width: 64, height: 64, seed: 3,
            plan: PlanConfig(window: 6, overlap: 2, loop: loop, steps: 4, blendEvery: 2))
        let plan = try request.makePlan(model: .wan21_1_3B)
        var shards: [ShardID: ShardRecord] = [:]
        for shard in plan.shards {
            var machine = ShardStateMachine()
            if shard.block == 0 { _ = machine.dependenciesMet() }
            shards[shard] = ShardRecord(machine: machine, token: 0, outputSHA: nil)
        }
        return JobRuntime(
            id: 1, request: request, model: .wan21_1_3B, plan: plan, promptSHA: "p", negativeSHA: nil, decodeWarmup: nil,
            machine: JobStateMachine(state: .running(attempt: 1)), shards: shards)
    }

    static func complete(_ job: inout JobRuntime, _ shard: ShardID) {
        _ = job.shards[shard]!.machine.lease(to: "w", now: Timestamp(milliseconds: 0))
        _ = job.shards[shard]!.machine.complete(by: "w", attempt: 1)
        job.shards[shard]!.outputSHA = "sha-\(shard)"
    }

    /// The store decides readiness from each dependent's full input list, so the
    /// runtime must hand it every input of every dependent (written out by hand
    /// for a middle window: the windows on either side overlap it, no others do).
    @Test func dependentsCarryTheirWholeInputLists() throws {
        let job = try runtime()
        #expect(job.plan.windows.count >= 3)
        let dependents = job.dependentsWithInputs(of: ShardID(region: 1, block: 0))
        #expect(dependents.map(\.shard) == [0, 1, 2].map { ShardID(region: $0, block: 1) })
        #expect(dependents[1].inputs == [0, 1, 2].map { ShardID(region: $0, block: 0) })
        #expect(dependents[0].inputs == [0, 1].map { ShardID(region: $0, block: 0) })
        #expect(job.dependentsWithInputs(of: ShardID(region: 1, block: 1)).isEmpty)
    }

    /// A shard's input is described by the stored outputs it blends (not tensors):
    /// noise for block 0, the previous block's overlapping outputs otherwise, and a
    /// missing output is an error naming the region.
    @Test func inputRecipesNameStoredOutputs() throws {
        var job = try runtime()
        let shard = ShardID(region: 1, block: 1)
        let before = job
        #expect(throws: PlanError.self) { try before.inputRecipe(for: shard) }
        for dep in job.plan.dependencies(of: shard) { Self.complete(&job, dep) }
        guard case .blend(let box, let outputs) = try job.inputRecipe(for: shard) else {
            Issue.record("block 1 must blend")
            return
        }
        #expect(box == job.plan.regions[1].box)
        #expect(outputs == [0: "sha-r0/b0", 1: "sha-r1/b0", 2: "sha-r2/b0"])
        guard case .noise(let seed, _) = try job.inputRecipe(for: ShardID(region: 0, block: 0)) else {
            Issue.record("block 0 starts from noise")
            return
        }
        #expect(seed == 3)
    }

    /// Blending the finished clip span by span into a blob gives exactly the bytes
    /// of blending the whole clip at once (what `latents_sha256` was defined on),
    /// for plain and looping clips and any span length.
    @Test(arguments: [(false, 1), (false, 4), (false, 100), (true, 3)])
    func clipBlendBySpansEqualsWholeBlend(loop: Bool, span: Int) throws {
        let job = try runtime(frames: 49, loop: loop)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-clipblend-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let blobs = try BlobStore(directory: directory)
        var outputs: [Int: [Float]] = [:]
        var stored: [Int: String] = [:]
        for region in job.plan.regions {
            // Distinct values per region and position, so a wrong weight or offset shows.
            let base = Float(region.index * 1000)
            let values: [Float] = (0 ..< region.box.count).map { (i: Int) -> Float in base + Float(i % 977) * 0.5 }
            outputs[region.index] = values
            stored[region.index] = try blobs.putFloats(values)
        }
        let whole = try job.plan.blend(outputs: outputs, into: job.plan.clipBox)
        let sha = try ClipBlend.blend(plan: job.plan, outputs: stored, blobs: blobs, spanFrames: span)
        #expect(try blobs.getFloats(sha) == whole)
        let latent = job.plan.latent
        let middle = try ClipBlend.read(sha, latent: latent, frames: [3 ..< 7], blobs: blobs)
        let plane = latent.height * latent.width
        var expected: [Float] = []
        for c in 0 ..< latent.channels {
            let start = (c * latent.frames + 3) * plane
            expected += whole[start ..< start + 4 * plane]
        }
        #expect(middle == expected)
    }

    /// The coordinator's mirror of a worker's embeddings cache: least recently
    /// used goes first, a use refreshes, and a forgotten id must be sent again.
    @Test func embeddingsMirrorIsLeastRecentlyUsed() {
        var mirror = EmbeddingsMirror(capacity: 2)
        var held: [Bool] = []
        for id in ["a", "b", "a", "c", "a", "b"] { held.append(mirror.use(id)) }
        // c evicts b, the least recently used; a stays because it was used again.
        #expect(held == [false, false, true, false, true, false])
        mirror.forget("b")
        let again = mirror.use("b")
        #expect(!again)
    }

    /// Junk traffic is logged a bounded number of times per interval, and the
    /// next admitted entry says how many were dropped.
    @Test func rejectionsAreRateLimited() {
        var log = RateLimitedLog(perInterval: 2, interval: .seconds(10))
        let t0 = ContinuousClock.now
        #expect(log.admit(now: t0) == 0)
        #expect(log.admit(now: t0) == 0)
        #expect(log.admit(now: t0) == nil)
        #expect(log.admit(now: t0 + .seconds(1)) == nil)
        #expect(log.admit(now: t0 + .seconds(11)) == 2)
    }
}
