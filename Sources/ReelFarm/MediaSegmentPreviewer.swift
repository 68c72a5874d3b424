import Foundation
import ReelCoordinator
import ReelMedia

/// A segment's preview still with libav (``PreviewImage``): its first frame,
/// shrunk to at most 320 pixels wide while decoding, as a JPEG. The segment is
/// written to a temporary file (libav's MP4 demuxer reads files) and removed.
public let mediaSegmentPreviewer: SegmentPreviewer = { segment, expected in
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-preview-\(UUID().uuidString).mp4")
    try segment.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let size = PreviewImage.size(width: expected.width, height: expected.height)
    return try PreviewImage.jpeg(of: MediaReader.readImage(url: file, width: size.width, height: size.height))
}
