import ReelPlan
import ReelTensor

/// One step block of one region: what a `ShardAssignment` asks a worker to do.
public struct DenoiseTask: Sendable {
    /// The model folder's name in the worker's models directory.
    public var model: String
    /// The region's latents at step `steps.lowerBound`, `(C, t, h, w)`.
    public var latents: Tensor
    /// Length N of the whole schedule.
    public var totalSteps: Int
    /// The block `[k0, k1)` to run.
    public var steps: Range<Int>
    /// Classifier-free guidance scale.
    public var guidance: Float
    /// Flow shift; nil keeps the model's scheduler config.
    public var shift: Double?
    /// Prompt embeddings `(L, D)` and their content address (the cache key).
    public var prompt: Embeddings
    /// Negative prompt embeddings, when guidance applies.
    public var negativePrompt: Embeddings?
    /// Checked between sampling steps: once true, the executor stops with a
    /// `cancelled` error instead of finishing the block.
    public var isCancelled: @Sendable () -> Bool = { false }
    /// Known latents the block keeps (pins) or starts from (an edit); nil: none.
    public var conditioning: DenoiseConditioning?

    /// Text embeddings with the content address they are cached under.
    public struct Embeddings: Sendable {
        public var id: String
        public var tensor: Tensor
        public init(id: String, tensor: Tensor) {
            self.id = id
            self.tensor = tensor
        }
    }

    public init(
        model: String, latents: Tensor, totalSteps: Int, steps: Range<Int>, guidance: Float, shift: Double?,
        prompt: Embeddings, negativePrompt: Embeddings?
    ) {
        self.model = model
        self.latents = latents
        self.totalSteps = totalSteps
        self.steps = steps
        self.guidance = guidance
        self.shift = shift
        self.prompt = prompt
        self.negativePrompt = negativePrompt
    }
}

/// One chunk of the decode stage: latent frames decoded to pixels.
public struct DecodeTask: Sendable {
    /// The model folder's name (its `vae/` decodes).
    public var model: String
    /// `(z, warmup + n, H, W)`: the warm-up frames, then the chunk's own.
    public var latents: Tensor
    /// Leading latent frames that only warm the causal caches; their pixels are
    /// dropped. A chunk that does not start the clip needs at least one, because a
    /// causal VAE turns its first input frame into a single pixel frame.
    public var warmup: Int
    /// Whether the latents are still in the transformer's normalised space
    /// (the VAE's `latents_mean`/`latents_std` are applied first).
    public var normalize: Bool
    /// `latents`' frame 0 is the clip's latent frame 0 drawn in later form, as the
    /// coordinator says (`DecodeAssignment.later_start`): the decode reads it so
    /// (``WanVAE/decodeStream(_:frames:warmup:tiling:laterStart:emit:)``).
    public var laterStart: Bool

    public init(model: String, latents: Tensor, warmup: Int, normalize: Bool, laterStart: Bool = false) {
        self.model = model
        self.latents = latents
        self.warmup = warmup
        self.normalize = normalize
        self.laterStart = laterStart
    }
}
