import Foundation
import ReelCoordinator
import ReelPlan
import ReelTensor
import ReelWorker
import Testing

/// The poisoning test fault that the three-host CI check and the verification
/// tests rely on: it spoils the asked share of shards, the same ones on a re-run,
/// with finite values that the result comparison refuses.
@Suite struct TestFaultTests {
    @Test func poisoningSpoilsTheShareAskedForTheSameWayEachTime() throws {
        // The simulated-time stand-in model (no compute, 1 µs steps) as the base.
        let base = SimulatedExecutor(stepTime: .microseconds(1))
        let fault = TestFaultPoisoningExecutor(base: base, fraction: 0.3)
        let embeds = DenoiseTask.Embeddings(id: "p", tensor: try Tensor(shape: [4, 8], storage: Array(repeating: 0.1, count: 32)))
        var spoiled = 0
        let tasks = 400
        for index in 0 ..< tasks {
            let shape = LatentShape(channels: 16, frames: 1, height: 2, width: 2)
            let latents = try Tensor(shape: shape.dimensions, storage: LatentNoise(seed: UInt64(index), shape: shape).values(in: 0 ..< shape.count))
            let task = DenoiseTask(
                model: SimulatedExecutor.modelName, latents: latents, totalSteps: 4, steps: 0 ..< 2, guidance: 1, shift: nil,
                prompt: embeds, negativePrompt: nil)
            let honest = try base.denoise(task)
            let result = try fault.denoise(task)
            #expect(result.shape == honest.shape && result.storage.allSatisfy(\.isFinite))
            let comparison = ResultComparison.compare(result.storage, honest.storage)
            if fault.spoils(task) {
                spoiled += 1
                #expect(!comparison.agree && abs(comparison.maxdiff - 0.05) < 1e-5, "maxdiff \(comparison.maxdiff)")
                #expect(try fault.denoise(task).storage == result.storage, "a re-run must be spoiled alike")
            } else {
                #expect(result.storage == honest.storage)
            }
        }
        // 400 draws at 0.3: the standard deviation is 0.023; 4 of them.
        let share = Double(spoiled) / Double(tasks)
        print("test fault: spoiled \(spoiled) of \(tasks) shards, share \(share), maxdiff \(abs(share - 0.3))")
        #expect(abs(share - 0.3) < 0.092)
        #expect(!TestFaultPoisoningExecutor(base: base, fraction: 0).spoils(
            DenoiseTask(model: "simulated", latents: try Tensor(shape: [16, 1, 2, 2], storage: Array(repeating: 0, count: 64)), totalSteps: 4,
                steps: 0 ..< 2, guidance: 1, shift: nil, prompt: embeds, negativePrompt: nil)))
    }
}
