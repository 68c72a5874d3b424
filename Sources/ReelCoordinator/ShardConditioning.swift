import ReelPlan

/// What a shard's assignment carries of its job's conditioning: the items whose
/// boxes meet its region (``ConditioningPlan/items(for:)``), each with its encoded
/// latents' blob, and where an edit's first block starts.
struct ShardConditioning: Sendable, Equatable {
    struct Item: Sendable, Equatable {
        /// The item's positions on the clip's latent.
        var box: LatentBox
        var edit: Bool
        /// `[C, t, h, w]` over ``box``.
        var latentsSHA: String
    }

    var items: [Item] = []
    /// The step the shard starts at when it is not its block's first: an edit
    /// starting inside the block, or the block's end for a block before an edit's
    /// first step (no step to run); nil: the block's first step.
    var stepBegin: Int?
}
