import Foundation
import ReelCoordinator
import ReelMedia
import ReelPlan
import ReelStore
import ReelWorker
import Testing

/// `--prompt-at` through a farm of two workers on the tiny model: a window wholly
/// inside one prompt's span is conditioned exactly as a job with that prompt alone
/// is, so its first step block (which starts from the same seeded noise) comes out
/// bit for bit the same; a window that mixes both prompts matches neither. The finished MP4's provenance record, read back with libav,
/// names the job, the model, its digest, the seed and the timeline.
@Suite(.serialized, .farmSlot) struct PromptTimelineFarmTests {
    @Test func eachWindowIsConditionedOnThePromptsOverItsSpan() async throws {
        let farm = try TestFarm { $0.config.collectBlobs = false }
        defer { farm.stop() }
        try farm.addWorker(name: "w1")
        try farm.addWorker(name: "w2")
        // 33 frames at 16 fps (2.06 s) = 9 latent frames; windows of 4 overlapping by 1.
        let single = JobRequest(
            name: "one prompt", model: "tiny", prompt: "a red ball on a table", frames: 33, fps: 16, width: 64, height: 64, seed: 5,
            guidance: 1, plan: PlanConfig(window: 4, overlap: 1, steps: 4, blendEvery: 2))
        var timed = single
        timed.name = "timeline"
        timed.prompts = [TimedPrompt(at: 1.0, text: "a blue ball on a table")]
        var second = single
        second.prompt = "a blue ball on a table"

        let one = try await farm.run(single)
        #expect(one.state == "succeeded", "\(one.reason ?? "")")
        let other = try await farm.run(second)
        #expect(other.state == "succeeded", "\(other.reason ?? "")")
        let two = try await farm.run(timed)
        #expect(two.state == "succeeded", "\(two.reason ?? "")")

        let model = try #require(try ModelExecutor(directory: farm.models).models().first { $0.name == "tiny" })
        let plan = try timed.makePlan(model: model)
        let weights = plan.promptWeights(try #require(try timed.timeline(plan: plan)))
        print("windows \(plan.windows.map { [$0.start, $0.end] }) prompt weights \(weights)")
        let inside = weights.indices.filter { weights[$0] == [PromptWeight(prompt: 0, weight: 1)] }
        let insideSecond = weights.indices.filter { weights[$0] == [PromptWeight(prompt: 1, weight: 1)] }
        let mixed = weights.indices.filter { weights[$0].count == 2 }
        #expect(inside == [0] && mixed == [1] && insideSecond == [2])

        let store = try FarmResilienceTests.store(farm.service)
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.service.options.dataDirectory).appendingPathComponent("blobs"))
        func firstBlock(_ job: Int64) throws -> [Int: [Float]] {
            var outputs: [Int: [Float]] = [:]
            for row in try store.shards(job: job) where row.shard.block == 0 {
                outputs[row.shard.region] = try blobs.getFloats(try #require(row.status.outputSHA))
            }
            return outputs
        }
        let a = try firstBlock(one.id), b = try firstBlock(two.id), c = try firstBlock(other.id)
        #expect(a.count == plan.windows.count && b.count == plan.windows.count && c.count == plan.windows.count)
        func maxdiff(_ x: [Float]?, _ y: [Float]?) -> Float {
            guard let x, let y, x.count == y.count else { return .infinity }
            return zip(x, y).map { abs($0 - $1) }.max() ?? 0
        }
        for w in inside {
            print("window \(w) (first prompt only) against the first prompt's job: maxdiff \(maxdiff(a[w], b[w]))")
            #expect(a[w] == b[w], "window \(w) lies wholly in the first prompt's span")
        }
        for w in insideSecond {
            print("window \(w) (second prompt only) against the second prompt's job: maxdiff \(maxdiff(c[w], b[w]))")
            #expect(c[w] == b[w], "window \(w) lies wholly in the second prompt's span")
            #expect(maxdiff(a[w], b[w]) > 1e-5, "window \(w) is not the first prompt's")
        }
        for w in mixed {
            let (first, other) = (maxdiff(a[w], b[w]), maxdiff(c[w], b[w]))
            print("window \(w) (weights \(weights[w])) against the first prompt's job: maxdiff \(first); the second's: \(other)")
            #expect(first > 1e-5 && other > 1e-5, "window \(w) mixes both prompts")
        }

        // The provenance record of the real MP4, read back with libav.
        let info = try MediaReader.info(url: URL(fileURLWithPath: try await farm.service.videoPath(two.id)))
        #expect(info.metadata["ai_generated"] == "true")
        #expect(info.metadata["reel_job_id"] == "\(two.id)")
        #expect(info.metadata["reel_seed"] == "5")
        #expect(info.metadata["reel_model"] == "tiny")
        let digest = ModelExecutor(directory: farm.models).digest(model: "tiny")
        #expect(!digest.isEmpty && info.metadata["reel_model_digest"] == digest)
        let recorded = try JSONDecoder().decode([TimedPrompt].self, from: Data(try #require(info.metadata["reel_prompts"]).utf8))
        #expect(recorded == [TimedPrompt(at: 0, text: "a red ball on a table"), TimedPrompt(at: 1.0, text: "a blue ball on a table")])
        #expect(info.metadata["reel_sources"] == nil)
        // The single-prompt job's record has no timeline.
        let plain = try MediaReader.info(url: URL(fileURLWithPath: try await farm.service.videoPath(one.id)))
        #expect(plain.metadata["reel_prompts"] == nil && plain.metadata["reel_job_id"] == "\(one.id)")
    }

    /// At the size users render (832×480, umT5-XXL's 512 × 4096 text embeddings per
    /// prompt) on simulated-time stand-in workers, which run real tensor sizes
    /// without compute: a three-prompt timeline's windows carry their prompts over
    /// the wire, the job succeeds, and a still's PNG and the MP4 carry the record.
    @Test func aThreePromptTimelineRendersAtRealSize() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("sim-1", simulatedStepMs: 10)
        try farm.startWorker("sim-2", simulatedStepMs: 10)
        try await farm.waitForWorkers(2)
        // 33 frames (2.06 s, 9 latent frames), windows of 4 overlapping by 1.
        let request = JobRequest(
            name: "timeline 832x480", model: SimulatedExecutor.modelName, prompt: "a red ball", frames: 33, fps: 16, width: 832,
            height: 480, seed: 5, guidance: 5, plan: PlanConfig(window: 4, overlap: 1, steps: 2, blendEvery: 1),
            prompts: [TimedPrompt(at: 0.7, text: "a green ball"), TimedPrompt(at: 1.4, text: "a blue ball")])
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        let file = farm.directory.appendingPathComponent("timeline.mp4")
        try await farm.client.video(id).write(to: file)
        let info = try MediaReader.info(url: file)
        #expect(info.width == 832 && info.height == 480 && info.frameCount == 33)
        let recorded = try JSONDecoder().decode([TimedPrompt].self, from: Data(try #require(info.metadata["reel_prompts"]).utf8))
        #expect(recorded.map(\.text) == ["a red ball", "a green ball", "a blue ball"])

        let still = JobRequest(
            name: "still", model: SimulatedExecutor.modelName, prompt: "a red kite", width: 832, height: 480, seed: 9, guidance: 1,
            plan: PlanConfig(steps: 2, blendEvery: 1), still: true)
        let stillID = try await farm.client.submit(FarmAPI.SubmitRequest(request: still))
        #expect(try await farm.waitForEnd(stillID).state == "succeeded")
        let png = try PNGText.read([UInt8](try await farm.client.video(stillID)))
        #expect(png.text["reel_job_id"] == "\(stillID)" && png.text["reel_seed"] == "9" && png.text["ai_generated"] == "true")
        #expect(png.text["reel_model"] == SimulatedExecutor.modelName && png.text["reel_prompts"] == nil)
    }
}
