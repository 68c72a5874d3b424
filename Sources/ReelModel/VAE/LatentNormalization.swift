import ReelTensor

/// The per-channel affine map between the transformer's latent space and the
/// VAE's, from `latents_mean` / `latents_std` in the VAE config, as its own step:
/// ``WanVAE/decode(_:tiling:)`` and ``WanVAE/encode(_:)`` work in the VAE's space,
/// exactly as `vae.decode` / `vae.encode` do.
///
/// The arithmetic is the pipelines' float32 arithmetic: `WanPipeline` decodes
/// `latents / (1 / std) + mean`, and the image-to-video pipelines encode
/// `(mean_latent − mean) · (1 / std)`.
public struct LatentNormalization: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]
    /// `1 / std`, rounded to float32 first, as the pipelines build it.
    let inverseStd: [Float]

    /// Reads the statistics of `config`; there must be one per latent channel.
    public init(config: WanVAEConfig) throws(ModelError) {
        for (key, values) in [("latents_mean", config.latents_mean), ("latents_std", config.latents_std)] where values.count != config.z_dim {
            throw .invalidConfig(
                path: "vae/config.json", key: key, reason: "must have z_dim = \(config.z_dim) entries to normalise latents, got \(values.count)")
        }
        if let bad = config.latents_std.first(where: { !($0 > 0) || !$0.isFinite }) {
            throw .invalidConfig(path: "vae/config.json", key: "latents_std", reason: "must be positive and finite, got \(bad)")
        }
        mean = config.latents_mean.map { Float($0) }
        std = config.latents_std.map { Float($0) }
        inverseStd = std.map { 1 / $0 }
    }

    /// Transformer latents → VAE latents, before decoding: `x / (1/std) + mean` per channel.
    /// `latents`: `(B, z, F, H, W)` or `(z, F, H, W)`.
    public func denormalize(_ latents: Tensor) throws(ModelError) -> Tensor {
        try map(latents) { x, c in x / inverseStd[c] + mean[c] }
    }

    /// VAE latents (an encoder mean) → transformer latents: `(x − mean) · (1/std)` per channel.
    public func normalize(_ latents: Tensor) throws(ModelError) -> Tensor {
        try map(latents) { x, c in (x - mean[c]) * inverseStd[c] }
    }

    private func map(_ latents: Tensor, _ f: (Float, Int) -> Float) throws(ModelError) -> Tensor {
        let s = latents.shape, axis = s.count == 5 ? 1 : 0
        guard s.count == 4 || s.count == 5, s[axis] == mean.count else {
            throw .inputShape(name: "latents", expected: "(B, \(mean.count), F, H, W) or (\(mean.count), F, H, W)", actual: s)
        }
        let plane = s[(axis + 1)...].reduce(1, *), channels = mean.count
        var out = latents
        out.storage.withUnsafeMutableBufferPointer { y in
            for block in 0 ..< latents.count / max(plane, 1) {
                let c = block % channels, base = block * plane
                for i in base ..< base + plane { y[i] = f(y[i], c) }
            }
        }
        return out
    }
}
