import ReelTensor

/// The N-step schedule of diffusers' `FlowMatchEulerDiscreteScheduler`, with
/// its arithmetic reproduced where it rounds:
///
/// 1. Training sigmas `s = t/T` for `t = T…1` in float32, shifted once in float32:
///    `σ_min = S·s / (1 + (S−1)·s)` at `t = 1`, and `σ_max = 1`.
/// 2. `N` timesteps `linspace(σ_max·T, σ_min·T, N)` in float64, `σ = t/T`,
///    shifted *again* (diffusers shifts the already-shifted endpoints), then
///    rounded to float32; `timesteps = σ·T` in float32; a final σ = 0 appended.
///
/// An Euler step is `x ← x + (σ_{i+1} − σ_i)·v` in float32.
public struct FlowMatchEulerDiscreteScheduler: Sendable, Equatable {
    public let config: SchedulerConfig
    /// `N + 1` noise levels, the last 0.
    public let sigmas: [Float]
    /// `N` model timesteps, `σ_i · T`.
    public let timesteps: [Float]

    public var steps: Int { timesteps.count }

    public init(config: SchedulerConfig, steps: Int) throws(ModelError) {
        guard steps >= 1 else {
            throw .invalidConfig(path: "(sampler)", key: "steps", reason: "must be at least 1, got \(steps)")
        }
        self.config = config
        let total = config.numTrainTimesteps
        let shiftF = Float(config.shift)
        // Step 1, float32 as PyTorch does it on the training grid.
        let sLast = Float(1) / Float(total)
        let sigmaMin = Double((shiftF * sLast) / (1 + (shiftF - 1) * sLast))
        let sigmaMax = 1.0
        // Step 2, float64 as NumPy does it.
        let start = sigmaMax * Double(total), end = sigmaMin * Double(total)
        var sigmas = [Float]()
        for i in 0 ..< steps {
            let t = steps == 1 ? start : Self.linspace(start, end, steps, i)
            let s = t / Double(total)
            sigmas.append(Float(config.shift * s / (1 + (config.shift - 1) * s)))
        }
        timesteps = sigmas.map { $0 * Float(total) }
        self.sigmas = sigmas + [0]
    }

    /// NumPy's `linspace` element `i`: `start + i·step`, with the last exactly `end`.
    static func linspace(_ start: Double, _ end: Double, _ n: Int, _ i: Int) -> Double {
        if i == n - 1 { return end }
        let step = (end - start) / Double(n - 1)
        return start + Double(i) * step
    }

    /// One Euler step from step `index`: `sample + (σ_{index+1} − σ_index)·velocity`.
    public func step(velocity: Tensor, index: Int, sample: inout Tensor) {
        let dt = sigmas[index + 1] - sigmas[index]
        for i in 0 ..< sample.count { sample.storage[i] += dt * velocity.storage[i] }
    }
}
