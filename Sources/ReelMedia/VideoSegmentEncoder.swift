import CLibAV
import Foundation

/// Encodes one chunk of a clip as an H.264 MP4 *segment* that `VideoSegmentJoiner`
/// can later join to the other chunks' segments without re-encoding.
///
/// A render farm splits a clip across workers, and promises the same video (the same
/// `video_sha256`) whatever the number or kind of workers, so a segment must be
/// - joinable: it starts with an IDR picture (closed GOP), so it decodes without any
///   picture of the previous segment, and it has no B-frames (see `configure`);
/// - reproducible: the same frames and options give the same bytes on any machine
///   (fixed encoder threads, CPU-independent x264 and RGB→YUV conversion, no libav
///   version string in the container). Workers must still run the same libx264 and
///   libswscale builds: another x264 version encodes differently.
///
/// Frames are encoded as they are appended (memory stays at a few frames); the MP4 is
/// built in a temporary file, and `finish()` returns its bytes and removes it.
///
/// Not thread-safe and not `Sendable`: one encoder belongs to one worker loop.
public final class VideoSegmentEncoder {
    /// Encoder settings; every worker of a job must use the same ones.
    public struct Options: Sendable, Equatable {
        /// libx264 constant rate factor, 0 (lossless) … 51. Default 18, as `VideoWriter`.
        public var crf: Double
        /// One of `VideoWriter.Options.presets`. Default `medium`.
        public var preset: String
        /// Seconds between keyframes inside a segment (a segment always starts with
        /// one). Default 2.
        public var keyframeInterval: Double

        /// All parameters default to the values documented on each property.
        public init(crf: Double = 18, preset: String = "medium", keyframeInterval: Double = 2) {
            self.crf = crf
            self.preset = preset
            self.keyframeInterval = keyframeInterval
        }
    }

    /// x264 threads for every segment on every machine. x264's output depends on its
    /// thread count (frame threads limit the motion search and lookahead), so the
    /// default (1.5 × the cores) would make the bytes depend on the worker. Two keeps
    /// a small worker busy; the farm gets its parallelism from many segments at once.
    public static let encoderThreads = 2

    /// Frame size in pixels.
    public var width: Int { writer.width }
    public var height: Int { writer.height }
    /// Frames per second, as stored (see `VideoWriter.fps`).
    public var fps: Double { writer.fps }
    /// Frames appended so far.
    public var frameCount: Int { writer.frameCount }

    private let writer: VideoWriter
    private let file: URL

    /// Opens the encoder; nothing is encoded yet.
    /// - Parameters:
    ///   - width, height: frame size; both even.
    ///   - fps: frames per second, the same for every segment of a clip.
    /// - Throws: `MediaError.invalidSize`, `.invalidArgument` for bad parameters,
    ///   `.encoderFailed` (also when this libavcodec has no libx264), `.cannotWrite` when
    ///   the temporary directory is not writable.
    public convenience init(width: Int, height: Int, fps: Double, options: Options = Options()) throws {
        try self.init(width: width, height: height, fps: fps, options: options, x264WithoutSIMD: false)
    }

    /// `x264WithoutSIMD`: run x264's plain C code, as on a CPU without any of the SIMD
    /// extensions it uses, so tests can check that the bytes do not depend on the CPU.
    init(width: Int, height: Int, fps: Double, options: Options, x264WithoutSIMD: Bool) throws {
        var writerOptions = VideoWriter.Options(
            codec: .h264, crf: options.crf, preset: options.preset, keyframeInterval: options.keyframeInterval)
        writerOptions.joinableSegment = true
        writerOptions.x264WithoutSIMD = x264WithoutSIMD
        // A private name in the temporary directory: the bytes are what callers get.
        file = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("reel-segment-\(UUID().uuidString.prefix(8).lowercased()).mp4")
        writer = try VideoWriter(url: file, width: width, height: height, fps: fps, options: writerOptions)
    }

    /// Converts `frame` and encodes it now.
    /// - Throws: what `VideoWriter.append(_:)` throws.
    public func append(_ frame: RGBFrame) throws {
        try writer.append(frame)
    }

    /// Appends a channel-major clip `(3, frames, height, width)` of floats in [−1, 1].
    /// - Throws: what `VideoWriter.append(planarClip:frames:)` throws.
    public func append(planarClip values: [Float], frames: Int) throws {
        try writer.append(planarClip: values, frames: frames)
    }

    /// Flushes the encoder and returns the finished segment's bytes.
    /// - Throws: `MediaError.invalidArgument` when no frame was appended, the writer's
    ///   errors, `.cannotRead` if the finished temporary cannot be read back.
    public func finish() throws -> [UInt8] {
        try writer.finish()
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            return [UInt8](try Data(contentsOf: file))
        } catch {
            throw MediaError.cannotRead(path: file.path, reason: "reading the finished segment back: \(error)")
        }
    }

    /// Stops encoding and removes the temporary file. Does nothing after `finish()`.
    public func cancel() {
        writer.cancel()
    }

    /// Encodes a whole chunk, as a decode stage emits it, into one segment.
    /// - Parameters:
    ///   - frames: `3 · count · height · width` floats in [−1, 1], layout (3, count, H, W).
    ///   - count: number of frames (> 0).
    /// - Returns: the segment's MP4 bytes.
    /// - Throws: `MediaError.invalidArgument` when the float count does not match, and
    ///   what `init` and `finish` throw.
    public static func encode(
        frames: [Float], count: Int, height: Int, width: Int, fps: Double, options: Options = Options()
    ) throws -> [UInt8] {
        let encoder = try VideoSegmentEncoder(width: width, height: height, fps: fps, options: options)
        try encoder.append(planarClip: frames, frames: count)
        return try encoder.finish()
    }

    /// The libx264 settings that make a segment joinable and reproducible; applied by
    /// `VideoWriter` on top of crf and preset when `VideoWriter.Options.joinableSegment` is set,
    /// replacing the `x264-params` it sets for every file (so they keep `cpu-independent`).
    static func configure(
        _ context: UnsafeMutablePointer<AVCodecContext>, options: inout OpaquePointer?, withoutSIMD: Bool
    ) {
        // No B-frames: every packet's dts equals its pts, and timestamps start at zero.
        // With B-frames each segment would start with a negative dts (an MP4 edit list
        // hides it), so segments laid end to end would need per-segment edit lists and
        // could overlap in decode order; without them, shifting each segment by the
        // duration of those before it gives one monotonic timeline.
        context.pointee.max_b_frames = 0
        // Closed GOP: no picture refers across a keyframe, so the IDR at the start of a
        // segment needs nothing from the segment before it.
        context.pointee.flags |= Int32(bitPattern: AV_CODEC_FLAG_CLOSED_GOP)
        context.pointee.thread_count = Int32(encoderThreads)
        // cpu-independent: x264 otherwise lets its SIMD code round floats differently
        // (FMA in the macroblock-tree lookahead): without it an 832×480 segment encoded
        // with AVX2 and one encoded with x264's plain C code differ.
        let parameters = "cpu-independent=1:open-gop=0" + (withoutSIMD ? ":asm=0" : "")
        av_dict_set(&options, "x264-params", parameters, 0)
    }
}
