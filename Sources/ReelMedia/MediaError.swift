/// Everything that can go wrong reading or writing media, each case naming the file
/// involved and saying what was expected, so a job log is actionable on its own.
///
/// Every throwing API in ReelMedia throws only `MediaError`.
public enum MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The output cannot be created: missing or non-directory parent, permissions, a
    /// directory at the target path, a disk error while writing or renaming.
    case cannotWrite(path: String, reason: String)
    /// The input cannot be opened as media at all (missing file, not a format libav knows).
    case cannotRead(path: String, reason: String)
    /// The input opened but its data is damaged or truncated.
    case corrupt(path: String, reason: String)
    /// The input holds no video stream or no decodable picture.
    case noVideo(path: String)
    /// libav has no decoder for the input's codec.
    case unsupportedCodec(path: String, codec: String)
    /// The decoded pixel format cannot be converted to RGB by libswscale.
    case unsupportedPixelFormat(path: String, format: String)
    /// A width/height pair that the target format cannot hold; `reason` names the nearest valid sizes.
    case invalidSize(width: Int, height: Int, reason: String)
    /// Any other argument out of range (fps, crf, preset, frame shape, pixel count).
    case invalidArgument(String)
    /// The encoder could not be found, opened, or failed while encoding.
    case encoderFailed(path: String, reason: String)
    /// `append`/`finish` on a writer that already finished, was cancelled, or failed.
    case writerClosed(path: String)
    /// A segment given to `VideoSegmentJoiner` that cannot be joined to the others
    /// without re-encoding: `index` counts from 0, `reason` says what differs.
    case incompatibleSegment(index: Int, path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, reason):
            return "cannot open '\(path)' for writing: \(reason)"
        case let .cannotRead(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .corrupt(path, reason):
            return "'\(path)' is corrupt or truncated: \(reason)"
        case let .noVideo(path):
            return "'\(path)' contains no video stream or picture"
        case let .unsupportedCodec(path, codec):
            return "'\(path)' uses codec '\(codec)', which this libav cannot decode"
        case let .unsupportedPixelFormat(path, format):
            return "'\(path)' uses pixel format '\(format)', which libswscale cannot convert to RGB"
        case let .invalidSize(width, height, reason):
            return "invalid frame size \(width)×\(height): \(reason)"
        case let .invalidArgument(message):
            return message
        case let .encoderFailed(path, reason):
            return "encoding '\(path)' failed: \(reason)"
        case let .writerClosed(path):
            return "the writer for '\(path)' is already finished, cancelled or failed"
        case let .incompatibleSegment(index, path, reason):
            return "segment \(index) '\(path)' cannot be joined without re-encoding: \(reason)"
        }
    }
}
