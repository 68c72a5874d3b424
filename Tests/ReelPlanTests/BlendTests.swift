import PropertyBased
import Testing
import ReelPlan

@Suite struct BlendTests {
    /// 6 latent frames, windows of 4 overlapping 2: [0, 4) and [2, 6), floor 0.2.
    func twoWindowPlan(floor: Double = 0.2) throws -> Plan {
        var model = PlanCase.model
        model.latentChannels = 1
        let clip = try ClipGeometry(job: JobSpec(frames: 21, fps: 16, width: 16, height: 16), model: model)
        return try Plan(geometry: clip, config: PlanConfig(window: 4, overlap: 2, steps: 4, blendEvery: 2, blendFloor: floor))
    }

    @Test func rampsAreLinearAcrossTheOverlapFromTheFloorAndOneElsewhere() throws {
        let plan = try twoWindowPlan()
        // Samples at position centres: floor + (1 − floor)·(j + ½)/2 = 0.4, 0.8.
        let w0 = plan.frameWeights.weights[0]
        let w1 = plan.frameWeights.weights[1]
        for (actual, expected) in zip(w0, [1, 1, 0.8, 0.4]) { #expect(abs(actual - expected) < 1e-12) }
        for (actual, expected) in zip(w1, [0.4, 0.8, 1, 1]) { #expect(abs(actual - expected) < 1e-12) }
    }

    @Test func blendIsTheWeightedMeanOfOverlappingOutputs() throws {
        let plan = try twoWindowPlan()
        let n = plan.regions[0].box.count
        let blended = try plan.blend(outputs: [0: .init(repeating: 1, count: n), 1: .init(repeating: 3, count: n)], into: plan.clipBox)
        // Frame 2: (0.8·1 + 0.4·3)/1.2 = 5/3; frame 3: (0.4·1 + 0.8·3)/1.2 = 7/3.
        let perFrame = stride(from: 0, to: blended.count, by: 4).map { blended[$0] }
        let expected: [Float] = [1, 1, 5.0 / 3, 7.0 / 3, 3, 3]
        for (a, e) in zip(perFrame, expected) { #expect(abs(a - e) < 1e-6, "\(perFrame)") }
        // The four positions of a frame agree (no tiles).
        for f in 0..<6 { #expect(Set(blended[(4 * f)..<(4 * f + 4)]).count == 1) }
    }

    @Test func blendIntoARegionReadsOnlyItsOverlappingOutputs() throws {
        let plan = try twoWindowPlan()
        let n = plan.regions[0].box.count
        let into0 = try plan.blend(outputs: [0: .init(repeating: 1, count: n), 1: .init(repeating: 3, count: n)], into: plan.regions[0].box)
        #expect(into0.count == n)
        #expect(abs(into0[8] - 5.0 / 3) < 1e-6)  // frame 2 of window 0
    }

    @Test func blendRejectsMissingOrMisshapenOutputs() throws {
        let plan = try twoWindowPlan()
        let n = plan.regions[0].box.count
        #expect(throws: PlanError.missingOutput(region: 1)) {
            try plan.blend(outputs: [0: .init(repeating: 1, count: n)], into: plan.clipBox)
        }
        #expect(throws: PlanError.wrongOutputLength(region: 1, count: 3, expected: n)) {
            try plan.blend(outputs: [0: .init(repeating: 1, count: n), 1: [1, 2, 3]], into: plan.clipBox)
        }
    }

    @Test func clipEdgesWithoutANeighbourKeepWeightOne() async {
        await propertyCheck(input: PlanCase.generator.filter { !$0.loop }) { c in
            let plan = try c.plan()
            #expect(plan.frameWeights.weights.first!.first == 1, "\(c)")
            #expect(plan.frameWeights.weights.last!.last == 1, "\(c)")
            #expect(plan.rowWeights.weights.first!.first == 1 && plan.columnWeights.weights.last!.last == 1)
            // Every weight is positive and at most 1.
            for axis in [plan.frameWeights, plan.rowWeights, plan.columnWeights] {
                #expect(axis.weights.allSatisfy { $0.allSatisfy { $0 > 0 && $0 <= 1 } }, "\(c)")
            }
        }
    }

    @Test func normalizedWeightsSumToOneAtEveryPosition() async {
        await propertyCheck(input: PlanCase.generator) { c in
            let plan = try c.plan()
            let shape = plan.latent
            var sum = [Double](repeating: 0, count: shape.frames * shape.height * shape.width)
            for region in plan.regions {
                let weights = plan.normalizedWeights(region: region.index)
                var i = 0
                for f in region.box.frames.indices {
                    for y in region.box.rows.indices {
                        for x in region.box.columns.indices {
                            sum[(f * shape.height + y) * shape.width + x] += weights[i]
                            i += 1
                        }
                    }
                }
            }
            #expect(sum.allSatisfy { abs($0 - 1) < 1e-12 }, "\(c)")
        }
    }

    @Test func blendingIdenticalInputsReturnsThem() async {
        await propertyCheck(input: PlanCase.generator, Gen.uint64(in: 0 ... .max)) { c, seed in
            let plan = try c.plan()
            let clip = TestSupport.randomClip(plan.latent, seed: seed)
            var outputs: [Int: [Float]] = [:]
            for region in plan.regions {
                outputs[region.index] = TestSupport.slice(clip, shape: plan.latent, box: region.box)
            }
            #expect(try plan.blend(outputs: outputs, into: plan.clipBox) == clip, "\(c)")
            let target = plan.regions[Int(seed % UInt64(plan.regions.count))]
            #expect(try plan.blend(outputs: outputs, into: target.box) == outputs[target.index], "\(c)")
        }
    }

    @Test func blendingPreservesConstants() async {
        await propertyCheck(input: PlanCase.generator, Gen.float(in: -100...100)) { c, k in
            let plan = try c.plan()
            var outputs: [Int: [Float]] = [:]
            for region in plan.regions { outputs[region.index] = .init(repeating: k, count: region.box.count) }
            let blended = try plan.blend(outputs: outputs, into: plan.clipBox)
            #expect(blended.allSatisfy { $0 == k }, "\(c) \(k)")
        }
    }

    @Test func blendMatchesTheNormalizedWeightedSumAndStaysWithinItsInputs() async {
        await propertyCheck(input: PlanCase.generator, Gen.uint64(in: 0 ... .max)) { c, seed in
            let plan = try c.plan()
            let shape = plan.latent
            var outputs: [Int: [Float]] = [:]
            for region in plan.regions {
                outputs[region.index] = TestSupport.randomClip(
                    LatentShape(channels: shape.channels, frames: 1, height: 1, width: region.box.positions),
                    seed: seed &+ UInt64(region.index))
            }
            // Reference: Σ normalized wᵢ·xᵢ, accumulated position by position.
            let positions = shape.frames * shape.height * shape.width
            var expected = [Double](repeating: 0, count: shape.count)
            var low = [Float](repeating: .infinity, count: shape.count)
            var high = [Float](repeating: -.infinity, count: shape.count)
            for region in plan.regions {
                let weights = plan.normalizedWeights(region: region.index)
                let values = outputs[region.index]!
                var i = 0
                for f in region.box.frames.indices {
                    for y in region.box.rows.indices {
                        for x in region.box.columns.indices {
                            for ch in 0..<shape.channels {
                                let g = ch * positions + (f * shape.height + y) * shape.width + x
                                let v = values[ch * region.box.positions + i]
                                expected[g] += weights[i] * Double(v)
                                low[g] = min(low[g], v)
                                high[g] = max(high[g], v)
                            }
                            i += 1
                        }
                    }
                }
            }
            let blended = try plan.blend(outputs: outputs, into: plan.clipBox)
            let worst = blended.indices.map { abs(Double(blended[$0]) - expected[$0]) }.max() ?? 0
            let outside = blended.indices.filter { blended[$0] < low[$0] || blended[$0] > high[$0] }
            #expect(worst < 1e-4, "\(c)")
            #expect(outside.isEmpty, "\(c) at \(outside.prefix(5))")
        }
    }
}
