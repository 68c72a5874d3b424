import Foundation
import ReelCoordinator
import ReelMedia
import ReelPlan

/// The segments an extended clip's output is joined from (``ExtendJoin``): the
/// workers' segments, with the source's other frames in one more segment before the
/// clip (`--extend`) or after it (`--extend --backward`), encoded with the workers'
/// settings (``VideoSegmentEncoder``, same CRF and preset, so the same stream
/// parameters) so that ``VideoSegmentJoiner`` joins them by copying packets.
///
/// The workers' segments that hold pinned frames are re-encoded into that segment
/// too, each pinned frame crossfaded from the source's own frame to the model's decode
/// (``SourceJoin/crossfade(clipFrame:clipFrames:)``): the VAE's round trip of the
/// pinned frames never shows as a jump at the join. The other segments are joined as
/// the workers encoded them. Frames are decoded, mixed and encoded one at a time, so
/// memory does not grow with the source or the clip.
enum ExtendSegment {
    /// The segments to join, in order; the temporary files among them (the caller
    /// removes them); and how many of the output's frames are the source's alone.
    struct Joined {
        var segments: [URL]
        var temporaries: [URL]
        var sourceFrames: Int
    }

    /// The segments to join for `extend` around the workers' `segments` (in order, the
    /// clip's `clipFrames` frames of `width` × `height` at `fps`): one new segment before
    /// or after them holding the source's other frames and, re-encoded, the workers'
    /// segments that hold pinned frames, crossfaded.
    static func join(_ extend: ExtendJoin, clip segments: [URL], clipFrames: Int, width: Int, height: Int, fps: Int) throws -> Joined {
        let source = try ExtendSourceFrames(extend, width: width, height: height, fps: fps)
        let encoder = try VideoSegmentEncoder(
            width: width, height: height, fps: Double(fps), options: VideoSegmentEncoder.Options(crf: extend.crf, preset: extend.preset))
        let join = extend.join
        let pinned = join.pinnedClipFrames(clipFrames: clipFrames)
        var sourceFrames = 0
        // Which workers' segments hold pinned frames, and the clip frame the first of them starts at.
        let remade: Range<Int>, firstFrame: Int
        switch join.side {
        case .before:
            for i in join.frames {
                guard let frame = try source.frame(i) else { break }
                try encoder.append(frame)
                sourceFrames += 1
            }
            remade = try 0 ..< segmentCount(segments, holdingFramesBelow: pinned.upperBound)
            firstFrame = 0
        case .after:
            (remade, firstFrame) = try segmentsHolding(framesFrom: pinned.lowerBound, of: segments)
        }
        var clipFrame = firstFrame
        for url in segments[remade] {
            let reader = try VideoReader(url: url)
            while let decoded = try reader.nextFrame() {
                defer { clipFrame += 1 }
                guard let (index, weight) = join.crossfade(clipFrame: clipFrame, clipFrames: clipFrames),
                    let original = try source.frameOrLast(index)
                else {
                    try encoder.append(decoded)
                    continue
                }
                try encoder.append(try decoded.mixed(with: original, weight: weight))
            }
        }
        if join.side == .after {
            var i = join.frames.lowerBound
            while let frame = try source.frame(i) {
                try encoder.append(frame)
                sourceFrames += 1
                i += 1
            }
        }
        guard encoder.frameCount > 0 else {
            encoder.cancel()
            return Joined(segments: segments, temporaries: [], sourceFrames: 0)
        }
        let bytes = try encoder.finish()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-extend-\(UUID().uuidString.prefix(8)).mp4")
        do { try Data(bytes).write(to: file) } catch {
            throw MediaError.cannotWrite(path: file.path, reason: "\(error)")
        }
        let joined: [URL] = join.side == .before
            ? [file] + Array(segments[remade.upperBound...]) : Array(segments[..<remade.lowerBound]) + [file]
        return Joined(segments: joined, temporaries: [file], sourceFrames: sourceFrames)
    }

    /// How many segments from the first it takes to hold every clip frame below `end`.
    static func segmentCount(_ segments: [URL], holdingFramesBelow end: Int) throws -> Int {
        var count = 0, frames = 0
        while frames < end && count < segments.count {
            frames += try frameCount(segments[count])
            count += 1
        }
        return count
    }

    /// The segments from the one that holds clip frame `start` to the last, and the
    /// clip frame the first of them starts at.
    static func segmentsHolding(framesFrom start: Int, of segments: [URL]) throws -> (Range<Int>, Int) {
        var frames = 0
        for (index, url) in segments.enumerated() {
            let count = try frameCount(url)
            if frames + count > start { return (index ..< segments.count, frames) }
            frames += count
        }
        return (segments.count ..< segments.count, frames)
    }

    /// The frame count an MP4 segment's index gives.
    static func frameCount(_ segment: URL) throws -> Int {
        guard let count = try MediaReader.info(url: segment).frameCount else {
            throw MediaError.invalidArgument("segment '\(segment.path)' does not say how many frames it holds")
        }
        return count
    }
}
