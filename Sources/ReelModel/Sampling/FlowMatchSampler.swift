import ReelTensor

/// The denoising loop of diffusers' `WanPipeline`: at each step the transformer
/// predicts a velocity for the conditional prompt and, with guidance, for the
/// negative prompt, combined as `uncond + g·(cond − uncond)`; an Euler step follows.
///
/// Any block of steps `[k0, k1)` runs by itself from the latents at `k0`: the
/// farm hands out step blocks, and running blocks back to back gives exactly
/// the latents of one uninterrupted run.
public struct FlowMatchSampler: Sendable {
    public let model: WanTransformer3DModel
    public let scheduler: FlowMatchEulerDiscreteScheduler
    /// Classifier-free guidance scale `g`; applied only when negative embeddings are given and `g > 1`.
    public let guidance: Float

    public init(model: WanTransformer3DModel, scheduler: FlowMatchEulerDiscreteScheduler, guidance: Float) {
        self.model = model
        self.scheduler = scheduler
        self.guidance = guidance
    }

    /// Runs steps `range` on one sample's latents `(C, F, H, W)`.
    /// - Parameters:
    ///   - positive: the prompt's prepared text context
    ///   - negative: the negative prompt's, or nil for no guidance
    ///   - onStep: called after each step with its index
    ///   - isCancelled: asked before each step; once true, sampling stops with
    ///     ``ModelError/cancelled(step:)`` (a farm shard stops within one step)
    ///   - beforeStep: may change the latents at step i's noise level `σ[i]` before the
    ///     model sees them, and is called once more with `range.upperBound` after the
    ///     last step (the latents are then at `σ[upperBound]`, 0 at the schedule's end).
    ///     Conditioning writes pinned latents here (issue 16).
    public func run(
        latents: Tensor, steps range: Range<Int>,
        positive: WanTransformer3DModel.TextContext, negative: WanTransformer3DModel.TextContext?,
        onStep: (Int) -> Void = { _ in }, isCancelled: () -> Bool = { false },
        beforeStep: ((Int, inout Tensor) -> Void)? = nil
    ) throws(ModelError) -> Tensor {
        guard range.lowerBound >= 0, range.upperBound <= scheduler.steps, !range.isEmpty else {
            throw .invalidConfig(
                path: "(sampler)", key: "steps",
                reason: "block \(range) is not a non-empty part of the \(scheduler.steps)-step schedule [0, \(scheduler.steps))")
        }
        guard model.config.in_channels == model.config.out_channels else {
            throw .inputShape(
                name: "latents", expected: "a model with in_channels == out_channels to sample (this one maps \(model.config.in_channels) → \(model.config.out_channels))",
                actual: latents.shape)
        }
        var x = latents
        for i in range {
            if isCancelled() { throw .cancelled(step: i) }
            beforeStep?(i, &x)
            let t = scheduler.timesteps[i]
            var velocity = try model.forward(latents: x, timestep: t, context: positive)
            if let negative, guidance > 1 {
                let uncond = try model.forward(latents: x, timestep: t, context: negative)
                for j in 0 ..< velocity.count {
                    velocity.storage[j] = uncond.storage[j] + guidance * (velocity.storage[j] - uncond.storage[j])
                }
            }
            guard velocity.isFinite else {
                throw .inputShape(name: "velocity at step \(i)", expected: "finite values (the model produced NaN or Inf)", actual: velocity.shape)
            }
            scheduler.step(velocity: velocity, index: i, sample: &x)
            onStep(i)
        }
        beforeStep?(range.upperBound, &x)
        return x
    }

    /// Batched sampling as `reel model sample` runs it: `noise (B, C, F, H, W)`,
    /// `promptEmbeds (B, L, D)`, optional `negativePromptEmbeds (B, L', D)`.
    public func sample(
        noise: Tensor, promptEmbeds: Tensor, negativePromptEmbeds: Tensor?, steps range: Range<Int>? = nil,
        onStep: (Int, Int) -> Void = { _, _ in }
    ) throws(ModelError) -> Tensor {
        let c = model.config
        guard noise.rank == 5, noise.shape[1] == c.in_channels else {
            throw .inputShape(name: "noise", expected: "(B, \(c.in_channels), F, H, W)", actual: noise.shape)
        }
        let b = noise.shape[0]
        guard promptEmbeds.rank == 3, promptEmbeds.shape[0] == b, promptEmbeds.shape[2] == c.text_dim else {
            throw .inputShape(name: "prompt_embeds", expected: "(\(b), L, \(c.text_dim))", actual: promptEmbeds.shape)
        }
        if let n = negativePromptEmbeds, n.rank != 3 || n.shape[0] != b || n.shape[2] != c.text_dim {
            throw .inputShape(name: "negative_prompt_embeds", expected: "(\(b), L, \(c.text_dim))", actual: n.shape)
        }
        var out = [Tensor]()
        for i in 0 ..< b {
            let positive = try model.context(promptEmbeds.slice(i))
            let negative = try negativePromptEmbeds.map { n throws(ModelError) in try model.context(n.slice(i)) }
            out.append(
                try run(latents: noise.slice(i), steps: range ?? 0 ..< scheduler.steps, positive: positive, negative: negative) {
                    onStep(i, $0)
                })
        }
        return try kernel { () throws(TensorError) in try Tensor.stack(out) }
    }
}
