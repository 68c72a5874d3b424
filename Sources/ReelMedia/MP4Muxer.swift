import CLibAV
import Foundation

/// One MP4 file being written through libavformat behind an `AtomicOutput`: the
/// container half shared by `VideoWriter` (packets fresh from an encoder) and
/// `VideoSegmentJoiner` (packets copied from other MP4s). It creates the temporary,
/// writes the tags and header, interleaves packets, and on `finish()` writes the index
/// and renames the file into place; `abandon()` (or any error) removes the temporary.
final class MP4Muxer {
    let output: AtomicOutput
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private(set) var stream: UnsafeMutablePointer<AVStream>?

    /// Creates the temporary file, so a path that cannot be written fails here, before
    /// any frame is encoded or segment read.
    /// - Parameter bitExact: leave libavformat's version string out of the file, so its
    ///   bytes depend only on what is muxed, not on which libav build muxed it.
    /// - Throws: `MediaError.cannotWrite` naming the target (and the directory tried).
    init(output: AtomicOutput, bitExact: Bool = false) throws {
        self.output = output
        let target = output.target
        guard avformat_alloc_output_context2(&format, nil, "mp4", LibAV.fileURL(output.temporary)) >= 0,
              let format
        else {
            throw MediaError.encoderFailed(path: target, reason: "libavformat has no mp4 muxer")
        }
        if bitExact { format.pointee.flags |= AVFMT_FLAG_BITEXACT }
        // Creating the file is the real writability check (permissions, read-only
        // filesystems, quotas).
        let opened = avio_open(&format.pointee.pb, LibAV.fileURL(output.temporary), AVIO_FLAG_WRITE)
        guard opened >= 0 else {
            let directory = (target as NSString).deletingLastPathComponent
            abandon()
            throw MediaError.cannotWrite(
                path: target, reason: "\(LibAV.errorString(opened)) (creating a file in '\(directory)')")
        }
    }

    deinit {
        // Dropped before `finish()`: nothing may be left behind.
        if format != nil { abandon() }
    }

    /// Whether codecs must put their parameter sets in extradata (MP4 does: `avcC`).
    var needsGlobalHeader: Bool {
        guard let format else { return false }
        return format.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0
    }

    /// Adds the one video stream; `fill` sets its codec parameters and returns libav's status.
    func addVideoStream(
        timeBase: AVRational, frameRate: AVRational,
        parameters fill: (UnsafeMutablePointer<AVCodecParameters>) -> Int32
    ) throws -> UnsafeMutablePointer<AVStream> {
        guard let format, let stream = avformat_new_stream(format, nil) else {
            throw MediaError.encoderFailed(path: output.target, reason: "cannot add a video stream")
        }
        self.stream = stream
        stream.pointee.time_base = timeBase
        stream.pointee.avg_frame_rate = frameRate
        let filled = fill(stream.pointee.codecpar)
        guard filled >= 0 else {
            throw MediaError.encoderFailed(path: output.target, reason: LibAV.errorString(filled))
        }
        return stream
    }

    /// Writes `metadata` and the MP4 header. The stream's `time_base` may change here
    /// (MP4 picks its own timescale): packets must be rescaled to it after this call.
    func writeHeader(metadata: VideoMetadata) throws {
        guard let format else { throw MediaError.writerClosed(path: output.target) }
        for (key, value) in metadata.tags {
            av_dict_set(&format.pointee.metadata, key, value, 0)
        }
        // use_metadata_tags: keep custom keys such as ai_generated (see VideoMetadata).
        // faststart: index first, so the video plays while it downloads and a
        // truncated copy is detected as such instead of being unreadable.
        var muxerOptions: OpaquePointer? = nil
        defer { av_dict_free(&muxerOptions) }
        av_dict_set(&muxerOptions, "movflags", "use_metadata_tags+faststart", 0)
        let header = avformat_write_header(format, &muxerOptions)
        guard header >= 0 else {
            throw MediaError.cannotWrite(
                path: output.target, reason: "writing the header: \(LibAV.errorString(header))")
        }
    }

    /// Writes one packet of the video stream (timestamps in the stream's time base);
    /// libavformat takes its data and leaves `packet` blank.
    func write(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        guard let format, let stream else { throw MediaError.writerClosed(path: output.target) }
        packet.pointee.stream_index = stream.pointee.index
        let written = av_interleaved_write_frame(format, packet)
        guard written >= 0 else {
            throw MediaError.cannotWrite(path: output.target, reason: LibAV.errorString(written))
        }
    }

    /// Writes the MP4 index, closes the file and renames it into place. On error the
    /// temporary is removed and the target left as it was.
    func finish() throws {
        guard let format else { throw MediaError.writerClosed(path: output.target) }
        do {
            let trailer = av_write_trailer(format)
            guard trailer >= 0 else {
                throw MediaError.cannotWrite(path: output.target, reason: LibAV.errorString(trailer))
            }
            // Closing flushes avio's buffer: a full disk shows up here, not earlier.
            let closed = avio_closep(&format.pointee.pb)
            guard closed >= 0 else {
                throw MediaError.cannotWrite(path: output.target, reason: LibAV.errorString(closed))
            }
            release()
            try output.commit()
        } catch {
            abandon()
            throw error
        }
    }

    /// Frees libav's objects and removes the temporary; safe to call repeatedly.
    func abandon() {
        release()
        output.discard()
    }

    private func release() {
        if let format {
            if format.pointee.pb != nil { avio_closep(&format.pointee.pb) }
            avformat_free_context(format)
            self.format = nil
        }
        stream = nil
    }
}
