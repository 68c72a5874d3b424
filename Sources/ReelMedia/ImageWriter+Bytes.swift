extension ImageWriter {
    /// `frame` as the bytes of a PNG file (lossless, in memory): a still rendered
    /// on a worker travels as these, and the coordinator adds its provenance
    /// (``PNGText``) before storing it.
    public static func pngBytes(_ frame: RGBFrame) throws -> [UInt8] {
        let encoder = try ImageEncoder(format: .png, width: frame.width, height: frame.height, path: "(in memory)")
        return try encoder.encode(frame, path: "(in memory)") { Array($0) }
    }
}
