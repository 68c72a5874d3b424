import Foundation
import ReelCoordinator
import ReelMedia
import ReelTensor
import ReelWorker

extension MediaChunkEncoder {
    /// A still's one decoded frame as a PNG file's bytes (lossless); the
    /// coordinator adds the provenance text chunks when it writes the result.
    final class StillSession: ChunkEncoderSession {
        let width: Int
        let height: Int
        private var png: [UInt8]?

        init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }

        func append(_ frames: Tensor) throws(WorkerError) {
            guard frames.rank == 4, frames.shape[0] == 3, frames.shape[1] == 1, frames.shape[2] == height, frames.shape[3] == width else {
                throw WorkerError(.internalError, "a still decodes to one frame (3, 1, \(height), \(width)); got \(frames.shape)")
            }
            guard png == nil else { throw WorkerError(.internalError, "a still has one frame; the decoder emitted a second") }
            do {
                png = try ImageWriter.pngBytes(try RGBFrame(planarSigned: frames.storage, width: width, height: height))
            } catch {
                throw WorkerError(.internalError, "cannot encode the still as PNG: \(error)")
            }
        }

        func finish() throws(WorkerError) -> (bytes: [UInt8], frames: Int) {
            guard let png else { throw WorkerError(.internalError, "the still has no frame") }
            return (png, 1)
        }
    }
}

/// Writes a still's result: the worker's PNG (the one segment) with the job's
/// provenance in text chunks, the same record an MP4 carries in its tags.
func writeStill(_ description: VideoDescription, segments: [URL], to output: URL, metadata: VideoMetadata) throws {
    guard segments.count == 1, description.frames == 1 else {
        throw MediaError.invalidArgument("a still is one PNG segment of one frame; got \(segments.count) segments for \(description.frames) frames")
    }
    let png = try [UInt8](Data(contentsOf: segments[0]))
    try Data(try PNGText.adding(metadata.stillTags, to: png)).write(to: output)
}

/// Checks a still's segment: a well-formed PNG (every chunk's CRC) of the job's size.
func inspectStill(_ segment: Data, _ expected: SegmentExpectation) throws {
    let info = try PNGText.read([UInt8](segment))
    guard expected.frames == 1, info.width == expected.width, info.height == expected.height else {
        throw MediaError.invalidArgument("the PNG is \(info.width)×\(info.height); the still is \(expected.width)×\(expected.height)")
    }
}
