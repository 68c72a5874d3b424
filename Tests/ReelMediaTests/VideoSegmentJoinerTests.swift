import Foundation
import Testing
@testable import ReelMedia

/// Chunks of a clip encoded apart as segments, then joined by copying packets: the
/// result must be one continuous video holding exactly the segments' pictures.
@Suite struct VideoSegmentJoinerTests {
    static let width = 128, height = 96, fps = 16.0
    static let ffprobe = executableOnPath("ffprobe")
    static let ffmpeg = executableOnPath("ffmpeg")

    static let metadata = VideoMetadata(
        title: "Reel segments", jobID: "job-7", seed: 99, model: "wan-2.1-t2v-1.3b", note: "joined")

    /// Encodes `source` cut into chunks of `counts` frames as `seg0.mp4`, `seg1.mp4`… in `dir`.
    static func writeSegments(
        _ source: [RGBFrame], counts: [Int], in dir: URL, name: String = "seg", fps: Double = fps,
        options: VideoSegmentEncoder.Options = .init()
    ) throws -> [URL] {
        precondition(counts.reduce(0, +) == source.count)
        var start = 0
        var urls: [URL] = []
        for (index, count) in counts.enumerated() {
            let chunk = Array(source[start..<start + count])
            start += count
            let bytes = try VideoSegmentEncoder.encode(
                frames: planarClip(chunk), count: count, height: chunk[0].height, width: chunk[0].width, fps: fps,
                options: options)
            let url = dir.appendingPathComponent("\(name)\(index).mp4")
            try Data(bytes).write(to: url)
            urls.append(url)
        }
        return urls
    }

    /// The moving test pattern, encoded as segments of `counts` frames and joined into
    /// `joined.mp4` in `dir`.
    static func joinPattern(
        width: Int = width, height: Int = height, counts: [Int], in dir: URL
    ) throws -> (source: [RGBFrame], segments: [URL], joined: URL) {
        let total = counts.reduce(0, +)
        let source = try TestPattern.frames(count: total, width: width, height: height)
        let segments = try writeSegments(source, counts: counts, in: dir)
        let joined = dir.appendingPathComponent("joined.mp4")
        #expect(try VideoSegmentJoiner.join(segments: segments, to: joined, metadata: metadata) == total)
        return (source, segments, joined)
    }

    /// Joins segments of the moving test pattern and checks the result frame by frame.
    static func checkJoin(width: Int, height: Int, counts: [Int]) throws {
        try withTemporaryDirectory { dir in
            let total = counts.reduce(0, +)
            let (source, segments, joined) = try joinPattern(width: width, height: height, counts: counts, in: dir)
            #expect(directoryEntries(dir) == (["joined.mp4"] + segments.map(\.lastPathComponent)).sorted())

            let reader = try VideoReader(url: joined)
            #expect(reader.info.width == width && reader.info.height == height)
            #expect(reader.info.frameCount == total)
            #expect(abs((reader.info.fps ?? 0) - fps) < 1e-6)
            #expect(abs((reader.info.duration ?? 0) - Double(total) / fps) < 1e-3)
            let decoded = try reader.readAll()
            #expect(decoded.count == total)
            for (t, (a, b)) in zip(source, decoded).enumerated() {
                #expect(psnr(a, b) > 35, "frame \(t) of \(width)×\(height): \(psnr(a, b)) dB")
            }
            // Not re-encoded: decoding each segment alone gives the very same pixels.
            let apart = try segments.flatMap { try VideoReader(url: $0).readAll() }
            #expect(apart.count == total)
            #expect(decoded == apart, "the joined pictures differ from the segments' own")
        }
    }

    @Test func threeSegmentsJoinIntoOneVideoOfEveryFrame() throws {
        try Self.checkJoin(width: Self.width, height: Self.height, counts: [5, 7, 4])
    }

    @Test func joinsAt832x480() throws {
        try Self.checkJoin(width: 832, height: 480, counts: [3, 2])
    }

    @Test func joinsAt1920x1088() throws {
        try Self.checkJoin(width: 1920, height: 1088, counts: [2, 1])
    }

    @Test func joinedVideoCarriesTheGivenMetadata() throws {
        try withTemporaryDirectory { dir in
            let joined = try Self.joinPattern(width: 64, height: 48, counts: [2, 2], in: dir).joined
            let tags = try MediaReader.info(url: joined).metadata
            #expect(tags["title"] == "Reel segments")
            #expect(tags["comment"] == "job job-7, seed 99, model wan-2.1-t2v-1.3b; joined")
            #expect(tags["reel_job_id"] == "job-7")
            #expect(tags["reel_seed"] == "99")
            #expect(tags["reel_model"] == "wan-2.1-t2v-1.3b")
            #expect(tags["ai_generated"] == "true")
            #expect(tags["description"]?.contains("AI-generated") == true)
            // No libavformat version: the joined bytes must not depend on the coordinator's libav.
            #expect(tags["encoder"] == nil)
        }
    }

    /// The job's video_sha256 is of the joined file: joining again must not change it.
    @Test func joiningTheSameSegmentsTwiceGivesTheSameBytes() throws {
        try withTemporaryDirectory { dir in
            let (_, segments, joined) = try Self.joinPattern(counts: [3, 2], in: dir)
            let again = dir.appendingPathComponent("again.mp4")
            try VideoSegmentJoiner.join(segments: segments, to: again, metadata: Self.metadata)
            let first = [UInt8](try Data(contentsOf: joined)), second = [UInt8](try Data(contentsOf: again))
            #expect(firstDifference(first, second) == nil)
        }
    }

    // MARK: what ffprobe and ffmpeg see

    @Test(.enabled(if: ffprobe != nil, "ffprobe is not installed"))
    func ffprobeSeesOneContinuousStream() throws {
        try withTemporaryDirectory { dir in
            let joined = try Self.joinPattern(counts: [5, 7, 4], in: dir).joined
            let json = try ffprobeJSON(Self.ffprobe!, ["-show_streams", "-show_packets", "-show_format"], joined)
            let streams = try #require(json["streams"] as? [[String: Any]])
            #expect(streams.count == 1)
            let video = try #require(streams.first)
            #expect(video["codec_name"] as? String == "h264")
            #expect(video["width"] as? Int == Self.width)
            #expect(video["height"] as? Int == Self.height)
            #expect(video["pix_fmt"] as? String == "yuv420p")
            #expect(video["nb_frames"] as? String == "16")
            #expect(video["avg_frame_rate"] as? String == "16/1")
            #expect(video["has_b_frames"] as? Int == 0)
            let format = try #require(json["format"] as? [String: Any])
            #expect(Double(format["duration"] as? String ?? "") == 1.0)

            // One frame period apart, from zero, decode order = presentation order, and
            // a keyframe where each segment starts (frames 0, 5 and 12).
            let packets = try #require(json["packets"] as? [[String: Any]])
            #expect(packets.count == 16)
            let period = try #require(packets.first?["duration"] as? Int)
            #expect(period > 0)
            #expect(packets.map { $0["pts"] as? Int } == (0..<16).map { $0 * period })
            #expect(packets.map { $0["dts"] as? Int } == (0..<16).map { $0 * period })
            let keyframes = packets.indices.filter { (packets[$0]["flags"] as? String)?.hasPrefix("K") == true }
            #expect(keyframes == [0, 5, 12])
        }
    }

    /// Per-packet `(size, md5)` of the video stream as ffmpeg copies it out (`-c copy`:
    /// no decoding), plus the dts column.
    static func packetHashes(_ url: URL) throws -> (packets: [String], dts: [Int]) {
        let (status, data) = try runTool(
            ffmpeg!, ["-v", "error", "-i", url.path, "-map", "0:v", "-c", "copy", "-f", "framemd5", "-"])
        #expect(status == 0, "ffmpeg failed on '\(url.path)'")
        let rows = String(decoding: data, as: UTF8.self).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        return (rows.map { "\($0[4]) \($0[5])" }, rows.compactMap { Int($0[1]) })
    }

    @Test(.enabled(if: ffmpeg != nil, "ffmpeg is not installed"))
    func joinedPacketsAreTheSegmentsPacketsByteForByte() throws {
        try withTemporaryDirectory { dir in
            let (_, segments, joined) = try Self.joinPattern(counts: [4, 4, 3], in: dir)
            let parts = try segments.map(Self.packetHashes)
            let whole = try Self.packetHashes(joined)
            #expect(parts.map(\.packets.count) == [4, 4, 3])
            #expect(whole.packets == parts.flatMap(\.packets))
            // Each segment's timeline starts at zero; the joined one runs on.
            let period = try #require(whole.dts.dropFirst().first)
            #expect(period > 0)
            #expect(whole.dts == (0..<11).map { $0 * period })
            #expect(parts.allSatisfy { $0.dts.first == 0 })
        }
    }

    // MARK: refused

    @Test func segmentOfAnotherSizeIsRefusedNamingIt() throws {
        try withTemporaryDirectory { dir in
            let big = try Self.writeSegments(
                TestPattern.frames(count: 4, width: Self.width, height: Self.height), counts: [2, 2], in: dir)
            let small = try Self.writeSegments(
                TestPattern.frames(count: 2, width: 64, height: 48), counts: [2], in: dir, name: "small")
            let joined = dir.appendingPathComponent("joined.mp4")
            let error = expectMediaError(naming: small[0].path) {
                try VideoSegmentJoiner.join(segments: [big[0], small[0], big[1]], to: joined)
            }
            #expect(error?.description.contains("segment 1 ") == true, "\(String(describing: error))")
            #expect(error?.description.contains("64×48 where segment 0's is 128×96") == true)
            #expect(!FileManager.default.fileExists(atPath: joined.path))
            #expect(directoryEntries(dir) == ["seg0.mp4", "seg1.mp4", "small0.mp4"], "no temporary left")
        }
    }

    @Test func segmentWithOtherEncoderSettingsIsRefused() throws {
        try withTemporaryDirectory { dir in
            let source = try TestPattern.frames(count: 4, width: 64, height: 48)
            let medium = try Self.writeSegments(source, counts: [2, 2], in: dir)
            // ultrafast: CAVLC and one reference frame, so other SPS/PPS.
            let fast = try Self.writeSegments(
                source, counts: [4], in: dir, name: "fast", options: .init(preset: "ultrafast"))
            let joined = dir.appendingPathComponent("joined.mp4")
            let error = expectMediaError(naming: fast[0].path) {
                try VideoSegmentJoiner.join(segments: medium + fast, to: joined)
            }
            #expect(error?.description.contains("segment 2 ") == true, "\(String(describing: error))")
            #expect(error?.description.contains("parameter sets") == true)

            let slower = try Self.writeSegments(source, counts: [4], in: dir, name: "slow", fps: 24)
            let rate = expectMediaError(naming: slower[0].path) {
                try VideoSegmentJoiner.join(segments: [medium[0], slower[0]], to: joined)
            }
            #expect(rate?.description.contains("frame rate is 24/1 where segment 0's is 16/1") == true,
                    "\(String(describing: rate))")
            #expect(!FileManager.default.fileExists(atPath: joined.path))
        }
    }

    @Test(.enabled(if: ffmpeg != nil, "ffmpeg is not installed"))
    func segmentNotStartingWithAKeyframeIsRefused() throws {
        try withTemporaryDirectory { dir in
            let source = try TestPattern.frames(count: 8, width: 64, height: 48)
            let segments = try Self.writeSegments(source, counts: [8], in: dir)
            // The same stream cut after its keyframe, copying the P-frames before the next.
            let cut = dir.appendingPathComponent("cut.mp4")
            let (status, _) = try runTool(
                Self.ffmpeg!,
                ["-v", "error", "-i", segments[0].path, "-ss", "0.2", "-c", "copy", "-copyinkf", cut.path])
            #expect(status == 0)
            let joined = dir.appendingPathComponent("joined.mp4")
            let error = expectMediaError(naming: cut.path) {
                try VideoSegmentJoiner.join(segments: [segments[0], cut], to: joined)
            }
            #expect(error?.description.contains("segment 1 ") == true, "\(String(describing: error))")
            #expect(error?.description.contains("not a keyframe") == true)
        }
    }

    @Test(.enabled(if: ffmpeg != nil, "ffmpeg is not installed"))
    func segmentWithBFramesIsRefused() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("bframes.mp4")
            let (status, _) = try runTool(
                Self.ffmpeg!,
                ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=16", "-frames:v", "8",
                 "-c:v", "libx264", "-bf", "2", "-pix_fmt", "yuv420p", url.path])
            try #require(status == 0)
            let error = expectMediaError(naming: url.path) {
                try VideoSegmentJoiner.join(segments: [url], to: dir.appendingPathComponent("joined.mp4"))
            }
            #expect(error?.description.contains("segment 0 ") == true, "\(String(describing: error))")
            #expect(error?.description.contains("no B-frames") == true)
        }
    }
    @Test func badArgumentsAreRefusedBeforeAnyOutput() throws {
        try withTemporaryDirectory { dir in
            let joined = dir.appendingPathComponent("joined.mp4")
            expectMediaError(naming: joined.path) { try VideoSegmentJoiner.join(segments: [], to: joined) }
            let missing = dir.appendingPathComponent("missing.mp4")
            expectMediaError(naming: missing.path) { try VideoSegmentJoiner.join(segments: [missing], to: joined) }
            let nowhere = dir.appendingPathComponent("no/such/dir/joined.mp4")
            expectMediaError(naming: nowhere.path) { try VideoSegmentJoiner.join(segments: [missing], to: nowhere) }
            #expect(directoryEntries(dir) == [])
        }
    }

    @Test func nalUnitTypesAreReadFromLengthPrefixedAndAnnexBPackets() {
        // avcC with 4-byte lengths: an IDR slice (0x65) then a non-IDR slice (0x41).
        let avcC: [UInt8] = [1, 0x64, 0, 0x1F, 0xFF, 0xE1, 0]
        let lengthPrefixed: [UInt8] = [0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 1, 0x41]
        lengthPrefixed.withUnsafeBufferPointer {
            #expect(H264.nalUnitTypes(in: $0, avcC: avcC) == [5, 1])
            #expect(H264.nalUnitTypes(in: UnsafeBufferPointer(rebasing: $0.prefix(9)), avcC: avcC) == nil)
        }
        let annexB: [UInt8] = [0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x65, 0x88]
        annexB.withUnsafeBufferPointer { #expect(H264.nalUnitTypes(in: $0, avcC: []) == [7, 5]) }
    }
}
