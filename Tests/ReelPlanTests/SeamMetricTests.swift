import PropertyBased
import Testing
import ReelPlan

@Suite struct SeamMetricTests {
    @Test func aSteadyRampIsSeamless() throws {
        // Each frame is 0.5 above the last everywhere: every pair differs by 0.5.
        let frames = (0..<10).map { t in [Float](repeating: Float(t) * 0.5, count: 6) }
        let metric = try #require(SeamMetric(frames: frames, boundaries: [4, 7]))
        #expect(metric.ratio == 1)
        #expect(metric.boundaryPairs == 2 && metric.interiorPairs == 7)
    }

    @Test func aJumpAtABoundaryShowsUp() throws {
        // Steps of 1 except a jump of 5 entering frame 4.
        var value: Float = 0
        var frames: [[Float]] = []
        for t in 0..<8 {
            value += t == 0 ? 0 : (t == 4 ? 5 : 1)
            frames.append([value, value])
        }
        let metric = try #require(SeamMetric(frames: frames, boundaries: [4]))
        #expect(metric.boundaryMean == 5 && metric.interiorMean == 1 && metric.ratio == 5)
        // Marking a pair that is not the jump averages (5 + 1)/2 at boundaries and 1 elsewhere.
        #expect(SeamMetric(frames: frames, boundaries: [4, 6])?.ratio == 3)
    }

    @Test func loopModeMeasuresTheJoinFromTheLastFrameToTheFirst() throws {
        // 0, 1, 2, 3 then back to 0: the join (3 → 0) differs by 3, the rest by 1.
        let frames: [[Float]] = (0..<4).map { [Float($0)] }
        #expect(SeamMetric(frames: frames, boundaries: [0], wraps: true)?.ratio == 3)
        // Without wrapping, boundary 0 is no pair at all, so there is nothing to compare.
        #expect(SeamMetric(frames: frames, boundaries: [0]) == nil)
    }

    @Test func latentLayoutComparesWholeFramesAcrossChannels() throws {
        // [C 2, F 3, 1 × 2]: channel 0 steps by 1, channel 1 by 3 into frame 2 only.
        let values: [Float] = [0, 0, 1, 1, 2, 2, 0, 0, 0, 0, 3, 3]
        let metric = try #require(SeamMetric(values: values, channels: 2, frames: 3, boundaries: [2]))
        #expect(metric.interiorMean == 0.5)  // pair 1: |1−0| and |0−0| averaged
        #expect(metric.boundaryMean == 2)  // pair 2: |2−1| and |3−0| averaged
    }

    @Test func undefinedWithoutBothKindsOfPair() {
        #expect(SeamMetric(frames: [[1], [2]], boundaries: []) == nil)
        #expect(SeamMetric(frames: [[1]], boundaries: [1]) == nil)
        #expect(SeamMetric(values: [1, 2, 3], channels: 2, frames: 2, boundaries: [1]) == nil)
    }

    @Test func stillClipsAreSeamlessAndOnlyStillInteriorsAreInfinite() {
        #expect(SeamMetric(frames: [[1], [1], [1]], boundaries: [1])?.ratio == 1)
        #expect(SeamMetric(frames: [[1], [1], [2]], boundaries: [2])?.ratio == .infinity)
    }

    @Test func blendingAConsistentClipIsSeamless() async {
        // A clip that moves smoothly, cut into a plan's regions and blended back, has
        // the same motion at the boundaries as inside: the ratio is 1 up to rounding.
        await propertyCheck(input: PlanCase.generator.filter { $0.window < $0.latentFrames && $0.latentFrames >= 4 }) { c in
            let plan = try c.plan()
            let shape = plan.latent
            let clip = (0..<shape.count).map { i -> Float in
                let f = (i / (shape.height * shape.width)) % shape.frames
                return Float(f) * 0.25 + Float(i % shape.width) * 0.5  // x pattern, same in every frame
            }
            var outputs: [Int: [Float]] = [:]
            for region in plan.regions { outputs[region.index] = TestSupport.slice(clip, shape: shape, box: region.box) }
            let blended = try plan.blend(outputs: outputs, into: plan.clipBox)
            guard !c.loop, let metric = plan.seamMetric(latent: blended) else { return }
            #expect(abs(metric.ratio - 1) < 1e-5, "\(c) \(metric)")
        }
    }
}
