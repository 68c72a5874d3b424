import Foundation
import ReelPlan
import ReelTensor

/// **Simulated-time stand-in model**, for measuring the farm alone (`reel bench
/// farm`): every step takes a fixed wall time and no compute, so the benchmark
/// sees only dispatch, transfer, blending and persistence. Its output is a fixed
/// function of its input (each step scales the latents by `1 − 1/N`), so jobs
/// stay deterministic and blending is exercised, but it generates nothing and
/// never counts as the engine.
public struct SimulatedExecutor: ShardExecutor {
    /// The model name it answers to.
    public static let modelName = "simulated"
    /// Wall time of one step.
    public let stepTime: Duration
    /// Pixels per latent pixel when "decoding" (gray frames).
    public let geometry: ModelGeometry

    public init(stepTime: Duration) {
        self.stepTime = stepTime
        let wan = ModelGeometry.wan21_1_3B
        geometry = ModelGeometry(
            name: Self.modelName, latentChannels: 16, temporalStride: wan.temporalStride,
            spatialStride: wan.spatialStride, patch: wan.patch, layers: 1, width: 32, ffnWidth: 64, heads: 2,
            textTokens: 16, textDim: 16)
    }

    public func models() -> [ModelGeometry] { [geometry] }

    public func decodeWarmup(model: String) -> Int { 1 }

    /// The stand-in has no weights: every simulated worker is the same model.
    public func digest(model: String) -> String { "simulated-stand-in" }

    public func denoise(_ task: DenoiseTask) throws(WorkerError) -> Tensor {
        guard task.model == Self.modelName else {
            throw WorkerError(.modelNotFound, "the simulated worker only has model '\(Self.modelName)', not '\(task.model)'")
        }
        guard task.latents.rank == 4, task.latents.shape[0] == geometry.latentChannels else {
            throw WorkerError(.invalidInput, "latents have shape \(task.latents.shape); expected (\(geometry.latentChannels), t, h, w)")
        }
        for step in task.steps {
            if task.isCancelled() { throw WorkerError(.cancelled, "cancelled before step \(step)") }
            Thread.sleep(forTimeInterval: stepTime.realSeconds)
        }
        var out = task.latents
        let factor = Float(pow(1 - 1 / Double(max(task.totalSteps, 1)), Double(task.steps.count)))
        for i in 0 ..< out.count { out.storage[i] *= factor }
        return out
    }

    public func decode(_ task: DecodeTask, emit: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) {
        let x = task.latents
        guard x.rank == 4, x.shape[1] > task.warmup else {
            throw WorkerError(.invalidInput, "decode latents have shape \(x.shape) with \(task.warmup) warm-up frames")
        }
        let kept = x.shape[1] - task.warmup
        let frames = task.warmup == 0 ? 1 + (kept - 1) * geometry.temporalStride : kept * geometry.temporalStride
        Thread.sleep(forTimeInterval: stepTime.realSeconds)
        // Gray frames of the real size, one latent frame's worth at a time, as a real decoder emits them.
        var left = frames
        while left > 0 {
            let n = min(left, geometry.temporalStride)
            try emit(Tensor(zeros: [3, n, x.shape[2] * geometry.spatialStride, x.shape[3] * geometry.spatialStride]))
            left -= n
        }
    }

}
