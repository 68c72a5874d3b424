import CLibAV

/// One libavcodec still-image encoder (png or mjpeg) for a fixed size, reused across
/// frames by `PNGSequenceWriter`.
final class ImageEncoder {
    let format: ImageFormat
    let width: Int
    let height: Int
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var staging: UnsafeMutablePointer<AVFrame>?
    /// JPEG only: RGB → yuvj420p.
    private let scaler: FrameScaler?

    /// - Parameter path: the output the encoder is for, named in errors.
    init(format: ImageFormat, width: Int, height: Int, path: String) throws {
        LibAV.configure()
        self.format = format
        self.width = width
        self.height = height
        let codecName: String
        let pixelFormat: AVPixelFormat
        switch format {
        case .png:
            (codecName, pixelFormat) = ("png", AV_PIX_FMT_RGB24)
            scaler = nil
        case let .jpeg(quality):
            guard (1...100).contains(quality) else {
                throw MediaError.invalidArgument("JPEG quality \(quality) is out of range: expected 1…100")
            }
            (codecName, pixelFormat) = ("mjpeg", AV_PIX_FMT_YUVJ420P)
            // JFIF means BT.601 full range; the mjpeg decoder assumes exactly that.
            scaler = try FrameScaler(
                width: width, height: height, format: pixelFormat, colorspace: SWS_CS_DEFAULT, fullRange: true)
        }
        guard let codec = avcodec_find_encoder_by_name(codecName), let context = avcodec_alloc_context3(codec) else {
            throw MediaError.encoderFailed(path: path, reason: "this libavcodec has no \(codecName) encoder")
        }
        self.context = context
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = pixelFormat
        context.pointee.time_base = AVRational(num: 1, den: 1)  // required, meaningless for stills
        var options: OpaquePointer? = nil
        defer { av_dict_free(&options) }
        switch format {
        case .png:
            // Paeth prediction: much smaller files on gradients, still lossless.
            av_dict_set(&options, "pred", "paeth", 0)
        case let .jpeg(quality):
            context.pointee.color_range = AVCOL_RANGE_JPEG
            context.pointee.flags |= AV_CODEC_FLAG_QSCALE
            let quantizer = 2 + Int((Double(100 - quality) * 29 / 99).rounded())
            context.pointee.global_quality = FF_QP2LAMBDA * Int32(quantizer)
        }
        let opened = avcodec_open2(context, codec, &options)
        guard opened >= 0 else {
            throw MediaError.encoderFailed(
                path: path, reason: "opening \(codecName) for \(width)×\(height): \(LibAV.errorString(opened))")
        }
        packet = av_packet_alloc()
        staging = try FrameScaler.avFrame(from: RGBFrame(width: width, height: height))
        guard packet != nil else {
            throw MediaError.encoderFailed(path: path, reason: "out of memory allocating a packet")
        }
    }

    deinit {
        avcodec_free_context(&context)
        av_packet_free(&packet)
        av_frame_free(&staging)
    }

    /// Encodes `frame` into one complete image file's bytes and hands them to `body`
    /// (a png/mjpeg packet is the whole file).
    func encode<R>(_ frame: RGBFrame, path: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let context, let packet, let staging else { throw MediaError.writerClosed(path: path) }
        guard frame.width == width, frame.height == height else {
            throw MediaError.invalidArgument(
                "frame is \(frame.width)×\(frame.height) but '\(path)' is \(width)×\(height)")
        }
        let writable = av_frame_make_writable(staging)
        guard writable >= 0 else {
            throw MediaError.encoderFailed(path: path, reason: LibAV.errorString(writable))
        }
        FrameScaler.copy(frame, into: staging)
        let input = try scaler?.scale(staging, path: path) ?? staging
        let sent = avcodec_send_frame(context, input)
        guard sent >= 0 else {
            throw MediaError.encoderFailed(path: path, reason: LibAV.errorString(sent))
        }
        let received = avcodec_receive_packet(context, packet)
        guard received >= 0 else {
            throw MediaError.encoderFailed(path: path, reason: LibAV.errorString(received))
        }
        defer { av_packet_unref(packet) }
        return try body(UnsafeRawBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
    }
}
