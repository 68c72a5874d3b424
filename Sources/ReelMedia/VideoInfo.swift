/// What a media file says about its (best) video stream, before any resizing.
public struct VideoInfo: Sendable, Equatable {
    /// The stream's picture size in pixels (coded size; sample aspect ratio and rotation
    /// metadata are not applied).
    public let width: Int
    public let height: Int
    /// Average frame rate, or nil where the container does not give one (single images).
    public let fps: Double?
    /// Frame count from the container index, or nil where it is not known without
    /// decoding (many formats). MP4 always has it.
    public let frameCount: Int?
    /// Duration in seconds, if known.
    public let duration: Double?
    /// libavcodec's codec name, e.g. `h264`, `mpeg4`, `png`, `mjpeg`.
    public let codec: String
    /// The decoder's pixel format, e.g. `yuv420p`, `rgb24`.
    public let pixelFormat: String
    /// libavformat's demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `png_pipe`.
    public let container: String
    /// Container-level tags (for Reel's MP4s: see `VideoMetadata`).
    public let metadata: [String: String]

    /// Memberwise; readers fill this in from libav (public so callers can build fakes in tests).
    public init(
        width: Int, height: Int, fps: Double?, frameCount: Int?, duration: Double?, codec: String,
        pixelFormat: String, container: String, metadata: [String: String]
    ) {
        self.width = width
        self.height = height
        self.fps = fps
        self.frameCount = frameCount
        self.duration = duration
        self.codec = codec
        self.pixelFormat = pixelFormat
        self.container = container
        self.metadata = metadata
    }
}
