import Foundation

/// Checks a segment's bytes before the coordinator stores them: the coordinator
/// does not link libav, so the service hands it a function (ReelFarm's parses
/// the H.264 stream with ReelMedia). It throws, saying why, for a segment that is
/// not well formed or not complete; the chunk is then re-queued and the worker
/// charged a failure.
public typealias SegmentInspector = @Sendable (_ segment: Data, _ expected: SegmentExpectation) throws -> Void

/// What a decode chunk's segment must be.
public struct SegmentExpectation: Sendable, Equatable {
    /// Pixel frames the chunk decodes to.
    public var frames: Int
    public var width: Int
    public var height: Int
    /// The segment is a PNG image (a still's one frame), not H.264.
    public var still: Bool

    public init(frames: Int, width: Int, height: Int, still: Bool = false) {
        self.frames = frames
        self.width = width
        self.height = height
        self.still = still
    }
}
