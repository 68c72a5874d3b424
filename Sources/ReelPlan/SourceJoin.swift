/// What an extended clip's output holds besides the clip (``ConditioningItem/join``):
/// the rest of the source video, conformed to the job's size and frame rate, before
/// the clip when the pinned frames open it (`--extend`: the source, then the new
/// clip) or after it when they close it (`--extend --backward`: the new clip, then
/// the source). The pinned frames are in the clip already, so they are not repeated:
/// the output has `pinnedFirst` source frames before the clip, or every source frame
/// from `pinnedFirst + pinnedCount` on after it.
public struct SourceJoin: Hashable, Sendable, Codable {
    /// Where the source's other frames go.
    public enum Side: String, Hashable, Sendable, Codable {
        /// Before the clip: source frames `0 ..< pinnedFirst`.
        case before
        /// After the clip: source frames from `pinnedFirst + pinnedCount` to its end.
        case after
    }

    /// The source file's SHA-256 (its blob on the coordinator).
    public var digest: String
    public var side: Side
    /// The first pinned source frame, counted at the job's frame rate.
    public var pinnedFirst: Int
    /// How many source frames are pinned (and so are in the clip).
    public var pinnedCount: Int
    /// How the source is conformed to the frame, as its encoding was.
    public var fit: SourceFit

    public init(digest: String, side: Side, pinnedFirst: Int, pinnedCount: Int, fit: SourceFit) {
        self.digest = digest
        self.side = side
        self.pinnedFirst = pinnedFirst
        self.pinnedCount = pinnedCount
        self.fit = fit
    }

    /// The source frames (at the job's frame rate) the output holds besides the clip;
    /// `upperBound` is `Int.max` after the clip (up to the source's end).
    public var frames: Range<Int> {
        side == .before ? 0 ..< pinnedFirst : (pinnedFirst + pinnedCount) ..< Int.max
    }
}

extension JobRequest {
    /// The join of the item that asks for one (``ConditioningPlan`` allows at most one,
    /// at the clip's start or end); nil when the output is the clip alone.
    public func sourceJoin(temporalStride stride: Int) -> SourceJoin? {
        guard let item = canonicalConditioning(temporalStride: stride).first(where: { $0.join == true }),
            item.source.kind == .video, let latent = item.latentFrame
        else { return nil }
        return SourceJoin(
            digest: item.source.digest, side: latent == 0 ? .before : .after, pinnedFirst: item.source.firstFrame ?? 0,
            pinnedCount: item.source.frameCount ?? 1, fit: item.fit ?? .crop)
    }
}
