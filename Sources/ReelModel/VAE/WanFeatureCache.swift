import ReelTensor

/// The frames each temporal convolution of a VAE pass keeps for the next chunk:
/// diffusers' `feat_cache` list and `feat_idx` cursor. Slots are claimed in call
/// order, so the same layer gets the same slot in every chunk.
struct WanFeatureCache: Sendable {
    /// diffusers keeps at most this many input frames per convolution (`CACHE_T`).
    static let frames = 2

    enum Slot: Sendable {
        /// Nothing seen yet (`None`).
        case empty
        /// A temporal upsampler passed its first chunk through without `time_conv` (`"Rep"`).
        case repeated
        /// The last input frames `(≤ 2, H, W, C)`.
        case frames(Tensor)
    }

    private(set) var slots: [Slot] = []
    private var cursor = 0
    /// The clip's latent frame being decoded. A temporal upsampler that first runs past
    /// frame 0 (decoding that starts mid-clip, or a stage skipped during warm-up) starts
    /// as if a chunk had passed already, so it yields `stride` frames per latent frame.
    private(set) var latentFrame = 0

    /// Rewinds the cursor: one call per chunk, before the first layer.
    mutating func beginChunk(latentFrame: Int = 0) {
        cursor = 0
        self.latentFrame = latentFrame
    }

    /// Claims the next slot.
    mutating func next() -> Int {
        if cursor == slots.count { slots.append(.empty) }
        cursor += 1
        return cursor - 1
    }

    subscript(index: Int) -> Slot {
        get { slots[index] }
        set { slots[index] = newValue }
    }
}
