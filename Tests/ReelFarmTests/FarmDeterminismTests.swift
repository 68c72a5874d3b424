import Foundation
import ReelCoordinator
import ReelHash
import ReelModel
import ReelPlan
import ReelTensor
import ReelWorker
import Testing

/// The farm's promise: the same job gives the same `latents_sha256` whatever the
/// workers, and a single-window job is exactly `reel model sample`.
@Suite(.serialized, .farmSlot) struct FarmDeterminismTests {
    @Test func sameLatentsWithOneOrTwoWorkersAndAfterAWorkerDies() async throws {
        let request = TestFarm.request()
        let one = try TestFarm()
        defer { one.stop() }
        try one.addWorker(name: "solo")
        let alone = try await one.run(request)
        #expect(alone.state == "succeeded", "\(alone.reason ?? "")")
        #expect(alone.windows >= 3)
        let sha = try #require(alone.latentsSha256)

        let two = try TestFarm()
        defer { two.stop() }
        try two.addWorker(name: "a")
        try two.addWorker(name: "b")
        let together = try await two.run(request)
        #expect(together.state == "succeeded", "\(together.reason ?? "")")
        #expect(together.latentsSha256 == sha)
        // The video too: every worker encodes its segments to the same bytes, and
        // joining copies packets.
        #expect(together.videoSha256 != nil && together.videoSha256 == alone.videoSha256)
        let busy = try await two.workerStatuses().filter { $0.shardsDone > 0 }.map(\.name)
        #expect(busy.sorted() == ["a", "b"], "both workers must have denoised shards")

        // A `reel worker` process killed with SIGKILL mid-job loses its lease after
        // the heartbeat timeout; the survivor redoes the shard, nothing changes.
        let crash = try TestFarm()
        defer { crash.stop() }
        let doomed = try crash.spawnWorkerProcess(name: "doomed")
        try await crash.service.waitForWorkers(1, timeout: .seconds(60))
        let id = try await crash.service.submit(FarmAPI.SubmitRequest(request: request))
        try await crash.waitUntil(timeout: .seconds(120)) { try await crash.service.status(id).shards["done", default: 0] >= 1 }
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        try crash.addWorker(name: "survivor")
        let recovered = try await crash.wait(id)
        #expect(recovered.state == "succeeded", "\(recovered.reason ?? "")")
        #expect(recovered.latentsSha256 == sha)
    }

    /// One window, one block or several: the farm's latents are bit for bit the
    /// sampler's on the same noise and embeddings.
    @Test func singleWindowJobEqualsTheSampler() async throws {
        var request = TestFarm.request(frames: 9, window: 6)
        request.plan = PlanConfig(window: 6, overlap: 2, steps: 4, blendEvery: 2)
        let farm = try TestFarm()
        defer { farm.stop() }
        try farm.addWorker(name: "only")
        let status = try await farm.run(request)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.windows == 1)

        let folder = try ModelFolder(path: farm.models + "/tiny")
        let model = try folder.loadTransformer()
        let text = folder.transformerConfig.text_dim
        let latent = LatentShape(channels: 16, frames: 3, height: 8, width: 8)
        let noise = try Tensor(
            shape: latent.dimensions, storage: LatentNoise(seed: request.seed, shape: latent).values(in: 0 ..< latent.count))
        let embedder = StandInTextEmbedder(width: text, tokens: 512)
        let sampler = FlowMatchSampler(
            model: model, scheduler: try FlowMatchEulerDiscreteScheduler(config: folder.schedulerConfig, steps: 4), guidance: 5)
        // One thread, as the farm's workers here, and only on this thread: other suites in the process keep theirs.
        let latents = try Parallel.withThreads(1) {
            try sampler.run(
                latents: noise, steps: 0 ..< 4, positive: try model.context(embedder.embed(request.prompt!)),
                negative: try model.context(embedder.embed(request.negativePrompt!)))
        }
        #expect(status.latentsSha256 == SHA256.hex(SHA256.hash(littleEndian: latents.storage)))
    }
}
