extension ConditioningPlan {
    /// Flow matching's forward process at noise level σ, `σ·ε + (1 − σ)·x0`, in float32
    /// with diffusers' order of operations (`FlowMatchEulerDiscreteScheduler.scale_noise`),
    /// so a pinned position matches the reference bit for bit. At σ = 0 it is `x0` exactly.
    public static func noised(_ known: [Float], noise: [Float], sigma: Float) -> [Float] {
        precondition(known.count == noise.count, "known latents and noise differ in length")
        let keep = 1 - sigma
        return (0..<known.count).map { sigma * noise[$0] + keep * known[$0] }
    }

    /// Writes item `index`'s known latents, noised to `sigma` with the job's own noise
    /// at the same global positions, into `latents` (a tensor over `box`, `[C, t, y, x]`)
    /// wherever the item and the box share a position.
    ///
    /// A worker calls this before the model runs at every step of a shard that
    /// ``items(for:)`` lists the item for (pins), and with σ = 0 after the last step
    /// (so the output there is the known latents exactly); for an edit, once with
    /// `σ[firstStep]` to make the starting point.
    ///
    /// - Parameters:
    ///   - known: the source's encoded latents over the item's box, `[C, t, y, x]`.
    ///   - noise: the job's noise generator (``Plan/noise(seed:)``).
    public func write(
        _ index: Int, known: [Float], noise: LatentNoise, sigma: Float, into latents: inout [Float], box: LatentBox
    ) {
        items[index].write(known: known, noise: noise, sigma: sigma, into: &latents, box: box)
    }
}
