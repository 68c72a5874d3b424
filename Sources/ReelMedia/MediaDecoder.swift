import CLibAV

/// Demuxes and decodes the best video stream of one file: the shared engine under
/// `VideoReader` and `MediaReader.readImage`. Owns every libav object it opens.
final class MediaDecoder {
    let path: String
    private(set) var info = VideoInfo(
        width: 0, height: 0, fps: nil, frameCount: nil, duration: nil, codec: "", pixelFormat: "", container: "",
        metadata: [:])
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var streamIndex: Int32 = -1
    private var draining = false
    /// Frames returned so far.
    private(set) var decodedCount = 0
    /// Packets of our stream read so far (ahead of `decodedCount` by the decoder's delay).
    private var packetCount = 0

    /// Opens `path` and its decoder; checks the pixel format can be converted.
    /// - Throws: `.cannotRead`, `.corrupt`, `.noVideo`, `.unsupportedCodec`, `.unsupportedPixelFormat`.
    init(path: String) throws {
        LibAV.configure()
        self.path = path
        var format: UnsafeMutablePointer<AVFormatContext>? = nil
        var demuxerOptions: OpaquePointer? = nil
        defer { av_dict_free(&demuxerOptions) }
        // A single image is a file, not a numbered pattern: "shot%d.png" must open as is.
        av_dict_set(&demuxerOptions, "pattern_type", "none", 0)
        let opened = avformat_open_input(&format, LibAV.fileURL(path), nil, &demuxerOptions)
        guard opened >= 0, let format else {
            throw MediaError.cannotRead(path: path, reason: Self.explain(opened))
        }
        self.format = format
        // From here on self is complete, so deinit frees what exists if a check throws.
        let probed = avformat_find_stream_info(format, nil)
        guard probed >= 0 else {
            throw MediaError.corrupt(path: path, reason: Self.explain(probed))
        }
        let index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0, let stream = format.pointee.streams[Int(index)] else {
            throw MediaError.noVideo(path: path)
        }
        streamIndex = index
        // Audio, subtitles and other video streams are dropped by the demuxer itself.
        for other in 0..<Int(format.pointee.nb_streams) where other != Int(index) {
            format.pointee.streams[other]?.pointee.discard = AVDISCARD_ALL
        }
        let parameters = stream.pointee.codecpar!
        let codecName = String(cString: avcodec_get_name(parameters.pointee.codec_id))
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw MediaError.unsupportedCodec(path: path, codec: codecName)
        }
        // Probing decodes a picture to learn its size; without one the data is unusable.
        guard parameters.pointee.width > 0, parameters.pointee.height > 0 else {
            throw MediaError.corrupt(path: path, reason: "no picture could be decoded to learn its size")
        }
        // Checked again per frame by FrameScaler; here so it fails before any decoding.
        // (An unknown format, -1, means probing decoded nothing; `next()` reports that.)
        if parameters.pointee.format >= 0, sws_isSupportedInput(AVPixelFormat(parameters.pointee.format)) == 0 {
            throw MediaError.unsupportedPixelFormat(path: path, format: LibAV.pixelFormatName(parameters.pointee.format))
        }
        guard let decoder = avcodec_alloc_context3(codec) else {
            throw MediaError.cannotRead(path: path, reason: "out of memory allocating the \(codecName) decoder")
        }
        self.decoder = decoder
        let copied = avcodec_parameters_to_context(decoder, parameters)
        guard copied >= 0 else {
            throw MediaError.cannotRead(path: path, reason: LibAV.errorString(copied))
        }
        decoder.pointee.thread_count = 0  // one per core
        let openedDecoder = avcodec_open2(decoder, codec, nil)
        guard openedDecoder >= 0 else {
            throw MediaError.unsupportedCodec(path: path, codec: "\(codecName) (\(LibAV.errorString(openedDecoder)))")
        }
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        guard packet != nil, frame != nil else {
            throw MediaError.cannotRead(path: path, reason: "out of memory")
        }
        self.info = Self.describe(format: format, stream: stream, codecName: codecName)
    }

    deinit {
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&decoder)
        avformat_close_input(&format)
    }

    /// The next decoded picture in presentation order, or nil at the end. The frame
    /// belongs to the decoder and is overwritten by the next call.
    /// - Throws: `.corrupt` when demuxing or decoding fails (including truncation).
    func next() throws -> UnsafeMutablePointer<AVFrame>? {
        guard let format, let decoder, let packet, let frame else { return nil }
        while true {
            let received = avcodec_receive_frame(decoder, frame)
            if received >= 0 {
                if frame.pointee.flags & AV_FRAME_FLAG_CORRUPT != 0 {
                    throw MediaError.corrupt(path: path, reason: "frame \(decodedCount) decoded with errors")
                }
                decodedCount += 1
                return frame
            }
            if received == LibAV.eof {
                // A stream that ends before its first picture is damaged, not empty: e.g. an
                // MP4 cut inside its index, whose demuxer then reports a clean end of file.
                guard decodedCount > 0 else {
                    throw MediaError.corrupt(path: path, reason: "the stream ended before any picture was decoded")
                }
                return nil
            }
            guard received == LibAV.again else {
                throw MediaError.corrupt(path: path, reason: "decoding frame \(decodedCount): \(Self.explain(received))")
            }
            if draining {
                guard decodedCount > 0 else {
                    throw MediaError.corrupt(path: path, reason: "the stream ended before any picture was decoded")
                }
                return nil
            }
            try feed(format: format, decoder: decoder, packet: packet)
        }
    }

    /// Sends the next packet of our stream to the decoder, or the flush signal at the end.
    private func feed(
        format: UnsafeMutablePointer<AVFormatContext>, decoder: UnsafeMutablePointer<AVCodecContext>,
        packet: UnsafeMutablePointer<AVPacket>
    ) throws {
        while true {
            let read = av_read_frame(format, packet)
            if read == LibAV.eof {
                draining = true
                _ = avcodec_send_packet(decoder, nil)
                return
            }
            guard read >= 0 else {
                throw MediaError.corrupt(
                    path: path, reason: "reading after frame \(decodedCount): \(Self.explain(read))")
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            packetCount += 1
            // The MP4 demuxer flags a packet whose bytes run past the end of the file.
            if packet.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 {
                let total = info.frameCount.map { " of \($0)" } ?? ""
                throw MediaError.corrupt(
                    path: path, reason: "the data of packet \(packetCount)\(total) is incomplete (file truncated?)")
            }
            let sent = avcodec_send_packet(decoder, packet)
            guard sent >= 0 else {
                throw MediaError.corrupt(path: path, reason: "decoding frame \(decodedCount): \(Self.explain(sent))")
            }
            return
        }
    }

    private static func describe(
        format: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>, codecName: String
    ) -> VideoInfo {
        let parameters = stream.pointee.codecpar.pointee
        var rate = stream.pointee.avg_frame_rate
        if rate.num <= 0 || rate.den <= 0 { rate = stream.pointee.r_frame_rate }
        let isImage = stream.pointee.nb_frames <= 1 && format.pointee.duration <= 0
        let fps = rate.num > 0 && rate.den > 0 && !isImage ? Double(rate.num) / Double(rate.den) : nil
        let duration = format.pointee.duration > 0 && format.pointee.duration != reel_nopts_value()
            ? Double(format.pointee.duration) / Double(AV_TIME_BASE) : nil
        let container = format.pointee.iformat.map { String(cString: $0.pointee.name) } ?? ""
        return VideoInfo(
            width: Int(parameters.width), height: Int(parameters.height), fps: fps,
            frameCount: stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil,
            duration: duration, codec: codecName, pixelFormat: LibAV.pixelFormatName(parameters.format),
            container: container, metadata: LibAV.dictionary(format.pointee.metadata))
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
