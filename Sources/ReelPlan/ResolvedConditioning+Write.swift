extension ResolvedConditioning {
    /// Writes the item's known latents, noised to `sigma`, into `latents` over `box`
    /// (see ``LatentBox/writeNoised(known:sigma:into:box:noise:)``, on the item's ``box``).
    public func write(
        known: [Float], sigma: Float, into latents: inout [Float], box: LatentBox,
        noise: (_ channel: Int, _ frame: Int, _ row: Int, _ column: Int) -> Float
    ) {
        self.box.writeNoised(known: known, sigma: sigma, into: &latents, box: box, noise: noise)
    }

    /// ``write(known:sigma:into:box:noise:)`` with the job's noise.
    public func write(known: [Float], noise: LatentNoise, sigma: Float, into latents: inout [Float], box: LatentBox) {
        write(known: known, sigma: sigma, into: &latents, box: box) { noise.value(channel: $0, frame: $1, row: $2, column: $3) }
    }
}
