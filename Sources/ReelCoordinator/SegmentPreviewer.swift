import Foundation

/// Makes a finished segment's preview still: a small JPEG of its first frame
/// (ReelFarm's uses ReelMedia's `PreviewImage`; the coordinator does not link
/// libav). Runs on the `records` lane, right after ``SegmentInspector`` decoded
/// the same segment, never on the loop. It throws, saying why, when it cannot;
/// the segment is stored all the same and only the preview is missing.
public typealias SegmentPreviewer = @Sendable (_ segment: Data, _ expected: SegmentExpectation) throws -> [UInt8]
