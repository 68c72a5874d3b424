extension SourceJoin {
    /// The clip frames that hold the pinned source frames, in a clip of `clipFrames`
    /// frames: its first `pinnedCount` (`.before`) or its last (`.after`).
    public func pinnedClipFrames(clipFrames: Int) -> Range<Int> {
        let count = min(max(pinnedCount, 0), max(clipFrames, 0))
        return side == .before ? 0 ..< count : (max(clipFrames, 0) - count) ..< max(clipFrames, 0)
    }

    /// What clip frame `frame` shows of the source in the joined output: the source
    /// frame (at the job's frame rate) it was pinned to, and that frame's weight in a
    /// crossfade from the source's own pixels, next to the source, to the model's
    /// decode, where the new frames begin; nil for a frame that holds no pinned frame.
    ///
    /// Why: a pinned frame comes back through the VAE, so it differs from the source
    /// frame by the round trip (by more for a first-form pin's first frame, which a causal
    /// VAE decodes alone). Shown as decoded, that difference is a jump at the join; crossfaded over
    /// the pinned run it is spread over every pinned frame, and both ends of the run
    /// stay continuous: with the source on one side and with the model's own
    /// continuation, which it denoised from these very latents, on the other.
    /// The weight follows a smoothstep of the distance from the source's side,
    /// `u = (k + 1) / (pinnedCount + 1)` for the k-th pinned frame counted from there,
    /// so it is nearly 1 at the join and nearly 0 where the new frames begin.
    public func crossfade(clipFrame frame: Int, clipFrames: Int) -> (sourceFrame: Int, weight: Double)? {
        let pinned = pinnedClipFrames(clipFrames: clipFrames)
        guard pinned.contains(frame) else { return nil }
        let offset = frame - pinned.lowerBound
        // k: how many pinned frames lie between this one and the source's own frames.
        let k = side == .before ? offset : pinned.count - 1 - offset
        let u = Double(k + 1) / Double(pinned.count + 1)
        return (pinnedFirst + offset, 1 - u * u * (3 - 2 * u))
    }
}
