extension ResolvedConditioning {
    /// The form the item's source is encoded in (``SourceForm``): later for a pin that
    /// starts after latent frame 0 or sits on a looped clip's circle (its time axis is
    /// cyclic), first otherwise. The latent frame count is the same in both forms, so
    /// the box does not change; in a clip decoded start to end the source's first frame
    /// still lands on pixel frame `stride·f` (latent frame f is pixel frames
    /// `stride·f − stride + 1 … stride·f`), now held over those `stride` frames.
    /// For a model that draws a clip's latent frame 0 in later form (``clipStartForm``)
    /// every source is later: its clips decode frame 0 as a later frame, and an edit's
    /// start must look like what its transformer draws.
    public var form: SourceForm {
        if clipStartForm == .later { return .later }
        return item.mode == .pin && (box.frames.start > 0 || box.frames.isCyclic) ? .later : .first
    }
}
