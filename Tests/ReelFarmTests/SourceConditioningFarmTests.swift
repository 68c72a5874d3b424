import Foundation
import ReelCoordinator
import ReelFarm
import ReelHash
import ReelMedia
import ReelModel
import ReelPlan
import ReelStore
import ReelTensor
import ReelWorker
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Conditioning through a farm of processes (`reel coordinator`, two `reel worker`s,
/// the tiny model at 64×64), submitted over HTTP as `reel submit` does: the source
/// uploaded with `PUT /v1/sources/{sha256}`, then the job with its `conditioning`.
@Suite(.serialized, .farmSlot) struct SourceConditioningFarmTests {
    /// A 96×64 PNG of colour bands (conformed to 64×64 by the default crop).
    static func png() throws -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: 96 * 64 * 3)
        for y in 0 ..< 64 {
            for x in 0 ..< 96 {
                let i = (y * 96 + x) * 3
                pixels[i] = UInt8(x * 2)
                pixels[i + 1] = UInt8(y * 4 % 256)
                pixels[i + 2] = x < 48 ? 200 : 30
            }
        }
        return try ImageWriter.pngBytes(try RGBFrame(width: 96, height: 64, pixels: pixels))
    }

    static func upload(_ bytes: [UInt8], to farm: ProcessFarm) async throws -> String {
        let digest = SHA256.hex(SHA256.hash(bytes))
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(farm.httpPort)/v1/sources/\(digest)")!)
        request.httpMethod = "PUT"
        request.setValue("Bearer \(farm.client.token ?? "")", forHTTPHeaderField: "Authorization")
        let (body, response) = try await URLSession.shared.upload(for: request, from: Data(bytes))
        let status = (response as? HTTPURLResponse)?.statusCode
        #expect(status == 201 || status == 200, "\(String(decoding: body, as: UTF8.self))")
        return digest
    }

    static func image(_ digest: String) -> ConditioningItem {
        ConditioningItem(source: ConditioningSource(kind: .image, digest: digest), frame: 0, mode: .pin)
    }

    /// 17 frames (5 latent frames) at 64×64, windows of 3 overlapping by 1, 4 steps in two blocks.
    static func request(seed: UInt64, conditioning: [ConditioningItem]) -> JobRequest {
        JobRequest(
            model: "tiny", prompt: "a lantern in fog", frames: 17, width: 64, height: 64, seed: seed, guidance: 1,
            plan: PlanConfig(window: 3, overlap: 1, steps: 4, blendEvery: 2), conditioning: conditioning)
    }

    /// Starts `farm`'s coordinator (keeping intermediates, so latents can be read back)
    /// and two workers, and waits for both.
    static func start(_ farm: ProcessFarm) async throws {
        try await farm.startCoordinator(keepIntermediates: true)
        try farm.startWorker("w1")
        try farm.startWorker("w2")
        try await farm.waitForWorkers(2)
    }

    static func maxdiff(_ a: [Float], _ b: [Float]) -> Float {
        a.count == b.count ? zip(a, b).map { abs($0 - $1) }.max() ?? 0 : .infinity
    }

    /// Latent frame `t` of `[16, frames, 8, 8]` latents, channel-major.
    static func frame(_ values: [Float], _ t: Int, frames: Int) -> [Float] {
        var out: [Float] = []
        for c in 0 ..< 16 {
            let start: Int = (c * frames + t) * 64
            out += values[start ..< start + 64]
        }
        return out
    }

    @Test func imageToVideoPinsTheEncodedImageAndASecondJobUsesTheCache() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await Self.start(farm)
        let png = try Self.png()
        let digest = String(repeating: "0", count: 64)
        // Not uploaded: refused, naming the route.
        do {
            _ = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request(seed: 1, conditioning: [Self.image(digest)])))
            Issue.record("a job naming a source that was not uploaded was accepted")
        } catch let failure as CoordinatorClient.Failure {
            #expect(failure.status == 400 && failure.message.contains("PUT /v1/sources/\(digest)"), "\(failure.message)")
        }
        let source = try await Self.upload(png, to: farm)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request(seed: 1, conditioning: [Self.image(source)])))
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")

        let store = try farm.store()
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.dataDirectory).appendingPathComponent("blobs"))
        let rows = try store.sourceEncodings(job: id)
        #expect(rows.count == 1 && rows.first?.status.state == .done && rows.first?.sourceSHA == source)
        let encoded = try blobs.getFloats(try #require(rows.first?.status.outputSHA))
        let latents = try blobs.getFloats(try #require(try store.job(id: id)?.latentsSHA))
        #expect(encoded.count == 16 * 64 && latents.count == 16 * 5 * 64)
        // The pinned latent frame is the encoded image exactly.
        let pinned = Self.maxdiff(Self.frame(latents, 0, frames: 5), encoded)
        print("image-to-video: latent frame 0 against the encoded image, maxdiff \(pinned)")
        #expect(pinned == 0)
        #expect(Self.maxdiff(Self.frame(latents, 1, frames: 5), Self.frame(latents, 0, frames: 5)) > 1e-3, "the next frame is generated")

        // The encoding is the worker's own: the same PNG conformed and encoded here.
        let frames = try MediaSourceReader().frames(
            of: SourceBytes(bytes: png, kind: .image, digest: source), width: 64, height: 64, fit: .crop, fps: 16)
        let local = try ModelExecutor(directory: farm.models).encodeSource(frames, model: "tiny")
        let encoding = Self.maxdiff(local.storage, encoded)
        print("the farm's source encoding against encodeSource here: maxdiff \(encoding)")
        #expect(local.shape == [16, 1, 8, 8] && encoding <= 1e-5)

        // A second job with the same source (another seed) makes no encoding work:
        // its row is created done, with the cached latents.
        let second = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request(seed: 2, conditioning: [Self.image(source)])))
        let cached = try store.sourceEncodings(job: second)
        #expect(cached.count == 1 && cached.first?.status.state == .done && cached.first?.status.outputSHA == rows.first?.status.outputSHA)
        #expect(cached.first?.status.attempt == 0 && cached.first?.status.worker == nil, "never leased")
        #expect(try await farm.waitForEnd(second).state == "succeeded")
        let secondLatents = try blobs.getFloats(try #require(try store.job(id: second)?.latentsSHA))
        #expect(Self.frame(secondLatents, 0, frames: 5) == encoded)
    }

    /// An edit of a still at strength 0.5 (4 steps: it starts at step 2, block 1):
    /// the farm's result equals the worker's own edit path run here, steps [2, 4)
    /// from the source noised to σ[2] with the job's noise, and block 0 runs no step.
    @Test func anEditAtHalfStrengthEqualsTheWorkersEditPath() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await Self.start(farm)
        let png = try Self.png()
        let source = try await Self.upload(png, to: farm)
        let edit = ConditioningItem(source: ConditioningSource(kind: .image, digest: source), frame: 0, mode: .start, strength: 0.5)
        let request = JobRequest(
            model: "tiny", prompt: "a lantern in fog", width: 64, height: 64, seed: 4, guidance: 1, plan: PlanConfig(steps: 4, blendEvery: 2),
            still: true, conditioning: [edit])
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")

        let store = try farm.store()
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.dataDirectory).appendingPathComponent("blobs"))
        let row = try #require(try store.job(id: id))
        let latents = try blobs.getFloats(try #require(row.latentsSHA))
        let known = try blobs.getFloats(try #require(try store.sourceEncodings(job: id).first?.status.outputSHA))
        let embeds = try blobs.getFloats(try #require(row.promptEmbedsSHA))
        let executor = ModelExecutor(directory: farm.models)
        let model = try #require(try executor.models().first { $0.name == "tiny" })
        let plan = try request.makePlan(model: model)
        #expect(plan.regions.count == 1 && plan.blocks.count == 2)
        let box = plan.regions[0].box
        let noise = LatentNoise(seed: 4, shape: plan.latent)
        let resolved = try #require(try ConditioningPlan(plan: plan, items: [edit]).items.first)
        var task = DenoiseTask(
            model: "tiny", latents: try Tensor(shape: [16, 1, 8, 8], storage: [Float](repeating: 0, count: 16 * 64)), totalSteps: 4,
            steps: 2 ..< 4, guidance: 1, shift: nil,
            prompt: .init(id: "p", tensor: try Tensor(shape: [embeds.count / model.textDim, model.textDim], storage: embeds)), negativePrompt: nil)
        task.conditioning = DenoiseConditioning(noise: noise, box: box, items: [.init(resolved: resolved, known: known)])
        let direct = try executor.denoise(task)
        let diff = Self.maxdiff(direct.storage, latents)
        print("edit at strength 0.5 through the farm against the worker's edit path: maxdiff \(diff)")
        #expect(diff == 0)
        #expect(Self.maxdiff(latents, known) > 1e-3, "the edit changed the source")

        // Block 0 ([0, 2)) lies before the edit's first step: it ran no step, so its
        // output is the initial noise it started from, bit for bit.
        let skipped = try #require(try store.shards(job: id).first { $0.shard == ShardID(region: 0, block: 0) })
        let skippedOutput = try blobs.getFloats(try #require(skipped.status.outputSHA))
        #expect(skippedOutput == noise.values(in: box), "block 0 before the edit ran steps")
    }

    /// The coordinator killed while the job waits on its source encoding: the new
    /// one resumes it (an encoding leased at the kill goes back to the queue when
    /// its lease expires: 10 s here, `--lease-seconds`) and the job ends with the image pinned.
    @Test func aRestartDuringEncodingResumes() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator(keepIntermediates: true, arguments: ["--lease-seconds", "10"])
        try farm.startWorker("w1")
        try farm.startWorker("w2")
        try await farm.waitForWorkers(2)
        let source = try await Self.upload(try Self.png(), to: farm)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request(seed: 3, conditioning: [Self.image(source)])))
        farm.killCoordinator()
        let store = try farm.store()
        let state = try store.sourceEncodings(job: id).first?.status.state
        print("source encoding at the kill: \(state.map { "\($0)" } ?? "none")")
        try await farm.startCoordinator(keepIntermediates: true, arguments: ["--lease-seconds", "10"])
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.dataDirectory).appendingPathComponent("blobs"))
        let encoded = try blobs.getFloats(try #require(try store.sourceEncodings(job: id).first?.status.outputSHA))
        let latents = try blobs.getFloats(try #require(try store.job(id: id)?.latentsSHA))
        #expect(Self.frame(latents, 0, frames: 5) == encoded)
    }

    /// At the size users render, on simulated-time stand-in workers (real tensor
    /// sizes, no compute): a 1920×1080 PNG pinned at frame 0 of a 832×480 clip is
    /// conformed and encoded to `[16, 1, 60, 104]`, the job's MP4 has every frame and
    /// names the source, and a second job with it makes no encoding.
    @Test func anImageAtRealSizeOnStandInWorkers() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("sim-1", simulatedStepMs: 10)
        try farm.startWorker("sim-2", simulatedStepMs: 10)
        try await farm.waitForWorkers(2)
        var pixels = [UInt8](repeating: 0, count: 1920 * 1080 * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) { pixels[i] = UInt8(truncatingIfNeeded: i / 3 % 1920 / 8) }
        let png = try ImageWriter.pngBytes(try RGBFrame(width: 1920, height: 1080, pixels: pixels))
        let source = try await Self.upload(png, to: farm)
        let request = JobRequest(
            model: SimulatedExecutor.modelName, prompt: "a lantern in fog", frames: 33, width: 832, height: 480, seed: 5, guidance: 1,
            plan: PlanConfig(window: 4, overlap: 1, steps: 2, blendEvery: 1), conditioning: [Self.image(source)])
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        let store = try farm.store()
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.dataDirectory).appendingPathComponent("blobs"))
        let row = try #require(try store.sourceEncodings(job: id).first)
        #expect(try blobs.getFloats(try #require(row.status.outputSHA)).count == 16 * 1 * 60 * 104)
        let file = farm.directory.appendingPathComponent("image.mp4")
        try await farm.client.video(id).write(to: file)
        let info = try MediaReader.info(url: file)
        #expect(info.width == 832 && info.height == 480 && info.frameCount == 33)
        #expect(info.metadata["reel_sources"] == source)

        var again = request
        again.seed = 6
        let second = try await farm.client.submit(FarmAPI.SubmitRequest(request: again))
        #expect(try store.sourceEncodings(job: second).first?.status.worker == nil, "created done from the cache")
        #expect(try await farm.waitForEnd(second).state == "succeeded")
    }
}
