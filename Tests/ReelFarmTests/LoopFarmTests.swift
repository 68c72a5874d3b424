import Foundation
import ReelCoordinator
import ReelPlan
import ReelStore
import ReelWorker
import Testing

/// `--loop` through a farm: the clip's last window wraps onto its first frames,
/// and the finished latents blend that wrap overlap exactly as they blend every
/// other overlap. With the tiny model's random weights a seam metric says nothing
/// about quality, so what is asserted is the blend itself, against weights worked
/// out by hand; the seam metric across the wrap (≤ 1.1 for the demo model, by
/// `Deploy/train/loop_seam.py`) is printed.
@Suite(.serialized, .farmSlot) struct LoopFarmTests {
    @Test func aLoopedClipBlendsItsWrapOverlapLikeEveryOtherOverlap() async throws {
        let farm = try TestFarm { $0.config.collectBlobs = false }
        defer { farm.stop() }
        try farm.addWorker(name: "w1")
        try farm.addWorker(name: "w2")
        // 33 frames = 9 latent frames; cyclic windows of 4 overlapping by 1 start at
        // 0, 3, 6: [0, 4), [3, 7), [6, 10) — the last covers 6, 7, 8 and wraps onto 0.
        let request = JobRequest(
            name: "loop", model: "tiny", prompt: "a carousel", frames: 33, fps: 16, width: 64, height: 64, seed: 17, guidance: 1,
            plan: PlanConfig(window: 4, overlap: 1, loop: true, steps: 4, blendEvery: 2))
        let status = try await farm.run(request)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        let model = try #require(try ModelExecutor(directory: farm.models).models().first { $0.name == "tiny" })
        let plan = try request.makePlan(model: model)
        #expect(plan.windows.map { [$0.start, $0.end] } == [[0, 4], [3, 7], [6, 10]])
        #expect(plan.windows[2].wraps)

        let store = try FarmResilienceTests.store(farm.service)
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.service.options.dataDirectory).appendingPathComponent("blobs"))
        let lastBlock = plan.blocks.count - 1
        var outputs: [Int: [Float]] = [:]
        for row in try store.shards(job: status.id) where row.shard.block == lastBlock {
            outputs[row.shard.region] = try blobs.getFloats(try #require(row.status.outputSHA))
        }
        #expect(outputs.count == 3)
        let clip = try blobs.getFloats(try #require(status.latentsSha256))
        let c = plan.latent.channels, plane = plan.latent.height * plan.latent.width, f = plan.latent.frames
        func finished(_ channel: Int, _ frame: Int) -> ArraySlice<Float> {
            clip[(channel * f + frame) * plane ..< (channel * f + frame + 1) * plane]
        }
        func window(_ w: Int, _ channel: Int, _ offset: Int) -> ArraySlice<Float> {
            let values = outputs[w]!, length = plan.windows[w].length
            return values[(channel * length + offset) * plane ..< (channel * length + offset + 1) * plane]
        }
        // An overlap of one frame gives both windows the ramp's middle weight
        // (0.05 + 0.95 · ½ = 0.525), so an overlap frame is the two outputs' mean;
        // every other frame is its one window's output. The wrap (frame 0: window 2's
        // last frame and window 0's first) is no different.
        let overlaps: [Int: (Int, Int, Int, Int)] = [0: (2, 3, 0, 0), 3: (0, 3, 1, 0), 6: (1, 3, 2, 0)]
        let single: [Int: (Int, Int)] = [1: (0, 1), 2: (0, 2), 4: (1, 1), 5: (1, 2), 7: (2, 1), 8: (2, 2)]
        var maxdiff: Float = 0
        for channel in 0 ..< c {
            for (frame, (wa, oa, wb, ob)) in overlaps {
                for (got, (a, b)) in zip(finished(channel, frame), zip(window(wa, channel, oa), window(wb, channel, ob))) {
                    maxdiff = max(maxdiff, abs(got - (a + b) / 2))
                }
            }
            for (frame, (w, offset)) in single {
                for (got, want) in zip(finished(channel, frame), window(w, channel, offset)) { maxdiff = max(maxdiff, abs(got - want)) }
            }
        }
        print("loop blend maxdiff \(maxdiff)")
        #expect(maxdiff <= 1e-6)
        // The wrap's two sources differ (else the check above would prove nothing).
        #expect(window(2, 0, 3) != window(0, 0, 0))

        // The seam metric with the wrap pair (8 → 0) among the boundaries.
        let seam = try #require(plan.seamMetric(latent: clip))
        #expect(plan.windowBoundaries.contains(0) && seam.boundaryPairs == 6 && seam.interiorPairs == 3)
        print("loop seam metric (latents, tiny random model) \(seam.ratio)")
    }
}
