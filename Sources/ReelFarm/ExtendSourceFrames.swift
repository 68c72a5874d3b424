import Foundation
import ReelCoordinator
import ReelMedia
import ReelPlan

/// An extended clip's source read at the job's size and frame rate: conformed as its
/// encoding was (``SourceFit``: the same scaling and placement as ``MediaSourceReader``),
/// output frame `i` showing the source frame nearest its time (``SourceFrames``).
/// Frames are asked for in non-decreasing order and decoded one at a time, so memory
/// does not grow with the source.
final class ExtendSourceFrames {
    private let reader: VideoReader
    private let layout: FitLayout
    private let sourceFPS: Double
    private let fps: Int
    private let width: Int, height: Int
    /// The last source frame decoded (placed on the job's frame once asked for) and its index.
    private var current: (index: Int, frame: RGBFrame)?
    /// The last output frame asked for.
    private var asked = -1
    /// The last frame handed out, for ``frameOrLast(_:)``.
    private var last: RGBFrame?

    init(_ extend: ExtendJoin, width: Int, height: Int, fps: Int) throws {
        guard let path = extend.sourcePath else {
            throw MediaError.invalidArgument("the extended clip's source \(extend.join.digest.prefix(12))… has no file to read")
        }
        let url = URL(fileURLWithPath: path)
        let info = try MediaReader.info(url: url)
        guard let sourceFPS = info.fps, sourceFPS > 0 else {
            throw MediaError.invalidArgument("the extended clip's source '\(path)' has no frame rate")
        }
        layout = extend.join.fit.layout(sourceWidth: info.width, sourceHeight: info.height, targetWidth: width, targetHeight: height)
        reader = try VideoReader(url: url, width: layout.scaledWidth, height: layout.scaledHeight)
        self.sourceFPS = sourceFPS
        self.fps = fps
        self.width = width
        self.height = height
    }

    /// Output frame `i` (at the job's frame rate), or nil past the source's end.
    /// - Throws: `MediaError.invalidArgument` when `i` is below a frame asked for
    ///   before (the source is read once, in order), and what reading it throws.
    func frame(_ i: Int) throws -> RGBFrame? {
        guard i >= asked else {
            throw MediaError.invalidArgument("the extended clip's source is read in order: frame \(i) was asked for after frame \(asked)")
        }
        asked = i
        let wanted = SourceFrames.indices(sourceFPS: sourceFPS, jobFPS: Double(fps), first: i, count: 1)[0]
        while (current?.index ?? -1) < wanted {
            guard let next = try reader.nextFrame() else { return nil }
            let index = (current?.index ?? -1) + 1
            // Only the frame asked for is placed; those skipped over are dropped as read.
            current = (index, index == wanted ? try next.placed(width: width, height: height, x: layout.x, y: layout.y) : next)
        }
        last = current?.frame
        return last
    }

    /// Output frame `i`, or past the source's end its last frame, as the workers clamp a
    /// pinned run's frames (``SourceFrames/indices(sourceFPS:jobFPS:first:count:available:)``);
    /// nil only for a source with no frame at all.
    func frameOrLast(_ i: Int) throws -> RGBFrame? {
        try frame(i) ?? last
    }
}
