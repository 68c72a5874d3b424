import Foundation

/// One-shot reading: still images for conditioning, and stream information.
public enum MediaReader {
    /// Decodes the first picture of `url` (PNG, JPEG, WebP, BMP… or a video's first
    /// frame) to RGB at the requested size. Alpha is dropped.
    /// - Parameters:
    ///   - width, height: both nil keeps the source size; one nil keeps the aspect ratio.
    /// - Throws: `MediaError.cannotRead` (missing file, unknown format), `.corrupt`,
    ///   `.noVideo`, `.unsupportedCodec`, `.unsupportedPixelFormat`, `.invalidSize`.
    public static func readImage(url: URL, width: Int? = nil, height: Int? = nil) throws -> RGBFrame {
        let reader = try VideoReader(url: url, width: width, height: height)
        guard let frame = try reader.nextFrame() else {
            throw MediaError.noVideo(path: try inputPath(url))
        }
        return frame
    }

    /// Opens `url` and reports its video stream without decoding any frame.
    public static func info(url: URL) throws -> VideoInfo {
        try MediaDecoder(path: inputPath(url)).info
    }

    static func inputPath(_ url: URL) throws -> String {
        guard url.isFileURL else {
            throw MediaError.cannotRead(path: url.absoluteString, reason: "not a file URL")
        }
        return url.standardizedFileURL.path
    }
}
