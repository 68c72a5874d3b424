import Foundation

/// What a `Range` request header asks of a body of `length` bytes (RFC 9110 §14):
/// the part to send, or that none of it can be sent.
///
/// Browsers ask for ranges to seek a `<video>` and to read an MP4's `moov` box
/// without fetching the whole file; a server that ignores `Range` makes every seek
/// download the video again from the start.
public enum ByteRange: Equatable, Sendable {
    /// No range, or one this server does not honour (another unit, several ranges,
    /// a malformed one): the whole body, 200. RFC 9110 lets a server ignore `Range`.
    case whole
    /// Bytes `range` (offsets into the body, both ends included): 206 with `Content-Range`.
    case partial(ClosedRange<Int>)
    /// A well-formed range that starts past the end (or a zero-length suffix): 416
    /// with `Content-Range: bytes */length`.
    case unsatisfiable

    /// Reads `header` (`bytes=a-b`, `bytes=a-` or `bytes=-n`) against a body of `length` bytes.
    public init(header: String?, length: Int) {
        guard let header else {
            self = .whole
            return
        }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else {
            self = .whole
            return
        }
        let spec = trimmed.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        // Several ranges would need a multipart/byteranges body; the whole body is allowed instead.
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .whole
            return
        }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        switch (Self.offset(first), Self.offset(last)) {
        case (nil, let suffix?) where first.isEmpty:
            // The last `suffix` bytes; a suffix longer than the body is the whole body, as a 206.
            self = suffix == 0 || length == 0 ? .unsatisfiable : .partial(max(0, length - suffix) ... length - 1)
        case (let start?, nil) where last.isEmpty:
            self = start < length ? .partial(start ... length - 1) : .unsatisfiable
        case (let start?, let end?):
            if end < start {
                self = .whole  // not a valid range-spec: ignored, as RFC 9110 asks
            } else {
                self = start < length ? .partial(start ... min(end, length - 1)) : .unsatisfiable
            }
        default:
            self = .whole
        }
    }

    /// The `Content-Range` value: `bytes a-b/length`, or `bytes */length` when unsatisfiable; `nil` for the whole body.
    public func contentRange(length: Int) -> String? {
        switch self {
        case .whole: return nil
        case .partial(let range): return "bytes \(range.lowerBound)-\(range.upperBound)/\(length)"
        case .unsatisfiable: return "bytes */\(length)"
        }
    }

    /// Decimal digits only (no sign, no spaces); one too large for an `Int` is past any body's end.
    private static func offset(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0") ... UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int(text) ?? Int.max
    }
}
