import PropertyBased
import Testing
import ReelPlan

@Suite struct ComputeEstimateTests {
    /// The tiny model by hand (C 2, patch 1×2×2 so p = 8, d 8, f 16, L 4, text dim 6, 2 layers):
    /// embed + unembed 2·2·N·8·8 = 256N; text 2·4·6·8 + 2·4·8·8 = 896;
    /// per layer: self 4·2·N·64 + 4·N²·8 = 512N + 32N²; cross 2·2·N·64 + 2·2·4·64 + 4·N·4·8
    /// = 384N + 1024; FFN 2·2·N·8·16 = 512N. Total 64N² + 3072N + 2944.
    @Test(arguments: [1, 10, 37])
    func forwardFlopsCountEveryGemmAndAttentionProduct(tokens n: Int) {
        var model = PlanCase.model
        model.latentChannels = 2
        let expected = Double(64 * n * n + 3072 * n + 2944)
        #expect(model.forwardFlops(videoTokens: n) == expected)
    }

    @Test func wanOneThreeBForwardIsAboutTwoHundredEightyTeraflopsAt480p() {
        // 21 latent frames × 30 × 52 tokens = 32760: attention 4N²d·30 ≈ 1.98e14 dominates.
        let flops = ModelGeometry.wan21_1_3B.forwardFlops(videoTokens: 32760)
        #expect(flops > 2.7e14 && flops < 2.9e14)
    }

    @Test func shardCostIsTokensTimesStepsTimesTwoWithGuidance() throws {
        let c = PlanCase(
            channels: 2, latentFrames: 10, latentHeight: 4, latentWidth: 6, window: 4, overlap: 1, loop: false,
            tile: nil, steps: 7, blendEvery: 3, floor: 0.05)
        let plan = try c.plan()
        // Windows of 4 frames × (2 × 3) tokens = 24 tokens; blocks of 3, 1, 3 steps.
        let perPass = Double(64 * 24 * 24 + 3072 * 24 + 2944)
        let shard = ShardID(region: 0, block: 0)
        #expect(plan.flops(of: shard, guidance: false) == perPass * Double(plan.blocks[0].count))
        #expect(plan.flops(of: shard, guidance: true) == 2 * perPass * Double(plan.blocks[0].count))
        let estimate = plan.computeEstimate(guidance: true)
        #expect(estimate.guidance)
        #expect(estimate.total == estimate.shardFlops.reduce(0, +))
        #expect(estimate.total == Double(plan.windows.count) * perPass * 7 * 2)
        // One pass over all 10 × 6 = 60 tokens per step.
        #expect(estimate.singlePass == Double(64 * 60 * 60 + 3072 * 60 + 2944) * 7 * 2)
    }

    @Test func singlePassPlansHaveNoOverheadAndGuidanceDoublesEverything() async {
        await propertyCheck(input: PlanCase.generator) { c in
            let plan = try c.plan()
            let with = plan.computeEstimate(guidance: true)
            let without = plan.computeEstimate(guidance: false)
            #expect(with.total == 2 * without.total)
            #expect(with.shardFlops.count == plan.shardCount)
            if plan.isSinglePass { #expect(with.overhead == 1, "\(c)") }
        }
    }
}
