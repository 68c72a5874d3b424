import ReelPlan

/// The source video an extended clip's output holds besides the clip
/// (``VideoDescription/extend``): which frames, the file, and the encoder settings
/// of the workers' segments, so that the joiner can encode those frames into a
/// segment it joins to theirs by copying packets.
public struct ExtendJoin: Sendable, Hashable {
    /// Which source frames go where.
    public var join: SourceJoin
    /// The source's blob, filled in off the loop (``Coordinator/resolveExtendSource(_:)``).
    public var sourcePath: String?
    /// libx264's CRF and preset of the workers' segments (``CoordinatorConfig/crf``, ``CoordinatorConfig/preset``).
    public var crf: Double
    public var preset: String

    public init(join: SourceJoin, sourcePath: String? = nil, crf: Double, preset: String) {
        self.join = join
        self.sourcePath = sourcePath
        self.crf = crf
        self.preset = preset
    }
}
