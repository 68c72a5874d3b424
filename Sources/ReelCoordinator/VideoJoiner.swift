import Foundation
import ReelPlan

/// What the video of a job is joined with: the coordinator does not link libav
/// itself, so the service hands it a function that joins the workers' H.264
/// segments, in order, into one MP4 at `output` by copying packets (no
/// re-encoding), with the job's metadata.
public typealias VideoJoiner = @Sendable (_ description: VideoDescription, _ segments: [URL], _ output: URL) throws -> Void

/// What the joiner needs to know about the clip.
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

    public init(job: Int64, title: String, seed: UInt64, model: String, prompt: String, fps: Int, width: Int, height: Int, frames: Int) {
        self.job = job
        self.title = title
        self.seed = seed
        self.model = model
        self.prompt = prompt
        self.fps = fps
        self.width = width
        self.height = height
        self.frames = frames
    }
}
