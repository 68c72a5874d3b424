import Testing
import ReelPlan

/// The seam metric on decoded pixel frames: where the plan's window boundaries fall in
/// the decoded clip, and the metric over frames drawn with known jumps there.
@Suite struct PixelSeamMetricTests {
    /// 40 latent frames (157 pixel frames) in windows of 16 overlapping by 4: windows
    /// [0, 16), [12, 28), [24, 40), so boundaries at latent frames 12, 16, 24, 28.
    func plan(loop: Bool = false) throws -> Plan {
        let model = ModelGeometry(
            name: "tiny", latentChannels: 2, temporalStride: 4, spatialStride: 8,
            patch: PatchSize(frames: 1, height: 2, width: 2),
            layers: 2, width: 8, ffnWidth: 16, heads: 2, textTokens: 4, textDim: 6)
        let job = JobSpec(frames: 157, fps: 16, width: 64, height: 64)
        return try Plan(geometry: ClipGeometry(job: job, model: model), config: PlanConfig(window: 16, overlap: 4, loop: loop, steps: 10))
    }

    @Test func latentBoundariesMapToThePixelPairWhereTheirFramesMeet() throws {
        let plan = try plan()
        #expect(plan.windows.map { [$0.start, $0.end] } == [[0, 16], [12, 28], [24, 40]])
        // Latent frame b decodes to pixel frames 4b − 3 … 4b: latent 12 starts at pixel 45.
        #expect(plan.pixelWindowBoundaries == [45, 61, 93, 109])
    }

    @Test func jumpsAtThePixelBoundariesShowAndASteadyClipDoesNot() throws {
        let plan = try plan()
        // Every pixel of frame t is t: each pair differs by 1.
        let steady = (0..<157).map { t in [Float](repeating: Float(t), count: 12) }
        #expect(plan.seamMetric(pixelFrames: steady)?.ratio == 1)
        // A further jump of 4 entering pixel frames 45, 61, 93 and 109: those pairs
        // differ by 5, the other 152 by 1.
        var value: Float = 0
        var jumpy: [[Float]] = []
        for t in 0..<157 {
            value += t == 0 ? 0 : ([45, 61, 93, 109].contains(t) ? 5 : 1)
            jumpy.append([Float](repeating: value, count: 12))
        }
        let metric = try #require(plan.seamMetric(pixelFrames: jumpy))
        #expect(metric.ratio == 5 && metric.boundaryPairs == 4 && metric.interiorPairs == 152)
        // The same jumps one frame off the boundaries are interior motion: boundaries
        // then differ by 1 and the interior by (4·5 + 148)/152.
        var shifted: [[Float]] = []
        value = 0
        for t in 0..<157 {
            value += t == 0 ? 0 : ([46, 62, 94, 110].contains(t) ? 5 : 1)
            shifted.append([value])
        }
        let off = try #require(plan.seamMetric(pixelFrames: shifted))
        #expect(abs(off.ratio - 152.0 / 168.0) < 1e-12)
        // A frame count other than the plan's is not measured.
        #expect(plan.seamMetric(pixelFrames: Array(steady.dropLast())) == nil)
    }

    @Test func latentMatchedComparesBoundariesWithTheOtherPairsBetweenLatentFrames() throws {
        let plan = try plan()
        // As a causal VAE decodes: pairs between latent frames (pixel pairs 4l − 3: 1, 5, 9, …)
        // differ by 1.1, pairs inside one by 1, and no seam anywhere.
        var value: Float = 0
        var frames: [[Float]] = []
        for t in 0..<157 {
            value += t == 0 ? 0 : ((t - 1) % 4 == 0 ? 1.1 : 1)
            frames.append([value])
        }
        let plain = try #require(plan.seamMetric(pixelFrames: frames))
        let matched = try #require(plan.seamMetric(pixelFrames: frames, latentMatched: true))
        // Against every pair: 1.1 over (39·1.1 + 117·1 − 4·1.1) / 152; against the 35 other
        // pairs between latent frames (pairs 1, 5, …, 153 less the 4 boundaries): exactly 1.
        #expect(abs(plain.ratio - 1.1 / ((35 * 1.1 + 117) / 152)) < 1e-5)
        #expect(matched.interiorPairs == 35 && abs(matched.ratio - 1) < 1e-5)
        // A period below 1 is refused.
        #expect(SeamMetric(frames: frames, boundaries: [45], period: 0) == nil)
    }

    /// A loop is decoded as a circle, latent frame l to pixel frames 4l … 4l + 3, so a
    /// latent boundary b is pixel pair 4b (the wrap, 0, stays 0) and the clip has 160 frames.
    @Test func aLoopsBoundariesFallOnTheCircle() throws {
        let plan = try plan(loop: true)
        #expect(plan.decodedFrames == 160)
        #expect(plan.windowBoundaries.contains(0) && plan.windowBoundaries.count > 1)
        #expect(plan.pixelWindowBoundaries == plan.windowBoundaries.map { 4 * $0 })
        // Never the start-to-end pair 4b − 3, which would fall inside a latent frame's pixels.
        #expect(plan.pixelWindowBoundaries.allSatisfy { $0 % 4 == 0 })
        // A jump entering every boundary's first pixel frame shows; 157 frames are not the loop's.
        let boundaries = Set(plan.pixelWindowBoundaries)
        var value: Float = 0
        var frames: [[Float]] = []
        for t in 0..<160 {
            value += t == 0 ? 0 : (boundaries.contains(t) ? 5 : 1)
            frames.append([value])
        }
        let metric = try #require(plan.seamMetric(pixelFrames: frames))
        #expect(metric.boundaryPairs == boundaries.count && metric.ratio > 1)
        #expect(plan.seamMetric(pixelFrames: Array(frames.prefix(157))) == nil)
    }
}
