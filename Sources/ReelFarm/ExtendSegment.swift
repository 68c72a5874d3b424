import Foundation
import ReelCoordinator
import ReelMedia
import ReelPlan

/// The source frames an extended clip's output holds besides the clip (``ExtendJoin``),
/// as one H.264 segment that ``VideoSegmentJoiner`` joins to the workers' segments:
/// read from the source's blob, conformed to the job's size as its encoding was
/// (``SourceFit``: the same scaling and placement as ``MediaSourceReader``) and frame
/// rate (nearest frame, ``SourceFrames``), encoded with the workers' settings
/// (``VideoSegmentEncoder``, same CRF and preset, so the same stream parameters).
/// Frames are read and encoded one at a time: memory does not grow with the source.
enum ExtendSegment {
    /// Encodes the frames `extend.join.frames` of the source into an MP4 in the
    /// temporary directory; its URL (the caller removes it) and frame count, or nil
    /// when there are no such frames (the pinned run is the whole source).
    static func encode(_ extend: ExtendJoin, width: Int, height: Int, fps: Int) throws -> (url: URL, frames: Int)? {
        guard let path = extend.sourcePath else {
            throw MediaError.invalidArgument("the extended clip's source \(extend.join.digest.prefix(12))… has no file to read")
        }
        let url = URL(fileURLWithPath: path)
        let info = try MediaReader.info(url: url)
        guard let sourceFPS = info.fps, sourceFPS > 0 else {
            throw MediaError.invalidArgument("the extended clip's source '\(path)' has no frame rate")
        }
        let layout = extend.join.fit.layout(sourceWidth: info.width, sourceHeight: info.height, targetWidth: width, targetHeight: height)
        let reader = try VideoReader(url: url, width: layout.scaledWidth, height: layout.scaledHeight)
        let encoder = try VideoSegmentEncoder(
            width: width, height: height, fps: Double(fps), options: VideoSegmentEncoder.Options(crf: extend.crf, preset: extend.preset))
        let wanted = extend.join.frames
        // Output frame i (at the job's fps) shows source frame index(i); both only grow.
        func index(_ i: Int) -> Int { SourceFrames.indices(sourceFPS: sourceFPS, jobFPS: Double(fps), first: i, count: 1)[0] }
        var next = wanted.lowerBound, source = 0
        while next < wanted.upperBound, let frame = try reader.nextFrame() {
            defer { source += 1 }
            guard index(next) == source else { continue }
            let placed = try frame.placed(width: width, height: height, x: layout.x, y: layout.y)
            while next < wanted.upperBound && index(next) == source {
                try encoder.append(placed)
                next += 1
            }
        }
        guard encoder.frameCount > 0 else {
            encoder.cancel()
            return nil
        }
        let count = encoder.frameCount
        let bytes = try encoder.finish()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-extend-\(UUID().uuidString.prefix(8)).mp4")
        do { try Data(bytes).write(to: file) } catch {
            throw MediaError.cannotWrite(path: file.path, reason: "\(error)")
        }
        return (file, count)
    }
}
