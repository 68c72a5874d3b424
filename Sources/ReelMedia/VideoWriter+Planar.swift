extension VideoWriter {
    /// Appends the `frames` frames of a channel-major clip `(3, frames, height, width)` of
    /// floats in [−1, 1] — a batch exactly as a video VAE decoder emits it — converting
    /// each with ``RGBFrame/init(planarSigned:width:height:)``.
    /// - Throws: `MediaError.invalidArgument` when the count is not `3 · frames · height · width`
    ///   (nothing is appended then); otherwise what `append` throws.
    public func append(planarClip values: [Float], frames: Int) throws {
        // The size was checked when the writer opened (sides of at most 2¹⁶); `frames` is the
        // caller's, e.g. a count a peer reported, so its product is checked here.
        let plane = width * height
        let (count, overflow) = (3 * plane).multipliedReportingOverflow(by: frames)
        guard frames >= 0, !overflow, values.count == count else {
            throw MediaError.invalidArgument(
                "a planar clip of \(frames) frame(s) of \(width)×\(height) needs 3·\(frames)·\(height)·\(width) = "
                    + "\(overflow ? "more than Int.max" : "\(count)") floats, got \(values.count)")
        }
        var frame = [Float](repeating: 0, count: 3 * plane)
        for j in 0..<frames {
            for c in 0..<3 {
                let source = (c * frames + j) * plane
                frame.replaceSubrange(c * plane..<(c + 1) * plane, with: values[source..<source + plane])
            }
            try append(RGBFrame(planarSigned: frame, width: width, height: height))
        }
    }
}
