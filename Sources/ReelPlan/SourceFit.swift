/// How a conditioning source whose size differs from the size it fills (the job's
/// frame, or the item's box) is conformed to it. The choice is named in the request
/// (`fit`, `--fit`), because each one changes what the clip shows.
public enum SourceFit: String, Hashable, Sendable, Codable, CaseIterable {
    /// Scaled to cover the target, keeping the aspect ratio, and the overflow cut
    /// evenly from both sides (the default: nothing is distorted and no border appears).
    case crop
    /// Scaled to fit inside the target, keeping the aspect ratio, and the rest filled
    /// with black evenly on both sides (nothing is cut; the border is part of the clip).
    case pad
    /// Scaled to exactly the target size: the aspect ratio changes.
    case stretch

    /// Where the source goes: it is scaled to ``FitLayout/scaledWidth`` ×
    /// ``FitLayout/scaledHeight`` and placed with its top-left corner at
    /// (``FitLayout/x``, ``FitLayout/y``) in the target; negative offsets cut
    /// (crop), positive ones leave a border (pad).
    public func layout(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) -> FitLayout {
        precondition(sourceWidth > 0 && sourceHeight > 0 && targetWidth > 0 && targetHeight > 0, "sizes must be positive")
        if self == .stretch || sourceWidth * targetHeight == sourceHeight * targetWidth {
            return FitLayout(scaledWidth: targetWidth, scaledHeight: targetHeight, x: 0, y: 0)
        }
        // The source is wider than the target (in aspect) when sw/sh > tw/th.
        let wider = sourceWidth * targetHeight > sourceHeight * targetWidth
        // Crop matches the narrower side, pad the wider one; the other side follows the
        // source's aspect ratio, rounded to the nearest pixel (at least the target's
        // size for crop, at most it for pad, so rounding never opens a gap or a cut).
        let matchWidth = (self == .crop) != wider
        var width: Int, height: Int
        if matchWidth {
            width = targetWidth
            height = Self.rounded(sourceHeight * targetWidth, sourceWidth)
            height = self == .crop ? max(height, targetHeight) : min(height, targetHeight)
        } else {
            height = targetHeight
            width = Self.rounded(sourceWidth * targetHeight, sourceHeight)
            width = self == .crop ? max(width, targetWidth) : min(width, targetWidth)
        }
        return FitLayout(
            scaledWidth: max(width, 1), scaledHeight: max(height, 1), x: (targetWidth - width) / 2, y: (targetHeight - height) / 2)
    }

    private static func rounded(_ numerator: Int, _ denominator: Int) -> Int { (2 * numerator + denominator) / (2 * denominator) }
}

/// A source's scaled size and its offset in the target (see ``SourceFit/layout(sourceWidth:sourceHeight:targetWidth:targetHeight:)``).
public struct FitLayout: Hashable, Sendable {
    public var scaledWidth: Int
    public var scaledHeight: Int
    /// Left edge of the scaled source in the target (≤ 0 when cropping).
    public var x: Int
    /// Top edge of the scaled source in the target (≤ 0 when cropping).
    public var y: Int

    public init(scaledWidth: Int, scaledHeight: Int, x: Int, y: Int) {
        self.scaledWidth = scaledWidth
        self.scaledHeight = scaledHeight
        self.x = x
        self.y = y
    }
}

/// Which source frames a video source contributes once resampled to the job's frame
/// rate: output frame `i` shows the source frame nearest to its time, `i / jobFPS`.
public enum SourceFrames {
    /// Source frame indices for output frames `first ..< first + count` (times counted at
    /// `jobFPS` from the source's start), clamped to `0 ..< available` when the source
    /// frame count is known. Nearest frame, ties to the later one, as ffmpeg's `fps` filter rounds.
    public static func indices(sourceFPS: Double, jobFPS: Double, first: Int, count: Int, available: Int? = nil) -> [Int] {
        precondition(sourceFPS > 0 && jobFPS > 0, "frame rates must be positive")
        return (first..<(first + count)).map { i in
            let index = Int((Double(i) * sourceFPS / jobFPS + 0.5).rounded(.down))
            return available.map { min(index, max($0 - 1, 0)) } ?? index
        }
    }
}
