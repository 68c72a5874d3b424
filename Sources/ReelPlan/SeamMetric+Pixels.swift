extension Plan {
    /// The plan's window boundaries as pixel frames of the decoded clip. A causal video
    /// VAE decodes latent frame 0 to pixel frame 0 alone and latent frame l ≥ 1 to pixel
    /// frames `s·l − s + 1 … s·l` (s the temporal stride), so the latent pair (b − 1, b)
    /// meets between pixel frames `s·b − s` and `s·b − s + 1`: pixel pair `s·b − s + 1`,
    /// in ``SeamMetric``'s numbering. A loop is decoded as a circle, latent frame l to
    /// pixel frames `s·l … s·l + s − 1`, so its pair is `s·b` (0 for the wrap).
    public var pixelWindowBoundaries: [Int] {
        let s = geometry.model.temporalStride
        if config.loop { return windowBoundaries.map { s * $0 } }
        return windowBoundaries.map { $0 == 0 ? 0 : s * $0 - s + 1 }
    }

    /// The seam metric of the decoded clip: `frames` pixel frames in order (each one
    /// flat array, all the same size), at ``pixelWindowBoundaries``; nil for a single
    /// window or a frame count that is not the plan's ``decodedFrames``.
    /// With `latentMatched`, the interior is only the other pairs between latent frames
    /// (``SeamMetric``'s `period`, the temporal stride): the boundaries fall between latent
    /// frames, whose pairs differ more than those inside one even without a seam.
    public func seamMetric(pixelFrames frames: [[Float]], latentMatched: Bool = false) -> SeamMetric? {
        guard frames.count == decodedFrames else { return nil }
        return SeamMetric(
            frames: frames, boundaries: pixelWindowBoundaries, wraps: config.loop, period: latentMatched ? geometry.model.temporalStride : nil)
    }
}
