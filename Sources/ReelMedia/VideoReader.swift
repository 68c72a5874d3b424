import CLibAV
import Foundation

/// Decodes a video (anything libavformat opens: MP4, MKV, WebM, MOV, GIF, image files…)
/// frame by frame into `RGBFrame`s of a chosen size, holding one frame at a time.
///
/// Resizing stretches to the requested size (no crop, no letterbox) with area averaging
/// when shrinking in both directions and bicubic otherwise; YUV sources are converted
/// with the matrix and range the stream declares (BT.601 when it declares none).
///
/// Not a `Sequence`: `IteratorProtocol.next()` cannot throw, and a video that turns out
/// to be truncated halfway must surface as an error, not as a shorter video.
public final class VideoReader {
    /// The file being read.
    public let url: URL
    /// What the container says about the stream (source size, fps, frame count, tags).
    public let info: VideoInfo
    /// Size of the frames this reader returns.
    public let width: Int
    public let height: Int
    /// Frames returned so far.
    public var framesRead: Int { decoder.decodedCount }

    private let decoder: MediaDecoder
    private let scaler: FrameScaler

    /// Opens `url` and its decoder; nothing is decoded yet.
    /// - Parameters:
    ///   - width, height: output size; both nil keeps the source size, one nil derives
    ///     it from the other and the source's aspect ratio.
    /// - Throws: `MediaError.cannotRead`, `.corrupt`, `.noVideo`, `.unsupportedCodec`,
    ///   `.unsupportedPixelFormat`, `.invalidSize`.
    public init(url: URL, width: Int? = nil, height: Int? = nil) throws {
        let path = try MediaReader.inputPath(url)
        let decoder = try MediaDecoder(path: path)
        let size = try Self.outputSize(
            sourceWidth: decoder.info.width, sourceHeight: decoder.info.height, width: width, height: height)
        self.url = url
        self.decoder = decoder
        self.info = decoder.info
        self.width = size.width
        self.height = size.height
        self.scaler = try FrameScaler(width: size.width, height: size.height, format: AV_PIX_FMT_RGB24)
    }

    /// The next frame in presentation order, or nil at the end of the stream.
    /// - Throws: `MediaError.corrupt` for damaged or truncated data (also when the stream
    ///   ends before its first picture).
    public func nextFrame() throws -> RGBFrame? {
        guard let frame = try decoder.next() else { return nil }
        let rgb = try scaler.scale(frame, path: decoder.path)
        return FrameScaler.rgbFrame(from: rgb)
    }

    /// Every remaining frame (at most `limit`). Holds them all: meant for short clips
    /// and conditioning inputs, not for full renders.
    public func readAll(limit: Int = .max) throws -> [RGBFrame] {
        var frames: [RGBFrame] = []
        while frames.count < limit, let frame = try nextFrame() {
            frames.append(frame)
        }
        return frames
    }

    /// The largest frame side a reader scales to.
    static let maxSide = 16384

    static func outputSize(
        sourceWidth: Int, sourceHeight: Int, width: Int?, height: Int?
    ) throws -> (width: Int, height: Int) {
        // A requested side is checked before it scales the other: converting a huge
        // product back from Double traps (under -Ounchecked: is undefined).
        for side in [width, height].compactMap({ $0 }) where !(1 ... maxSide).contains(side) {
            throw MediaError.invalidSize(width: width ?? side, height: height ?? side, reason: "each side must be in 1...\(maxSide)")
        }
        let size: (width: Int, height: Int)
        switch (width, height) {
        case let (w?, h?): size = (w, h)
        case let (w?, nil): size = (w, max(1, Int((Double(w) * Double(sourceHeight) / Double(sourceWidth)).rounded())))
        case let (nil, h?): size = (max(1, Int((Double(h) * Double(sourceWidth) / Double(sourceHeight)).rounded())), h)
        case (nil, nil): size = (sourceWidth, sourceHeight)
        }
        try RGBFrame.checkSize(width: size.width, height: size.height)
        guard size.width <= maxSide, size.height <= maxSide else {
            throw MediaError.invalidSize(width: size.width, height: size.height, reason: "at most \(maxSide) per side")
        }
        return size
    }
}
