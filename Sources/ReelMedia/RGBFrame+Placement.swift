extension RGBFrame {
    /// This frame placed on a black `width` × `height` canvas with its top-left corner
    /// at (`x`, `y`): negative offsets cut this frame's left/top, a canvas smaller than
    /// the frame cuts its right/bottom, and uncovered canvas stays black. Used to
    /// conform a conditioning source after scaling (crop: negative offsets; pad:
    /// positive ones).
    /// - Throws: `MediaError.invalidSize` for a non-positive canvas.
    public func placed(width: Int, height: Int, x: Int, y: Int) throws -> RGBFrame {
        var canvas = [UInt8](repeating: 0, count: try Self.checkSize(width: width, height: height) * 3)
        let left = max(x, 0), right = min(x + self.width, width)
        let top = max(y, 0), bottom = min(y + self.height, height)
        if left < right {
            for row in top..<max(top, bottom) {
                let from = ((row - y) * self.width + (left - x)) * 3, to = (row * width + left) * 3
                canvas.replaceSubrange(to..<(to + (right - left) * 3), with: pixels[from..<(from + (right - left) * 3)])
            }
        }
        return RGBFrame(uncheckedWidth: width, height: height, pixels: canvas)
    }
}
