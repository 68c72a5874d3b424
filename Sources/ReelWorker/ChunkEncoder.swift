import ReelTensor

/// How a decode chunk's frames become an H.264 segment on the worker, so that
/// pixels never travel as floats: the coordinator joins the segments by copying
/// packets. The worker does not link libav itself; `reel worker` passes the
/// libav implementation (ReelFarm's `MediaChunkEncoder`).
public protocol ChunkEncoder: Sendable {
    /// Starts a segment of `width` × `height` frames with `settings`.
    func start(width: Int, height: Int, settings: ChunkEncoding) throws(WorkerError) -> any ChunkEncoderSession
}

/// One segment being encoded, fed as the decoder emits frames.
public protocol ChunkEncoderSession: AnyObject {
    /// Appends `(3, n, H, W)` RGB frames in [−1, 1].
    func append(_ frames: Tensor) throws(WorkerError)
    /// The finished segment's bytes and how many frames it holds.
    func finish() throws(WorkerError) -> (bytes: [UInt8], frames: Int)
}

/// The encoder settings every segment of a job shares (from the assignment).
public struct ChunkEncoding: Sendable, Equatable {
    public var fps: Int
    public var crf: Double
    public var preset: String
    /// A still: the one frame is written as a PNG image (lossless), not H.264.
    public var still: Bool

    public init(fps: Int, crf: Double, preset: String, still: Bool = false) {
        self.fps = fps
        self.crf = crf
        self.preset = preset
        self.still = still
    }
}
