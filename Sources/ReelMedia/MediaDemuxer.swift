import CLibAV

/// Opens one media file and reads the packets of its best video stream, still encoded:
/// what `MediaDecoder` decodes and `VideoSegmentJoiner` copies. Owns the format context.
final class MediaDemuxer {
    let path: String
    let format: UnsafeMutablePointer<AVFormatContext>
    let stream: UnsafeMutablePointer<AVStream>
    /// Packets of the video stream read so far.
    private(set) var packetCount = 0

    /// The stream's codec parameters (owned by the stream).
    var parameters: UnsafeMutablePointer<AVCodecParameters> { stream.pointee.codecpar }

    /// - Throws: `.cannotRead` (missing file, unknown format), `.corrupt`, `.noVideo`.
    init(path: String) throws {
        LibAV.configure()
        self.path = path
        var format: UnsafeMutablePointer<AVFormatContext>? = nil
        var demuxerOptions: OpaquePointer? = nil
        defer { av_dict_free(&demuxerOptions) }
        // A single image is a file, not a numbered pattern: "shot%d.png" must open as is.
        av_dict_set(&demuxerOptions, "pattern_type", "none", 0)
        let opened = avformat_open_input(&format, LibAV.fileURL(path), nil, &demuxerOptions)
        guard opened >= 0, let opened = format else {
            throw MediaError.cannotRead(path: path, reason: Self.explain(opened))
        }
        let probed = avformat_find_stream_info(opened, nil)
        guard probed >= 0 else {
            avformat_close_input(&format)
            throw MediaError.corrupt(path: path, reason: Self.explain(probed))
        }
        let index = av_find_best_stream(opened, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0, let stream = opened.pointee.streams[Int(index)] else {
            avformat_close_input(&format)
            throw MediaError.noVideo(path: path)
        }
        // Audio, subtitles and other video streams are dropped by the demuxer itself.
        for other in 0..<Int(opened.pointee.nb_streams) where other != Int(index) {
            opened.pointee.streams[other]?.pointee.discard = AVDISCARD_ALL
        }
        self.format = opened
        self.stream = stream
    }

    deinit {
        var format: UnsafeMutablePointer<AVFormatContext>? = format
        avformat_close_input(&format)
    }

    /// Reads the next packet of the video stream into `packet` (the caller unrefs it).
    /// - Returns: false at the end of the file.
    /// - Throws: `.corrupt` when reading fails or the packet's data is cut short.
    func read(into packet: UnsafeMutablePointer<AVPacket>) throws -> Bool {
        while true {
            let read = av_read_frame(format, packet)
            if read == LibAV.eof { return false }
            guard read >= 0 else {
                throw MediaError.corrupt(path: path, reason: "reading packet \(packetCount + 1): \(Self.explain(read))")
            }
            guard packet.pointee.stream_index == stream.pointee.index else {
                av_packet_unref(packet)
                continue
            }
            packetCount += 1
            // The MP4 demuxer flags a packet whose bytes run past the end of the file.
            if packet.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 {
                av_packet_unref(packet)
                let total = stream.pointee.nb_frames > 0 ? " of \(stream.pointee.nb_frames)" : ""
                throw MediaError.corrupt(
                    path: path, reason: "the data of packet \(packetCount)\(total) is incomplete (file truncated?)")
            }
            return true
        }
    }

    /// libav's message plus what it usually means for a file we were asked to read.
    static func explain(_ code: Int32) -> String {
        let message = LibAV.errorString(code)
        if code == LibAV.eof {
            return message + " (the file ends too early: empty or truncated)"
        }
        if code == reel_averror_invaliddata() {
            return message + " (not a media file libav recognizes, or damaged)"
        }
        return message
    }
}
