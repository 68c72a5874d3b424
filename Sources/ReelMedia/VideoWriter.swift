import CLibAV
import Foundation

/// Streams RGB frames into an H.264 (yuv420p) MP4 as they arrive: each `append`
/// converts and encodes immediately, so memory stays at a few frames however long the
/// video is.
///
/// The file appears at `url` only when `finish()` succeeds: until then the bytes go to a
/// hidden temporary beside it, which `cancel()`, any error, or dropping the writer
/// unfinished removes. The output path is checked (directory exists, temporary can be
/// created) in `init`, before any frame is rendered.
///
/// Not thread-safe and not `Sendable`: one writer belongs to one render loop.
public final class VideoWriter {
    /// Where the finished video goes.
    public let url: URL
    /// Frame size in pixels.
    public let width: Int
    public let height: Int
    /// Frames per second, as stored (the nearest fraction with denominator ≤ 100 000).
    public let fps: Double
    /// The libavcodec encoder in use: `libx264`, or `mpeg4` after a fallback.
    public let encoderName: String
    /// Frames appended so far.
    public private(set) var frameCount = 0

    private enum State { case open, finished, closed }
    private var state = State.open
    private let output: AtomicOutput
    private let frameRate: AVRational
    private var muxer: MP4Muxer? = nil
    private var encoder: UnsafeMutablePointer<AVCodecContext>? = nil
    private var packet: UnsafeMutablePointer<AVPacket>? = nil
    /// RGB24 staging frame in libav-aligned memory (see `FrameScaler.avFrame`).
    private var staging: UnsafeMutablePointer<AVFrame>? = nil
    private var scaler: FrameScaler? = nil

    /// Opens the output and the encoder and writes the MP4 header.
    /// - Parameters:
    ///   - url: the `.mp4` to create (the container is always MP4); replaced if it exists.
    ///     Its directory must exist.
    ///   - width, height: frame size; both even (yuv420p).
    ///   - fps: frames per second, e.g. the job's fps (`30000.0 / 1001` works).
    /// - Throws: `MediaError.invalidSize`, `.invalidArgument` for bad parameters,
    ///   `.cannotWrite` when the output cannot be created, `.encoderFailed`.
    public init(url: URL, width: Int, height: Int, fps: Double, options: Options = Options()) throws {
        LibAV.configure()
        try Self.validateSize(width: width, height: height)
        guard fps.isFinite, fps > 0, fps <= 1000 else {
            throw MediaError.invalidArgument("fps \(fps) is out of range: expected a number in (0, 1000]")
        }
        try options.validate()
        let output = try AtomicOutput(target: url)
        guard let choice = Self.chooseEncoder(
            for: options.codec, isAvailable: { avcodec_find_encoder_by_name($0) != nil })
        else {
            throw MediaError.encoderFailed(
                path: output.target, reason: "this libavcodec has neither the libx264 nor the mpeg4 encoder")
        }
        // A segment from another encoder could never be joined to the farm's other
        // segments, so there is no fallback here.
        if options.joinableSegment, choice.name != "libx264" {
            throw MediaError.encoderFailed(
                path: output.target, reason: "joinable H.264 segments need libx264, which this libavcodec lacks")
        }
        let rate = av_d2q(fps, 100_000)
        self.url = url
        self.width = width
        self.height = height
        self.frameRate = rate
        self.fps = Double(rate.num) / Double(rate.den)
        self.encoderName = choice.name
        self.output = output
        do {
            try open(options: options)
        } catch {
            abandon()
            throw error
        }
        if choice.fellBack {
            let warning = "warning: libx264 is not available in this libavcodec; encoding '\(output.target)' "
                + "with the built-in mpeg4 encoder instead (MPEG-4 part 2: larger files for the same quality)\n"
            FileHandle.standardError.write(Data(warning.utf8))
        }
    }

    deinit {
        if state == .open { abandon() }
    }

    /// Converts `frame` to yuv420p and encodes it now; finished packets go straight to disk.
    /// - Throws: `MediaError.invalidArgument` if the frame's size differs (the writer stays
    ///   usable); any other error closes the writer and removes the temporary file.
    public func append(_ frame: RGBFrame) throws {
        guard state == .open, let staging, let scaler else { throw MediaError.writerClosed(path: output.target) }
        guard frame.width == width, frame.height == height else {
            throw MediaError.invalidArgument(
                "frame \(frameCount) is \(frame.width)×\(frame.height) but '\(output.target)' is \(width)×\(height)")
        }
        do {
            FrameScaler.copy(frame, into: staging)
            let yuv = try scaler.scale(staging, path: output.target)
            yuv.pointee.pts = Int64(frameCount)
            try encode(yuv)
            frameCount += 1
        } catch {
            abandon()
            throw error
        }
    }

    /// Flushes the encoder, writes the MP4 index, and renames the file into place.
    /// - Throws: `MediaError.invalidArgument` when no frame was appended (no file is
    ///   written), `.cannotWrite`/`.encoderFailed` on I/O or encoder errors. After any
    ///   error nothing is left at `url` (an existing file there is untouched).
    public func finish() throws {
        guard state == .open, let muxer else { throw MediaError.writerClosed(path: output.target) }
        do {
            guard frameCount > 0 else {
                throw MediaError.invalidArgument("cannot finish '\(output.target)': no frames were appended")
            }
            try encode(nil)
            try muxer.finish()
            release()
            state = .finished
        } catch {
            abandon()
            throw error
        }
    }

    /// Stops writing and removes the temporary file; the target path is left untouched.
    /// Does nothing after `finish()`.
    public func cancel() {
        if state == .open { abandon() }
    }

    // MARK: - libav plumbing

    private func open(options: Options) throws {
        let target = output.target
        // Segments are bit-exact so that their bytes do not depend on the libav build.
        let muxer = try MP4Muxer(output: output, bitExact: options.joinableSegment)
        self.muxer = muxer
        try openEncoder(options: options, globalHeader: muxer.needsGlobalHeader)
        guard let encoder else { throw MediaError.writerClosed(path: target) }
        _ = try muxer.addVideoStream(timeBase: encoder.pointee.time_base, frameRate: frameRate) {
            avcodec_parameters_from_context($0, encoder)
        }
        try muxer.writeHeader(metadata: options.metadata)

        packet = av_packet_alloc()
        staging = try FrameScaler.avFrame(from: RGBFrame(width: width, height: height))
        scaler = try FrameScaler(
            width: width, height: height, format: AV_PIX_FMT_YUV420P, colorspace: SWS_CS_ITU709, fullRange: false,
            bitExact: options.joinableSegment)
        guard packet != nil else {
            throw MediaError.encoderFailed(path: target, reason: "out of memory allocating a packet")
        }
    }

    private func openEncoder(options: Options, globalHeader: Bool) throws {
        let target = output.target
        guard let codec = avcodec_find_encoder_by_name(encoderName),
              let context = avcodec_alloc_context3(codec)
        else {
            throw MediaError.encoderFailed(path: target, reason: "cannot allocate the \(encoderName) encoder")
        }
        encoder = context
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        context.pointee.time_base = AVRational(num: frameRate.den, den: frameRate.num)
        context.pointee.framerate = frameRate
        context.pointee.gop_size = Int32(max(1, (fps * options.keyframeInterval).rounded()))
        // Say what the pixels are (the scaler writes BT.709, limited range) so players
        // don't guess: HD players assume 709 and SD ones 601 when the stream is silent.
        context.pointee.color_range = AVCOL_RANGE_MPEG
        context.pointee.colorspace = AVCOL_SPC_BT709
        context.pointee.color_primaries = AVCOL_PRI_BT709
        context.pointee.color_trc = AVCOL_TRC_BT709
        if globalHeader {
            context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        var codecOptions: OpaquePointer? = nil
        defer { av_dict_free(&codecOptions) }
        if encoderName == "libx264" {
            av_dict_set(&codecOptions, "crf", String(options.crf), 0)
            av_dict_set(&codecOptions, "preset", options.preset, 0)
            // Without cpu-independent, x264's SIMD macroblock-tree code gave different files
            // for the same frames in one process, even on one thread (four writes of a
            // 97-frame clip: up to three different files, decoding up to 12 levels apart from
            // frame 15 on), so a clip written again, or a test's source clip, changed from
            // run to run. Segments replace this value with their own x264-params below, which
            // must keep cpu-independent.
            av_dict_set(&codecOptions, "x264-params", "cpu-independent=1", 0)
            if options.joinableSegment {
                VideoSegmentEncoder.configure(context, options: &codecOptions, withoutSIMD: options.x264WithoutSIMD)
            }
        } else {
            // mpeg4 has no CRF; a fixed quantizer is its constant-quality mode.
            context.pointee.flags |= AV_CODEC_FLAG_QSCALE
            context.pointee.global_quality = FF_QP2LAMBDA * Int32(options.mpeg4Quantizer)
        }
        let opened = avcodec_open2(context, codec, &codecOptions)
        guard opened >= 0 else {
            throw MediaError.encoderFailed(
                path: target, reason: "opening \(encoderName) for \(width)×\(height): \(LibAV.errorString(opened))")
        }
        // libav leaves options it did not recognize in the dictionary instead of failing;
        // a silently ignored crf would produce a valid file of the wrong quality.
        let ignored = LibAV.dictionary(codecOptions)
        guard ignored.isEmpty else {
            throw MediaError.encoderFailed(
                path: target, reason: "\(encoderName) ignored options \(ignored.keys.sorted().joined(separator: ", "))")
        }
    }

    /// Sends one frame (nil: flush) and writes every packet the encoder has ready.
    private func encode(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        guard let encoder, let muxer, let stream = muxer.stream, let packet else {
            throw MediaError.writerClosed(path: output.target)
        }
        let sent = avcodec_send_frame(encoder, frame)
        guard sent >= 0 else {
            throw MediaError.encoderFailed(path: output.target, reason: LibAV.errorString(sent))
        }
        while true {
            let received = avcodec_receive_packet(encoder, packet)
            if received == LibAV.again || received == LibAV.eof { return }
            guard received >= 0 else {
                throw MediaError.encoderFailed(path: output.target, reason: LibAV.errorString(received))
            }
            // Encoders may leave the duration unset; MP4 then gives the last frame zero
            // length and the video reads back as N frames over N−1 frame periods.
            if packet.pointee.duration == 0 { packet.pointee.duration = 1 }
            av_packet_rescale_ts(packet, encoder.pointee.time_base, stream.pointee.time_base)
            try muxer.write(packet)
        }
    }

    /// Frees every libav object; safe to call repeatedly and on a half-opened writer.
    private func release() {
        muxer = nil
        avcodec_free_context(&encoder)
        av_packet_free(&packet)
        av_frame_free(&staging)
        scaler = nil
    }

    private func abandon() {
        muxer?.abandon()
        release()
        output.discard()
        state = .closed
    }
}
