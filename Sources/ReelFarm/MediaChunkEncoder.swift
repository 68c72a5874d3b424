import Foundation
import ReelCoordinator
import ReelMedia
import ReelTensor
import ReelWorker

/// Decode chunks into H.264 segments through libav (``VideoSegmentEncoder``):
/// closed GOPs, no B-frames and a fixed encoder thread count, so every worker
/// encodes a chunk to the same bytes and the coordinator joins segments by
/// copying packets.
public struct MediaChunkEncoder: ChunkEncoder {
    public init() {}

    public func start(width: Int, height: Int, settings: ChunkEncoding) throws(WorkerError) -> any ChunkEncoderSession {
        if settings.still { return StillSession(width: width, height: height) }
        do {
            let encoder = try VideoSegmentEncoder(
                width: width, height: height, fps: Double(settings.fps),
                options: VideoSegmentEncoder.Options(crf: settings.crf, preset: settings.preset))
            return Session(encoder: encoder)
        } catch {
            throw WorkerError(.invalidInput, "cannot start an H.264 segment of \(width)×\(height) at \(settings.fps) fps: \(error)")
        }
    }

    final class Session: ChunkEncoderSession {
        let encoder: VideoSegmentEncoder

        init(encoder: VideoSegmentEncoder) { self.encoder = encoder }

        func append(_ frames: Tensor) throws(WorkerError) {
            guard frames.rank == 4, frames.shape[0] == 3, frames.shape[2] == encoder.height, frames.shape[3] == encoder.width else {
                throw WorkerError(.internalError, "decoded frames have shape \(frames.shape), expected (3, n, \(encoder.height), \(encoder.width))")
            }
            do { try encoder.append(planarClip: frames.storage, frames: frames.shape[1]) } catch {
                throw WorkerError(.internalError, "cannot encode decoded frames: \(error)")
            }
        }

        func finish() throws(WorkerError) -> (bytes: [UInt8], frames: Int) {
            do {
                let frames = encoder.frameCount
                return (try encoder.finish(), frames)
            } catch {
                throw WorkerError(.internalError, "cannot finish the segment: \(error)")
            }
        }
    }
}

/// Joins a job's segments into its MP4 with libav (``VideoSegmentJoiner``),
/// copying packets, and tags the file with the job and the AI-generated mark.
public let mediaVideoJoiner: VideoJoiner = { description, segments, output in
    let metadata = VideoMetadata(
        title: description.title, jobID: "\(description.job)", seed: description.seed, model: description.model,
        note: "prompt: \(description.prompt.prefix(500))", aiGenerated: true,
        extra: description.provenanceTags)
    if description.still { return try writeStill(description, segments: segments, to: output, metadata: metadata) }
    // An extended clip holds the rest of its source too, before or after the clip, and
    // its pinned frames crossfade from the source's to the model's (``ExtendSegment``).
    let joined = try description.extend.map {
        try ExtendSegment.join(
            $0, clip: segments, clipFrames: description.frames, width: description.width, height: description.height, fps: description.fps)
    }
    defer { joined.map { for file in $0.temporaries { try? FileManager.default.removeItem(at: file) } } }
    let frames = try VideoSegmentJoiner.join(segments: joined?.segments ?? segments, to: output, metadata: metadata)
    let sourceFrames = joined?.sourceFrames ?? 0
    guard frames == description.frames + sourceFrames else {
        throw MediaError.invalidArgument(
            "the joined video has \(frames) frames; the job has \(description.frames)\(joined == nil ? "" : " and its source \(sourceFrames) more")")
    }
}

/// Checks a worker's segment with libav (``VideoSegmentInspector``) before the
/// coordinator stores it: written to a temporary file (libav's MP4 demuxer reads
/// files), parsed, decoded to the last frame, removed.
public let mediaSegmentInspector: SegmentInspector = { segment, expected in
    if expected.still { return try inspectStill(segment, expected) }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-segment-\(UUID().uuidString).mp4")
    try segment.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    try VideoSegmentInspector.check(url: file, frames: expected.frames, width: expected.width, height: expected.height)
}
