import Foundation
import Testing
import ReelModel
import ReelTensor

/// The transformer ↔ VAE latent map, against the pipeline's formula written out
/// here independently, and its round trip.
@Suite struct LatentNormalizationTests {
    var config: WanVAEConfig {
        var c = WanVAEConfig()
        c.z_dim = 3
        c.latents_mean = [0.5, -1.25, 2]
        c.latents_std = [2.8184, 0.5, 1.9160]
        return c
    }

    @Test func denormalizeIsThePipelinesDivisionByTheInverseStd() throws {
        let n = try LatentNormalization(config: config)
        var rng = SeededRandom(seed: 3)
        let x = rng.normalTensor([2, 3, 2, 2, 3])
        let y = try n.denormalize(x)
        for i in 0 ..< x.count {
            let c = (i / 12) % 3
            // latents / (1 / std) + mean, each step rounded to float32 as torch does.
            let inverse = Float(1) / Float(config.latents_std[c])
            #expect(y.storage[i] == x.storage[i] / inverse + Float(config.latents_mean[c]))
        }
        // Unbatched latents use the same map.
        #expect(try n.denormalize(x.slice(1)) == y.slice(1))
    }

    @Test func normalizeInvertsDenormalize() throws {
        let n = try LatentNormalization(config: config)
        var rng = SeededRandom(seed: 4)
        let x = rng.normalTensor([3, 4, 2, 2])
        let back = try n.normalize(try n.denormalize(x))
        #expect(back.maxAbsDifference(x) < 1e-5)
        // Channel 1 (std 0.5, mean −1.25): 1 ↦ 1 · 0.5 − 1.25.
        var one = Tensor(zeros: [3, 1, 1, 1], value: 1)
        one = try n.denormalize(one)
        #expect(one.storage == [Float(1 * 2.8184 + 0.5), -0.75, Float(1 * 1.9160 + 2)])
    }

    @Test func mismatchedStatisticsAndShapesAreNamed() throws {
        var c = config
        c.latents_std = [1, 2]
        do {
            _ = try LatentNormalization(config: c)
            Issue.record("accepted 2 std entries for z_dim 3")
        } catch {
            #expect("\(error)".contains("latents_std") && "\(error)".contains("3"), "\(error)")
        }
        let n = try LatentNormalization(config: config)
        do {
            _ = try n.denormalize(Tensor(zeros: [1, 4, 1, 2, 2]))
            Issue.record("accepted 4 channels")
        } catch {
            #expect("\(error)".contains("latents") && "\(error)".contains("[1, 4, 1, 2, 2]"), "\(error)")
        }
    }
}
