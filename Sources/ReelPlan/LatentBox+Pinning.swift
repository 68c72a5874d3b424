extension LatentBox {
    /// Writes known latents over this box (a conditioning item's), noised to `sigma` with `noise` at the same
    /// global positions (`σ·ε + (1 − σ)·x0`, diffusers' `scale_noise` in float32),
    /// into `latents` (a tensor over `box`, `[C, t, y, x]`) wherever this box and
    /// `box` share a position. At σ = 0 the written values are the known latents exactly.
    ///
    /// - Parameters:
    ///   - known: the source's encoded latents over this box, `[C, t, y, x]`.
    ///   - noise: ε at a global position `(channel, frame, row, column)`: the job's
    ///     ``LatentNoise`` in the farm, any values in the tests that check the arithmetic.
    public func writeNoised(
        known: [Float], sigma: Float, into latents: inout [Float], box: LatentBox,
        noise: (_ channel: Int, _ frame: Int, _ row: Int, _ column: Int) -> Float
    ) {
        let itemBox = self
        precondition(known.count == itemBox.count, "known latents do not cover the conditioning box")
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
                        latents[box.localIndex(channel: c, frame: tBox, row: yBox, column: xBox)] = sigma * noise(c, f, y, x) + keep * x0
                    }
                }
            }
        }
    }

}
