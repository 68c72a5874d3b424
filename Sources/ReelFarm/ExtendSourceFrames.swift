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
    /// The last source frame decoded, placed on the job's frame, and its index.
    private var current: (index: Int, frame: RGBFrame)?

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
    /// `i` never decreases from one call to the next.
    func frame(_ i: Int) throws -> RGBFrame? {
        let wanted = SourceFrames.indices(sourceFPS: sourceFPS, jobFPS: Double(fps), first: i, count: 1)[0]
        precondition(wanted >= (current?.index ?? -1), "source frames are read in order")
        while (current?.index ?? -1) < wanted {
            guard let next = try reader.nextFrame() else { return nil }
            let index = (current?.index ?? -1) + 1
            // Only the frame asked for is placed; those skipped over are dropped as read.
            current = (index, index == wanted ? try next.placed(width: width, height: height, x: layout.x, y: layout.y) : next)
        }
        return current?.frame
    }
}
