import Foundation

extension FarmAPI {
    /// A finished decode segment's preview still (`GET /v1/jobs/:id/previews`):
    /// a JPEG of the segment's first frame, at most 320 pixels wide.
    public struct Preview: Codable, Sendable, Equatable {
        /// The decode chunk (segment) index, from 0.
        public var chunk: Int
        /// The video frames the segment holds, `frameBegin ..< frameEnd`; the still is frame `frameBegin`.
        public var frameBegin: Int
        public var frameEnd: Int
        /// Where the still is in the video, in seconds (`frameBegin / fps`).
        public var seconds: Double
        /// `/v1/jobs/ID/previews/CHUNK`: the JPEG.
        public var url: String

        public init(chunk: Int, frameBegin: Int, frameEnd: Int, seconds: Double, url: String) {
            self.chunk = chunk
            self.frameBegin = frameBegin
            self.frameEnd = frameEnd
            self.seconds = seconds
            self.url = url
        }
    }
}
