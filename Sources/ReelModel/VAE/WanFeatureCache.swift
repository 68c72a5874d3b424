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
    /// Temporal upsamplers start as if a chunk had passed already, so decoding that
    /// begins mid-clip yields `stride` pixel frames per latent frame from the start.
    let startsMidClip: Bool

    init(startsMidClip: Bool = false) { self.startsMidClip = startsMidClip }

    /// Rewinds the cursor: one call per chunk, before the first layer.
    mutating func beginChunk() { cursor = 0 }

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
