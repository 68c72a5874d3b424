/// The patch size of a video diffusion transformer: how many latent frames,
/// rows and columns one token covers.
public struct PatchSize: Hashable, Sendable, Codable {
    /// Latent frames per token.
    public var frames: Int
    /// Latent rows per token.
    public var height: Int
    /// Latent columns per token.
    public var width: Int

    public init(frames: Int, height: Int, width: Int) {
        self.frames = frames
        self.height = height
        self.width = width
    }

    /// Latent elements (per channel) in one token.
    public var volume: Int { frames * height * width }
}

/// Everything the plan needs to know about a model: how the VAE maps pixels to
/// latents, how the transformer cuts latents into tokens, and the transformer's
/// dimensions for the FLOP estimate.
///
/// A plain value so that ReelPlan stays independent of the engine modules; the
/// CLI builds one from a name or a diffusers `transformer/config.json`.
public struct ModelGeometry: Hashable, Sendable, Codable {
    /// A short name for display (`wan2.1-1.3b`, or a folder name).
    public var name: String
    /// Channels of the VAE latent (16 for Wan 2.1).
    public var latentChannels: Int
    /// Pixel frames per latent frame after the first. The first frame is encoded on
    /// its own (a causal VAE), so F pixel frames need `(F - 1) % temporalStride == 0`.
    public var temporalStride: Int
    /// Pixels per latent pixel along height and width.
    public var spatialStride: Int
    /// Transformer patch size in latent elements.
    public var patch: PatchSize
    /// Transformer blocks.
    public var layers: Int
    /// Hidden width (`heads × head dim`).
    public var width: Int
    /// Feed-forward inner width.
    public var ffnWidth: Int
    /// Attention heads (only used to describe the model; FLOPs depend on `width`).
    public var heads: Int
    /// Text tokens the cross-attention attends to (the T5 context length).
    public var textTokens: Int
    /// Width of the text encoder's output, projected to `width` once per forward pass.
    public var textDim: Int
    /// How the transformer draws a clip's latent frame 0 (the model folder's `reel.json`):
    /// nil (Wan 2.1's) is ``SourceForm/first``; ``SourceForm/later`` for a transformer
    /// that never trained on a clip's first latent frame, whose clips decode that frame
    /// as a later one and whose conditioning sources are all encoded in later form.
    public var firstLatentForm: SourceForm?

    public init(
        name: String, latentChannels: Int, temporalStride: Int, spatialStride: Int, patch: PatchSize,
        layers: Int, width: Int, ffnWidth: Int, heads: Int, textTokens: Int, textDim: Int, firstLatentForm: SourceForm? = nil
    ) {
        self.name = name
        self.latentChannels = latentChannels
        self.temporalStride = temporalStride
        self.spatialStride = spatialStride
        self.patch = patch
        self.layers = layers
        self.width = width
        self.ffnWidth = ffnWidth
        self.heads = heads
        self.textTokens = textTokens
        self.textDim = textDim
        self.firstLatentForm = firstLatentForm
    }

    /// Wan 2.1 T2V 1.3B: 30 layers, 12 heads × 128, FFN 8960, umT5 context 512 × 4096.
    public static let wan21_1_3B = ModelGeometry(
        name: "wan2.1-1.3b", latentChannels: 16, temporalStride: 4, spatialStride: 8,
        patch: PatchSize(frames: 1, height: 2, width: 2),
        layers: 30, width: 12 * 128, ffnWidth: 8960, heads: 12, textTokens: 512, textDim: 4096)

    /// Wan 2.1 T2V 14B: 40 layers, 40 heads × 128, FFN 13824; same VAE and text encoder.
    public static let wan21_14B = ModelGeometry(
        name: "wan2.1-14b", latentChannels: 16, temporalStride: 4, spatialStride: 8,
        patch: PatchSize(frames: 1, height: 2, width: 2),
        layers: 40, width: 40 * 128, ffnWidth: 13824, heads: 40, textTokens: 512, textDim: 4096)

    /// Pixels per token edge along height and width (16 for Wan): frame sizes must be multiples.
    public var pixelQuantum: (height: Int, width: Int) {
        (spatialStride * patch.height, spatialStride * patch.width)
    }

    /// Checks that every dimension is positive, so later arithmetic never divides by zero.
    public func validate() throws(PlanError) {
        let fields: [(PlanError.Parameter, Int)] = [
            (.latentChannels, latentChannels), (.temporalStride, temporalStride),
            (.spatialStride, spatialStride), (.patchFrames, patch.frames), (.patchHeight, patch.height),
            (.patchWidth, patch.width), (.layers, layers), (.modelWidth, width), (.ffnWidth, ffnWidth),
            (.heads, heads), (.textTokens, textTokens), (.textDim, textDim),
        ]
        for (parameter, value) in fields where value < 1 {
            throw .notPositive(parameter, value: value)
        }
    }
}
