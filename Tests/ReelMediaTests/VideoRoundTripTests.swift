import Foundation
import Testing
@testable import ReelMedia

/// Encode a smooth moving pattern, read it back through libav, compare.
@Suite struct VideoRoundTripTests {
    static let width = 128, height = 96, fps = 16.0, count = 48

    static let metadata = VideoMetadata(
        title: "Reel round trip", jobID: "job-42", seed: 1234, model: "wan-2.1-t2v-1.3b")

    /// Writes the pattern; returns the source frames and the writer's encoder name.
    static func writePattern(to url: URL, codec: VideoWriter.Options.Codec = .h264) throws -> ([RGBFrame], String) {
        let frames = try TestPattern.frames(count: count, width: width, height: height)
        let writer = try VideoWriter(
            url: url, width: width, height: height, fps: fps,
            options: .init(codec: codec, metadata: metadata))
        for frame in frames {
            try writer.append(frame)
        }
        try writer.finish()
        #expect(writer.frameCount == count)
        return (frames, writer.encoderName)
    }

    static func checkRoundTrip(codec: VideoWriter.Options.Codec) throws -> (encoder: String, psnr: Double) {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("pattern.mp4")
            let (source, encoder) = try writePattern(to: url, codec: codec)
            #expect(directoryEntries(dir) == ["pattern.mp4"], "no temporary left beside the output")

            let reader = try VideoReader(url: url, width: width, height: height)
            #expect(reader.info.width == width && reader.info.height == height)
            #expect(reader.info.frameCount == count)
            #expect(abs((reader.info.fps ?? 0) - fps) < 1e-6)
            #expect(reader.info.codec == (encoder == "libx264" ? "h264" : "mpeg4"))

            let decoded = try reader.readAll()
            #expect(decoded.count == count)
            var worst = Double.infinity
            for (a, b) in zip(source, decoded) {
                #expect(b.width == width && b.height == height)
                worst = min(worst, psnr(a, b))
            }
            #expect(worst > 35, "worst frame PSNR \(worst) dB with \(encoder)")
            return (encoder, worst)
        }
    }

    @Test func h264RoundTripKeepsCountSizeFpsAndQuality() throws {
        let result = try Self.checkRoundTrip(codec: .h264)
        // Reported so a CI log shows which encoder this libavcodec provided.
        print("ReelMedia: .h264 encoded with \(result.encoder), worst frame \(Int(result.psnr)) dB")
    }

    @Test func mpeg4FallbackEncoderAlsoPasses() throws {
        #expect(try Self.checkRoundTrip(codec: .mpeg4).encoder == "mpeg4")
    }

    @Test func fallbackRulePrefersX264ThenMpeg4() {
        #expect(VideoWriter.chooseEncoder(for: .h264, isAvailable: { _ in true })! == ("libx264", false))
        #expect(VideoWriter.chooseEncoder(for: .h264, isAvailable: { $0 == "mpeg4" })! == ("mpeg4", true))
        #expect(VideoWriter.chooseEncoder(for: .mpeg4, isAvailable: { _ in true })! == ("mpeg4", false))
        #expect(VideoWriter.chooseEncoder(for: .h264, isAvailable: { _ in false }) == nil)
    }

    @Test func metadataTagsSurviveInMP4() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("tags.mp4")
            let writer = try VideoWriter(
                url: url, width: 64, height: 48, fps: 8, options: .init(metadata: Self.metadata))
            try writer.append(TestPattern.frame(0, of: 1, width: 64, height: 48))
            try writer.finish()

            let tags = try MediaReader.info(url: url).metadata
            #expect(tags["title"] == "Reel round trip")
            #expect(tags["comment"] == "job job-42, seed 1234, model wan-2.1-t2v-1.3b")
            #expect(tags["ai_generated"] == "true")
            #expect(tags["description"]?.contains("AI-generated") == true)
            #expect(tags["reel_job_id"] == "job-42")
            #expect(tags["reel_seed"] == "1234")
            #expect(tags["reel_model"] == "wan-2.1-t2v-1.3b")
        }
    }

    @Test func ntscFrameRateIsKeptAsAFraction() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("ntsc.mp4")
            let writer = try VideoWriter(url: url, width: 32, height: 32, fps: 30000.0 / 1001)
            for t in 0..<6 { try writer.append(TestPattern.frame(t, of: 6, width: 32, height: 32)) }
            try writer.finish()
            let info = try MediaReader.info(url: url)
            #expect(abs((info.fps ?? 0) - 30000.0 / 1001) < 1e-6)
            #expect(info.frameCount == 6)
        }
    }

    @Test func readerResizesVideoFrames() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("small.mp4")
            _ = try Self.writePattern(to: url)
            let reader = try VideoReader(url: url, width: 64)  // height from aspect: 48
            #expect(reader.width == 64 && reader.height == 48)
            let first = try #require(try reader.nextFrame())
            #expect(first.width == 64 && first.height == 48)
            #expect(reader.framesRead == 1)
        }
    }

    static let ffprobe = executableOnPath("ffprobe")

    @Test(.enabled(if: ffprobe != nil, "ffprobe is not installed"))
    func ffprobeAgrees() throws {
        try withTemporaryDirectory { dir in
            let url = dir.appendingPathComponent("probe.mp4")
            let (_, encoder) = try Self.writePattern(to: url)

            let json = try ffprobeJSON(Self.ffprobe!, ["-show_streams", "-show_format"], url)
            let streams = try #require(json["streams"] as? [[String: Any]])
            let video = try #require(streams.first { $0["codec_type"] as? String == "video" })
            #expect(video["codec_name"] as? String == (encoder == "libx264" ? "h264" : "mpeg4"))
            #expect(video["width"] as? Int == Self.width)
            #expect(video["height"] as? Int == Self.height)
            #expect(video["pix_fmt"] as? String == "yuv420p")
            #expect(video["nb_frames"] as? String == "\(Self.count)")
            #expect(video["avg_frame_rate"] as? String == "16/1")
            let format = try #require(json["format"] as? [String: Any])
            let tags = try #require(format["tags"] as? [String: String])
            #expect(tags["title"] == "Reel round trip")
            #expect(tags["comment"]?.contains("job job-42") == true)
            #expect(tags["ai_generated"] == "true")
        }
    }
}
