import CLibAV

/// Demuxes and decodes the best video stream of one file: the shared engine under
/// `VideoReader` and `MediaReader.readImage`. Owns every libav object it opens.
final class MediaDecoder {
    let path: String
    private(set) var info = VideoInfo(
        width: 0, height: 0, fps: nil, frameCount: nil, duration: nil, codec: "", pixelFormat: "", container: "",
        metadata: [:])
    private let demuxer: MediaDemuxer
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var draining = false
    /// Frames returned so far.
    private(set) var decodedCount = 0

    /// Opens `path` and its decoder; checks the pixel format can be converted.
    /// - Throws: `.cannotRead`, `.corrupt`, `.noVideo`, `.unsupportedCodec`, `.unsupportedPixelFormat`.
    init(path: String) throws {
        self.path = path
        demuxer = try MediaDemuxer(path: path)
        // From here on self is complete, so deinit frees what exists if a check throws.
        let parameters = demuxer.parameters
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
        self.info = Self.describe(format: demuxer.format, stream: demuxer.stream, codecName: codecName)
    }

    deinit {
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&decoder)
    }

    /// The next decoded picture in presentation order, or nil at the end. The frame
    /// belongs to the decoder and is overwritten by the next call.
    /// - Throws: `.corrupt` when demuxing or decoding fails (including truncation).
    func next() throws -> UnsafeMutablePointer<AVFrame>? {
        guard let decoder, let packet, let frame else { return nil }
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
                throw MediaError.corrupt(
                    path: path, reason: "decoding frame \(decodedCount): \(MediaDemuxer.explain(received))")
            }
            if draining {
                guard decodedCount > 0 else {
                    throw MediaError.corrupt(path: path, reason: "the stream ended before any picture was decoded")
                }
                return nil
            }
            try feed(decoder: decoder, packet: packet)
        }
    }

    /// Sends the next packet of our stream to the decoder, or the flush signal at the end.
    private func feed(decoder: UnsafeMutablePointer<AVCodecContext>, packet: UnsafeMutablePointer<AVPacket>) throws {
        guard try demuxer.read(into: packet) else {
            draining = true
            _ = avcodec_send_packet(decoder, nil)
            return
        }
        defer { av_packet_unref(packet) }
        let sent = avcodec_send_packet(decoder, packet)
        guard sent >= 0 else {
            throw MediaError.corrupt(
                path: path, reason: "decoding frame \(decodedCount): \(MediaDemuxer.explain(sent))")
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
}
