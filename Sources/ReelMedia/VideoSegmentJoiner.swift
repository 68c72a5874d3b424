import CLibAV
import Foundation

/// Joins MP4 segments made by `VideoSegmentEncoder` into one MP4 by copying their
/// packets — no decoding, no re-encoding, so the pictures are exactly the segments'.
///
/// Segments are read one at a time (memory does not grow with the clip); each one's
/// timestamps are shifted to start where the previous one ended, so the result plays as
/// one continuous video. The output carries the stream parameters of segment 0 and the
/// given `VideoMetadata`, and appears at the target only when the whole join succeeded.
public enum VideoSegmentJoiner {
    /// Joins `segments`, in order, into the MP4 at `url`.
    /// - Parameters:
    ///   - segments: at least one MP4 file, each starting with an IDR picture, without
    ///     B-frames, and with the same codec, size, pixel format, frame rate and H.264
    ///     parameter sets (SPS/PPS) as segment 0.
    ///   - url: the `.mp4` to create; replaced if it exists. Its directory must exist.
    ///   - metadata: the container tags of the joined video (segments' own are dropped).
    /// - Returns: the number of frames in the joined video.
    /// - Throws: `MediaError.incompatibleSegment` naming the segment's index and file and
    ///   what differs; `.cannotRead`/`.corrupt`/`.noVideo` for a segment that cannot be
    ///   read; `.cannotWrite` for the output; `.invalidArgument` when `segments` is
    ///   empty. After any error nothing is left at `url` (an existing file is untouched).
    @discardableResult
    public static func join(segments: [URL], to url: URL, metadata: VideoMetadata = VideoMetadata()) throws -> Int {
        LibAV.configure()
        let output = try AtomicOutput(target: url)
        guard !segments.isEmpty else {
            throw MediaError.invalidArgument("no segments to join into '\(output.target)'")
        }
        let paths = try segments.map(MediaReader.inputPath)
        // Bit-exact: the joined file's bytes (the job's video_sha256) must not depend on
        // the coordinator's libav version.
        let muxer = try MP4Muxer(output: output, bitExact: true)
        guard let packet = av_packet_alloc() else {
            throw MediaError.cannotWrite(path: output.target, reason: "out of memory allocating a packet")
        }
        var freed: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&freed) }

        var reference: StreamFormat? = nil
        var end: Int64 = 0  // where the next segment starts, in the segments' time base
        var frames = 0
        for (index, path) in paths.enumerated() {
            let segment = try MediaDemuxer(path: path)
            let format = StreamFormat(segment)
            let refuse = { MediaError.incompatibleSegment(index: index, path: path, reason: $0) }
            if let reference {
                if let difference = format.difference(from: reference) {
                    throw refuse("\(difference) (segment 0 is '\(paths[0])')")
                }
            } else {
                reference = format
                _ = try muxer.addVideoStream(timeBase: format.timeBase, frameRate: format.frameRate) {
                    let copied = avcodec_parameters_copy($0, segment.parameters)
                    // The segment's tag (avc1) is MP4's own; 0 lets the muxer choose it.
                    $0.pointee.codec_tag = 0
                    return copied
                }
                try muxer.writeHeader(metadata: metadata)
            }
            guard let stream = muxer.stream else { throw MediaError.writerClosed(path: output.target) }
            var shift: Int64? = nil
            while try segment.read(into: packet) {
                defer { av_packet_unref(packet) }
                let number = segment.packetCount
                if number == 1 {
                    try checkStartsWithIDR(packet, in: segment, refuse: refuse)
                }
                let pts = packet.pointee.pts, dts = packet.pointee.dts
                guard pts != reel_nopts_value(), pts == dts else {
                    throw refuse(
                        "packet \(number) has pts \(pts) but dts \(dts): segments must have no B-frames "
                            + "(encode them with VideoSegmentEncoder)")
                }
                let offset = shift ?? (end - dts)
                shift = offset
                packet.pointee.pts += offset
                packet.pointee.dts += offset
                packet.pointee.pos = -1
                end = max(end, packet.pointee.pts + max(packet.pointee.duration, 1))
                av_packet_rescale_ts(packet, format.timeBase, stream.pointee.time_base)
                try muxer.write(packet)
                frames += 1
            }
            guard shift != nil else { throw refuse("it holds no video packets") }
        }
        try muxer.finish()
        return frames
    }

    /// A segment must start with an IDR picture: a plain I-frame lets later P-frames
    /// refer to pictures before it, which after joining would be the previous segment's.
    private static func checkStartsWithIDR(
        _ packet: UnsafeMutablePointer<AVPacket>, in segment: MediaDemuxer, refuse: (String) -> MediaError
    ) throws {
        guard packet.pointee.flags & AV_PKT_FLAG_KEY != 0 else {
            throw refuse("its first packet is not a keyframe")
        }
        let parameters = segment.parameters.pointee
        guard parameters.codec_id == AV_CODEC_ID_H264 else { return }
        let extradata = [UInt8](UnsafeBufferPointer(start: parameters.extradata, count: Int(parameters.extradata_size)))
        let data = UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size))
        guard H264.nalUnitTypes(in: data, avcC: extradata)?.contains(H264.idrSlice) == true else {
            throw refuse("its first packet is a keyframe but not an IDR picture (open GOP?)")
        }
    }

    /// What must be equal across segments for their packets to form one stream.
    private struct StreamFormat {
        let codec: String
        let width: Int32
        let height: Int32
        let pixelFormat: String
        let extradata: [UInt8]
        let timeBase: AVRational
        let frameRate: AVRational

        init(_ segment: MediaDemuxer) {
            let parameters = segment.parameters.pointee
            codec = String(cString: avcodec_get_name(parameters.codec_id))
            width = parameters.width
            height = parameters.height
            pixelFormat = LibAV.pixelFormatName(parameters.format)
            extradata = [UInt8](UnsafeBufferPointer(start: parameters.extradata, count: Int(parameters.extradata_size)))
            timeBase = segment.stream.pointee.time_base
            frameRate = segment.stream.pointee.avg_frame_rate
        }

        /// The first property that differs from `reference`, worded for an error message.
        func difference(from reference: StreamFormat) -> String? {
            if codec != reference.codec {
                return "its codec is \(codec) where segment 0's is \(reference.codec)"
            }
            if width != reference.width || height != reference.height {
                return "its size is \(width)×\(height) where segment 0's is \(reference.width)×\(reference.height)"
            }
            if pixelFormat != reference.pixelFormat {
                return "its pixel format is \(pixelFormat) where segment 0's is \(reference.pixelFormat)"
            }
            if av_cmp_q(frameRate, reference.frameRate) != 0 {
                return "its frame rate is \(frameRate.num)/\(frameRate.den) "
                    + "where segment 0's is \(reference.frameRate.num)/\(reference.frameRate.den)"
            }
            if av_cmp_q(timeBase, reference.timeBase) != 0 {
                return "its time base is \(timeBase.num)/\(timeBase.den) "
                    + "where segment 0's is \(reference.timeBase.num)/\(reference.timeBase.den)"
            }
            if extradata != reference.extradata {
                let at = zip(extradata, reference.extradata).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                    ?? min(extradata.count, reference.extradata.count)
                return "its codec parameter sets (extradata: SPS/PPS for H.264, \(extradata.count) bytes) differ "
                    + "from segment 0's (\(reference.extradata.count) bytes) from byte \(at) on "
                    + "(other encoder settings?)"
            }
            return nil
        }
    }
}
