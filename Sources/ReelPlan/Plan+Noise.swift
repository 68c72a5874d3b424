extension Plan {
    /// The noise generator for this clip and `seed`.
    public func noise(seed: UInt64) -> LatentNoise { LatentNoise(seed: seed, shape: latent) }

    /// The initial noise of region `r` (a block-0 shard's input), `[C, t, y, x]`.
    public func noise(seed: UInt64, region r: Int) -> [Float] {
        noise(seed: seed).values(in: regions[r].box)
    }
}
