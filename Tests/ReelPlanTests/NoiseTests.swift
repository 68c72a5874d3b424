import PropertyBased
import Testing
import ReelPlan

@Suite struct NoiseTests {
    /// Random123 `tests/kat_vectors`, the three `philox4x32 10` lines: published
    /// answers, independent of both this code and the Python reference.
    @Test(arguments: [
        (SIMD4<UInt32>(0, 0, 0, 0), SIMD2<UInt32>(0, 0), SIMD4<UInt32>(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8)),
        (
            SIMD4<UInt32>(repeating: 0xFFFF_FFFF), SIMD2<UInt32>(repeating: 0xFFFF_FFFF),
            SIMD4<UInt32>(0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD)
        ),
        (
            SIMD4<UInt32>(0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344), SIMD2<UInt32>(0xA409_3822, 0x299F_31D0),
            SIMD4<UInt32>(0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1)
        ),
    ])
    func philoxMatchesRandom123KnownAnswers(counter: SIMD4<UInt32>, key: SIMD2<UInt32>, expected: SIMD4<UInt32>) {
        #expect(Philox4x32.block(counter: counter, key: key) == expected)
    }

    /// Printed by `philox_reference.py` (pure Python, written from NOISE.md):
    /// (linear index, binary32 bits) for seed 0x0123456789ABCDEF.
    static let pythonVectors: [(Int, UInt32)] = [
        (0, 0x3DE1_6BED),  // 0.11006913510239574
        (1, 0xBF4D_97EC),  // -0.8030993969358675
        (2, 0xC00E_4DB4),  // -2.2234925726002053
        (3, 0x3E9A_0FB4),  // 0.30090104615320623
        (4, 0xBEC3_17B0),  // -0.3810400873317421
        (5, 0x3F4B_1BEB),  // 0.7933947311964323
        (6, 0xBEE1_39AF),  // -0.43989321155236727
        (7, 0xBFA4_FFAF),  // -1.2890528951603712
        (4097, 0x3F2F_C7D4),  // 0.6866428922488619
        (8_589_934_598, 0x3F16_389D),  // 0.5868013372397487: counter above 2³², uses c1
    ]

    @Test func noiseMatchesTheIndependentPythonReference() {
        for (index, bits) in Self.pythonVectors {
            let value = LatentNoise.value(seed: 0x0123_4567_89AB_CDEF, index: index)
            #expect(value.bitPattern == bits, "element \(index): \(value)")
        }
    }

    @Test func workedExampleFromNoiseDoc() throws {
        // Seed 42, counter 1 → elements 4…7, and element (3, 40, 59, 103) of a Wan clip.
        let expected: [UInt32] = [0xBD95_E030, 0x3E0E_7A0F, 0xBF8D_A733, 0x3EA7_42FD]
        let shape = LatentShape(channels: 16, frames: 41, height: 60, width: 104)
        let noise = LatentNoise(seed: 42, shape: shape)
        #expect(noise.values(in: 4..<8).map(\.bitPattern) == expected)
        #expect(shape.linearIndex(channel: 3, frame: 40, row: 59, column: 103) == 1_023_359)
        #expect(noise.value(channel: 3, frame: 40, row: 59, column: 103).bitPattern == 0xBF79_30E6)
        let words = Philox4x32.block(counter: SIMD4(1, 0, 0, 0), key: SIMD2(42, 0))
        #expect(words == SIMD4(0xFCDB_2127, 0x53BA_6CFD, 0x838F_5A6E, 0x744E_06FB))
    }

    @Test func noiseIsBitwiseIndependentOfHowTheClipIsPartitioned() async {
        await propertyCheck(input: PlanCase.generator, Gen.uint64(in: 0 ... .max)) { c, seed in
            let plan = try c.plan()
            let whole = plan.noise(seed: seed).values(in: 0..<plan.latent.count)
            for region in plan.regions {
                let drawn = plan.noise(seed: seed, region: region.index)
                let expected = TestSupport.slice(whole, shape: plan.latent, box: region.box)
                #expect(drawn.map(\.bitPattern) == expected.map(\.bitPattern), "\(c) region \(region.index)")
            }
            // Element by element, in reverse, as a worker drawing one value at a time would.
            let noise = plan.noise(seed: seed)
            let probe = (0..<plan.latent.count).reversed().prefix(64).map {
                LatentNoise.value(seed: seed, index: $0).bitPattern
            }
            #expect(probe == whole.reversed().prefix(64).map(\.bitPattern))
            #expect(noise.values(in: plan.clipBox).map(\.bitPattern) == whole.map(\.bitPattern))
        }
    }

    @Test func noiseLooksStandardNormal() {
        let noise = LatentNoise(seed: 7, shape: LatentShape(channels: 1, frames: 1, height: 1, width: 200_000))
        let values = noise.values(in: 0..<200_000).map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        // Standard errors: 1/√n ≈ 0.0022 for the mean, ≈ 0.0032 for the variance.
        #expect(abs(mean) < 0.015)
        #expect(abs(variance - 1) < 0.02)
        #expect(values.allSatisfy { abs($0) < 6.67 })  // r ≤ sqrt(64 ln 2)
    }

    @Test func differentSeedsGiveDifferentNoise() {
        let shape = LatentShape(channels: 1, frames: 1, height: 4, width: 4)
        #expect(LatentNoise(seed: 1, shape: shape).values(in: 0..<16) != LatentNoise(seed: 2, shape: shape).values(in: 0..<16))
        // The high seed word matters too.
        #expect(LatentNoise(seed: 1, shape: shape).values(in: 0..<16) != LatentNoise(seed: 1 | 1 << 32, shape: shape).values(in: 0..<16))
    }
}
