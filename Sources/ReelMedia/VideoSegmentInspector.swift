import CLibAV
import Foundation

/// Checks that a video segment a worker encoded is well formed and complete
/// before the farm stores it: an H.264 stream of the expected size whose first
/// packet is a key frame (each segment is a closed GOP, so the joiner can copy
/// packets and a player can start at any segment), and whose every packet
/// decodes, to exactly the expected number of frames. A truncated file, garbage
/// bytes or a segment of the wrong length fails with the reason.
public enum VideoSegmentInspector {
    /// Checks that the segment at `url` holds `frames` frames of `width` × `height`.
    /// - Throws: ``MediaError`` naming the file and what is wrong: `.cannotRead`,
    ///   `.corrupt` (truncated or undecodable data, a missing key frame, the wrong
    ///   frame count or size), `.noVideo`, `.unsupportedCodec` (not H.264).
    public static func check(url: URL, frames expectedFrames: Int, width expectedWidth: Int, height expectedHeight: Int) throws {
        let path = try MediaReader.inputPath(url)
        // The first packet and the codec, from the container.
        let demuxer = try MediaDemuxer(path: path)
        let codec = demuxer.parameters.pointee.codec_id
        guard codec == AV_CODEC_ID_H264 else {
            throw MediaError.unsupportedCodec(path: path, codec: "\(String(cString: avcodec_get_name(codec))) (a segment must be H.264)")
        }
        let (width, height) = (Int(demuxer.parameters.pointee.width), Int(demuxer.parameters.pointee.height))
        guard width == expectedWidth, height == expectedHeight else {
            throw MediaError.corrupt(path: path, reason: "the segment is \(width)×\(height), the job is \(expectedWidth)×\(expectedHeight)")
        }
        guard let packet = av_packet_alloc() else { throw MediaError.cannotRead(path: path, reason: "out of memory allocating a packet") }
        var freed: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&freed) }
        guard try demuxer.read(into: packet) else { throw MediaError.corrupt(path: path, reason: "the segment has no packet") }
        let key = packet.pointee.flags & AV_PKT_FLAG_KEY != 0
        av_packet_unref(packet)
        guard key else { throw MediaError.corrupt(path: path, reason: "the segment does not start with a key frame (not a closed GOP)") }
        // Every packet decodes (a cut-off stream fails here), to the expected count.
        let decoder = try MediaDecoder(path: path)
        var frames = 0
        while try decoder.next() != nil {
            frames += 1
            guard frames <= expectedFrames else { break }
        }
        guard frames == expectedFrames else {
            throw MediaError.corrupt(path: path, reason: "the segment decodes to \(frames > expectedFrames ? "more than \(expectedFrames)" : "\(frames)") frames, expected \(expectedFrames)")
        }
    }
}
