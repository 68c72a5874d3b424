import ReelPlan

/// Where the decode stage's frames go, in order. The coordinator does not link
/// libav itself: the CLI hands it a factory that opens the MP4 writer.
public protocol VideoSink: AnyObject {
    /// Appends pixel frames `(3, n, H, W)` in [−1, 1], C order.
    func write(frames: [Float], count n: Int, height: Int, width: Int) throws
    /// Finishes the file and returns its path.
    func finish() throws -> String
    /// Drops the partial file.
    func abort()
}

/// What a sink needs to know about the clip it writes.
public struct VideoDescription: Sendable {
    public var job: Int64
    public var title: String
    public var seed: UInt64
    public var model: String
    /// The prompt text, or a note that embeddings were given.
    public var prompt: String
    public var fps: Int
    public var width: Int
    public var height: Int
    public var frames: Int
    /// Where to write (a temporary path in the data directory).
    public var path: String
}

/// Opens a sink for one job's clip.
public typealias VideoSinkFactory = @Sendable (VideoDescription) throws -> any VideoSink
