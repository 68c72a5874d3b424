import CLibAV
import Foundation

/// Small JPEG stills of a video as it is made: the dashboard shows one per
/// finished decode segment (its first frame), so people see the video take shape
/// long before it is joined.
///
/// ``jpeg(of:maxWidth:)`` makes one from a frame; ``check(_:width:height:)``
/// accepts only a JPEG of the expected size and at most ``maxBytes``, for bytes
/// from elsewhere (tests read the farm's previews back with it).
public enum PreviewImage {
    /// The widest preview: a strip of them fits a laptop screen.
    public static let maxWidth = 320
    /// The largest preview accepted: a 320 × 320 JPEG at quality 80 is far below it.
    public static let maxBytes = 256 << 10
    /// JPEG quality: a thumbnail does not need more.
    public static let quality = 80

    /// The preview size for a `width` × `height` video: at most `maxWidth` wide,
    /// the same aspect ratio, both sides even (and at least 2) as 4:2:0 JPEG prefers.
    public static func size(width: Int, height: Int, maxWidth: Int = maxWidth) -> (width: Int, height: Int) {
        guard width > maxWidth else { return (width, height) }
        let scaled = Double(height) * Double(maxWidth) / Double(width)
        return (maxWidth, max(2, Int((scaled / 2).rounded()) * 2))
    }

    /// `frame` shrunk to ``size(width:height:maxWidth:)`` (area averaging) and encoded as JPEG.
    /// - Throws: `MediaError.invalidArgument`, `.encoderFailed`.
    public static func jpeg(of frame: RGBFrame, maxWidth: Int = maxWidth) throws -> [UInt8] {
        let target = size(width: frame.width, height: frame.height, maxWidth: maxWidth)
        let small = try shrink(frame, width: target.width, height: target.height)
        let encoder = try ImageEncoder(format: .jpeg(quality: quality), width: small.width, height: small.height, path: "preview")
        return try encoder.encode(small, path: "preview") { [UInt8]($0) }
    }

    /// Checks bytes that claim to be a preview: at most ``maxBytes``, and a JPEG
    /// that decodes to exactly `width` × `height`. Returns the decoded picture.
    /// - Throws: `MediaError.invalidArgument` naming what differs, `.corrupt` or
    ///   `.cannotRead` for bytes libav cannot decode as a picture.
    @discardableResult
    public static func check(_ bytes: [UInt8], width: Int, height: Int) throws -> RGBFrame {
        guard bytes.count <= maxBytes else {
            throw MediaError.invalidArgument("a preview of \(bytes.count) bytes is larger than the \(maxBytes) allowed")
        }
        // SOI marker: libav would otherwise probe the bytes as any format it knows.
        guard bytes.count > 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw MediaError.invalidArgument("a preview must be a JPEG (starting FF D8); these \(bytes.count) bytes are not")
        }
        // libav's image demuxer reads files: a private temporary one.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-preview-\(UUID().uuidString).jpg")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let info = try MediaReader.info(url: file)
        guard info.codec == "mjpeg" else {
            throw MediaError.invalidArgument("a preview must be a JPEG; this one is \(info.codec)")
        }
        guard info.width == width, info.height == height else {
            throw MediaError.invalidArgument("the preview is \(info.width)×\(info.height); expected \(width)×\(height)")
        }
        return try MediaReader.readImage(url: file)
    }

    /// `frame` resized with libswscale (area averaging when shrinking).
    static func shrink(_ frame: RGBFrame, width: Int, height: Int) throws -> RGBFrame {
        if frame.width == width, frame.height == height { return frame }
        var source: UnsafeMutablePointer<AVFrame>? = try FrameScaler.avFrame(from: frame)
        defer { av_frame_free(&source) }
        let scaler = try FrameScaler(width: width, height: height, format: AV_PIX_FMT_RGB24)
        return FrameScaler.rgbFrame(from: try scaler.scale(source!, path: "preview"))
    }
}
