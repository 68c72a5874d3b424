import Foundation
import ReelTensor

/// The Wan 2.1 video VAE, parameter for parameter as diffusers' `AutoencoderKLWan`
/// stores it, decoding and encoding as it does.
///
/// Decoding is causal and runs one latent frame at a time: every temporal
/// convolution keeps the last frames it saw (``WanFeatureCache``), the first latent
/// frame becomes one pixel frame and each later one `temporalStride` frames. Encoding
/// runs the first pixel frame, then four at a time. Internally video is channels-last
/// `(T, H, W, C)`; the public API takes and returns PyTorch's `(B, C, F, H, W)`.
public final class WanVAE: Sendable {
    public let config: WanVAEConfig
    /// Number of parameters.
    public let parameterCount: Int

    public let encoder: WanEncoder3d
    public let quant_conv: WanCausalConv3d  // (2z, 2z, 1, 1, 1)
    public let post_quant_conv: WanCausalConv3d  // (z, z, 1, 1, 1)
    public let decoder: WanDecoder3d

    /// Builds the VAE from `source`, asking for every parameter by its checkpoint name.
    public init(config c: WanVAEConfig, from source: inout some WeightSource) throws(ModelError) {
        try c.validate(path: "(config)")
        var counted = CountingWeights(base: source)
        defer { source = counted.base }
        config = c
        encoder = try WanEncoder3d("encoder", config: c, from: &counted)
        quant_conv = try WanCausalConv3d("quant_conv", in: 2 * c.z_dim, out: 2 * c.z_dim, kernel: [1, 1, 1], from: &counted)
        post_quant_conv = try WanCausalConv3d("post_quant_conv", in: c.z_dim, out: c.z_dim, kernel: [1, 1, 1], from: &counted)
        decoder = try WanDecoder3d("decoder", config: c, from: &counted)
        parameterCount = counted.elements
    }

    /// Loads `folder/vae/config.json` and `folder/vae/diffusion_pytorch_model.safetensors`
    /// (or its sharded index), checking every tensor's name and shape.
    public convenience init(folder: URL) throws(ModelError) {
        let directory = folder.appendingPathComponent("vae").path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingFile(
                path: directory, hint: "a diffusers model folder keeps its AutoencoderKLWan in vae/; create one with `reel model init`")
        }
        let config = try WanVAEConfig.load(path: (directory as NSString).appendingPathComponent("config.json"))
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(directory: directory, baseName: ModelFolder.weightsBaseName) } catch { throw .weights(error) }
        var weights = CheckpointWeights(checkpoint)
        try self.init(config: config, from: &weights)
        try weights.finish()
    }

    /// `vae.decode(latents).sample`: `(B, z, F, h, w)` → `(B, out, 1 + s(F−1), h·8, w·8)`
    /// in [−1, 1]. The latents are the VAE's own (see ``LatentNormalization`` for the
    /// transformer's).
    /// With `tiling`, frames larger than a tile decode as diffusers' `tiled_decode` does.
    public func decode(_ latents: Tensor, tiling: VAETiling? = nil) throws(ModelError) -> Tensor {
        try config.checkLatents(latents, batched: true)
        var samples = [Tensor]()
        for b in 0 ..< latents.shape[0] {
            var decoder = try FrameDecoder(vae: self, latents: latents.slice(b), frames: 0 ..< latents.shape[2], warmup: 0, tiling: tiling)
            var frames = [Tensor]()
            while let batch = try decoder.next() { frames.append(batch) }
            samples.append(try kernel { () throws(TensorError) in try Tensor.concatenate(frames).permuted([3, 0, 1, 2]) })
        }
        return try kernel { () throws(TensorError) in try Tensor.stack(samples) }
    }

    /// The mean of `vae.encode(video).latent_dist`: `(B, in, 1 + 4k, H, W)` → `(B, z, 1 + k, H/8, W/8)`
    /// for Wan 2.1's temporal stride 4. Each batch entry runs through one
    /// ``StreamingEncoder``, so the whole and the streamed encodings are one code path.
    public func encode(_ video: Tensor) throws(ModelError) -> Tensor {
        try config.checkVideo(video)
        var means = [Tensor]()
        for b in 0 ..< video.shape[0] {
            var encoder = try StreamingEncoder(vae: self)
            try encoder.append(video.slice(b))
            means.append(try encoder.finish())
        }
        return try kernel { () throws(TensorError) in try Tensor.stack(means) }
    }
}
