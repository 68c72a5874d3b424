import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ReelCoordinator
import ReelMedia
import ReelPlan
import ReelWorker
import Testing

/// Sizes, aspect ratios and stills through real farms (#16 part 2).
///
/// - The tiny model (random weights, real engine and VAE) renders a small portrait
///   clip and a small still in-process: the clip comes back as an MP4 of the
///   portrait size, the still as a PNG of its size carrying the AI-generated record
///   in text chunks.
/// - The **simulated-time stand-in** workers (real tensor sizes, no compute) render
///   at the sizes users ask for, as `reel worker` processes behind a `reel
///   coordinator`: 832×480 and 480×832, and a 2048×2048 still cut into 15 automatic
///   tiles, fetched over HTTP as `image/png` and with `reel fetch`.
@Suite(.serialized, .farmSlot) struct StillsAndSizesFarmTests {
    @Test func tinyModelRendersAPortraitClipAndAStillWithItsProvenance() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        try farm.addWorker(name: "w1")
        try farm.addWorker(name: "w2")
        // 9 frames (3 latent) at 64×128 portrait: two windows of 2 latent frames.
        let portrait = JobRequest(
            name: "portrait", model: "tiny", prompt: "a lighthouse", frames: 9, fps: 16, width: 64, height: 128, seed: 3, guidance: 1,
            plan: PlanConfig(window: 2, overlap: 1, steps: 2, blendEvery: 1))
        let clip = try await farm.run(portrait)
        #expect(clip.state == "succeeded", "\(clip.reason ?? "")")
        #expect(clip.width == 64 && clip.height == 128 && clip.windows == 2)
        let reader = try VideoReader(url: URL(fileURLWithPath: try await farm.service.videoPath(clip.id)))
        #expect(reader.width == 64 && reader.height == 128)
        var frames = 0
        while try reader.nextFrame() != nil { frames += 1 }
        #expect(frames == 9)

        let still = JobRequest(
            name: "still", model: "tiny", prompt: "a red kite", width: 96, height: 64, seed: 21, guidance: 1,
            plan: PlanConfig(steps: 2, blendEvery: 1), still: true)
        let status = try await farm.run(still)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.frames == 1)
        let path = try await farm.service.videoPath(status.id)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let info = try PNGText.read(bytes)
        #expect(info.width == 96 && info.height == 64)
        #expect(info.text["ai_generated"] == "true")
        #expect(info.text["reel_job_id"] == "\(status.id)")
        #expect(info.text["reel_seed"] == "21")
        #expect(info.text["reel_model"] == "tiny")
        #expect(info.text["title"] == "still")
        #expect(info.text["description"]?.hasPrefix("AI-generated image") == true)
        #expect(info.text["comment"]?.contains("a red kite") == true)
        // libav decodes it as an image of that size.
        let file = farm.directory.appendingPathComponent("still.png")
        try Data(bytes).write(to: file)
        let image = try MediaReader.readImage(url: file)
        #expect(image.width == 96 && image.height == 64)
    }

    @Test func simulatedWorkersRenderBothOrientationsAtRealSizeAndA2048StillThroughTiles() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("sim-1", simulatedStepMs: 10)
        try farm.startWorker("sim-2", simulatedStepMs: 10)
        try await farm.waitForWorkers(2)
        let model = SimulatedExecutor.modelName
        for (width, height) in [(832, 480), (480, 832)] {
            // 9 frames (3 latent), two windows, two blocks.
            let request = JobRequest(
                name: "\(width)x\(height)", model: model, prompt: "a harbour", frames: 9, fps: 16, width: width, height: height, seed: 5,
                guidance: 1, plan: PlanConfig(window: 2, overlap: 1, steps: 2, blendEvery: 1))
            let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
            let status = try await farm.waitForEnd(id)
            #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
            let file = farm.directory.appendingPathComponent("\(width)x\(height).mp4")
            try await farm.client.video(id).write(to: file)
            let reader = try VideoReader(url: file)
            #expect(reader.width == width && reader.height == height)
            var frames = 0
            while try reader.nextFrame() != nil { frames += 1 }
            #expect(frames == 9)
        }

        let still = JobRequest(
            name: "big still", model: model, prompt: "a mountain", width: 2048, height: 2048, seed: 9, guidance: 1,
            plan: PlanConfig(steps: 2, blendEvery: 1), still: true)
        // 15 tiles (3 columns × 5 rows of 104 × 60 latent) × 2 blocks.
        #expect(try still.makePlan(model: SimulatedExecutor(stepTime: .zero).geometry).tiles.count == 15)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: still))
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        #expect(status.shardTotal == 30)
        // Over HTTP: served as image/png.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(farm.httpPort)/v1/jobs/\(id)/video")!)
        request.httpMethod = "GET"
        if let token = farm.client.token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type") == "image/png")
        let info = try PNGText.read([UInt8](data))
        #expect(info.width == 2048 && info.height == 2048)
        #expect(info.text["ai_generated"] == "true" && info.text["reel_job_id"] == "\(id)")
        // And with the CLI.
        let output = farm.directory.appendingPathComponent("fetched.png")
        let printed = try farm.cli(["fetch", "\(id)", "--output", output.path])
        #expect(try Data(contentsOf: output) == data, "\(printed)")
    }
}
