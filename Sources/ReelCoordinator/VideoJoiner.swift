import Foundation
import ReelPlan

/// What the video of a job is joined with: the coordinator does not link libav
/// itself, so the service hands it a function that joins the workers' H.264
/// segments, in order, into one MP4 at `output` by copying packets (no
/// re-encoding), with the job's metadata. For a still, the one segment is a PNG,
/// written to `output` with the metadata in its text chunks.
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
    /// The job is a still: one PNG segment, written as a PNG.
    public var still: Bool
    /// Digests of the conditioning sources (images, videos) the job was rendered
    /// from, recorded in the provenance; empty for text alone.
    public var sources: [String]
    /// The prompt timeline (`--prompt-at`), the first prompt at 0 s; empty for one prompt.
    public var timeline: [TimedPrompt]
    /// The model folder's digest as the workers report it; empty when none does.
    public var modelDigest: String
    /// For an extended clip (`--extend`): the source video's other frames, which the
    /// output holds before or after the clip; nil for the clip alone.
    public var extend: ExtendJoin?

    public init(
        job: Int64, title: String, seed: UInt64, model: String, prompt: String, fps: Int, width: Int, height: Int, frames: Int,
        still: Bool = false, sources: [String] = [], timeline: [TimedPrompt] = [], modelDigest: String = ""
    ) {
        self.job = job
        self.title = title
        self.seed = seed
        self.model = model
        self.prompt = prompt
        self.fps = fps
        self.width = width
        self.height = height
        self.frames = frames
        self.still = still
        self.sources = sources
        self.timeline = timeline
        self.modelDigest = modelDigest
    }
}
