/// The pixel-space request: how many frames, at what rate, how large.
///
/// Nothing here is checked against a model yet; ``ClipGeometry`` does that.
public struct JobSpec: Hashable, Sendable, Codable {
    /// Pixel frames. With a causal VAE of temporal stride s this must be `s·k + 1`.
    public var frames: Int
    /// Frames per second (only used to report durations and convert seconds).
    public var fps: Int
    /// Frame width in pixels.
    public var width: Int
    /// Frame height in pixels.
    public var height: Int

    public init(frames: Int, fps: Int, width: Int, height: Int) {
        self.frames = frames
        self.fps = fps
        self.width = width
        self.height = height
    }

    /// A job whose length is given in seconds: `round(seconds · fps)` frames, rounded
    /// up to the next count the VAE accepts (`temporalStride·k + 1`), so the clip is
    /// never shorter than asked. 10 s at 16 fps is 160 → 161 frames.
    public init(seconds: Double, fps: Int, width: Int, height: Int, temporalStride: Int) throws(PlanError) {
        guard fps >= 1 else { throw .notPositive(.fps, value: fps) }
        guard temporalStride >= 1 else { throw .notPositive(.temporalStride, value: temporalStride) }
        // Also rejects NaN; the upper bound keeps the Int conversion from trapping.
        guard seconds > 0, seconds * Double(fps) < 1e9 else {
            throw .outOfRangeReal(.seconds, value: seconds, expected: "a duration above 0 and below 1e9 frames")
        }
        let raw = max(1, Int((seconds * Double(fps)).rounded()))
        let frames = Self.validFrameCount(atLeast: raw, temporalStride: temporalStride)
        self.init(frames: frames, fps: fps, width: width, height: height)
    }

    /// Duration in seconds at `fps`.
    public var seconds: Double { Double(frames) / Double(max(fps, 1)) }

    /// The smallest `stride·k + 1 ≥ frames`.
    public static func validFrameCount(atLeast frames: Int, temporalStride stride: Int) -> Int {
        guard frames > 1 else { return 1 }
        return ((frames - 1 + stride - 1) / stride) * stride + 1
    }

    /// The valid frame counts on either side of `frames` (one value if `frames` is
    /// valid or below the first valid count).
    public static func nearestValidFrameCounts(to frames: Int, temporalStride stride: Int) -> [Int] {
        guard frames > 1 else { return [1] }
        let below = ((frames - 1) / stride) * stride + 1
        let above = validFrameCount(atLeast: frames, temporalStride: stride)
        return below == above ? [below] : [below, above]
    }
}
