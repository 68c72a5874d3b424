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
        let itemBox = items[index].box
        precondition(known.count == itemBox.count, "known latents do not cover the item's box")
        precondition(latents.count == box.count, "latents do not cover the box")
        let frames = itemBox.frames.intersection(with: box.frames)
        let rows = itemBox.rows.intersection(with: box.rows), columns = itemBox.columns.intersection(with: box.columns)
        guard !frames.isEmpty, !rows.isEmpty, !columns.isEmpty else { return }
        let keep = 1 - sigma
        for c in 0..<box.channels {
            for (tItem, tBox) in frames {
                let f = itemBox.frames.position(at: tItem)
                for (yItem, yBox) in rows {
                    let y = itemBox.rows.position(at: yItem)
                    for (xItem, xBox) in columns {
                        let x = itemBox.columns.position(at: xItem)
                        let x0 = known[itemBox.localIndex(channel: c, frame: tItem, row: yItem, column: xItem)]
                        let eps = noise.value(channel: c, frame: f, row: y, column: x)
                        latents[box.localIndex(channel: c, frame: tBox, row: yBox, column: xBox)] = sigma * eps + keep * x0
                    }
                }
            }
        }
    }
}
