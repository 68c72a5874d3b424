import Foundation
import Testing
@testable import ReelMedia

/// Segments for the farm: the same frames must give the same bytes on any machine, with
/// the settings that make them joinable.
@Suite struct VideoSegmentEncoderTests {
    static let width = 128, height = 96, fps = 16.0

    @Test func sameFramesGiveTheSameBytes() throws {
        let frames = try TestPattern.frames(count: 6, width: Self.width, height: Self.height)
        let clip = planarClip(frames)
        let first = try VideoSegmentEncoder.encode(
            frames: clip, count: 6, height: Self.height, width: Self.width, fps: Self.fps)
        let second = try VideoSegmentEncoder.encode(
            frames: clip, count: 6, height: Self.height, width: Self.width, fps: Self.fps)
        #expect(firstDifference(first, second) == nil, "two encodes of the same frames differ")

        // Frame by frame through the streaming API: still the same bytes.
        let streaming = try VideoSegmentEncoder(width: Self.width, height: Self.height, fps: Self.fps)
        for frame in frames { try streaming.append(frame) }
        #expect(streaming.frameCount == 6)
        #expect(firstDifference(try streaming.finish(), first) == nil)

        // A different picture must change them, or the comparison above proves nothing.
        var changed = frames
        changed[3] = try RGBFrame(width: Self.width, height: Self.height, red: 200)
        let other = try VideoSegmentEncoder.encode(
            frames: planarClip(changed), count: 6, height: Self.height, width: Self.width, fps: Self.fps)
        #expect(firstDifference(other, first) != nil)
    }

    /// Another machine may run other SIMD code (AVX2, AVX-512, NEON or none); a
    /// segment's bytes must not change with it. x264's plain C code stands in for
    /// "another CPU" here, at a real frame size (smaller ones happen to agree anyway).
    @Test func segmentBytesDoNotDependOnTheCPUsSIMD() throws {
        let (width, height, count) = (832, 480, 4)
        let clip = planarClip(try TestPattern.frames(count: count, width: width, height: height))
        var segments: [[UInt8]] = []
        for withoutSIMD in [false, true] {
            let encoder = try VideoSegmentEncoder(
                width: width, height: height, fps: Self.fps, options: .init(), x264WithoutSIMD: withoutSIMD)
            try encoder.append(planarClip: clip, frames: count)
            segments.append(try encoder.finish())
        }
        #expect(firstDifference(segments[0], segments[1]) == nil,
                "x264 with and without SIMD encoded different segments")
    }

    /// libx264 writes the settings it actually used into the stream (a user-data SEI):
    /// its own word that the thread count is fixed and there are no B-frames.
    @Test func x264ReportsFixedThreadsAndNoBFrames() throws {
        let frames = try TestPattern.frames(count: 3, width: 64, height: 48)
        let bytes = try VideoSegmentEncoder.encode(
            frames: planarClip(frames), count: 3, height: 48, width: 64, fps: Self.fps,
            options: .init(crf: 23, preset: "fast"))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("x264 - core"))
        #expect(text.contains(" threads=2 "))
        #expect(text.contains(" bframes=0 "))
        #expect(text.contains(" crf=23.0 "))
        // No libavformat version in the container (it would differ between builds).
        #expect(!text.contains("Lavf"))
    }

    @Test func badChunksAreRefused() {
        expectMediaError(naming: "3·2·48·64 = 18432 floats, got 100") {
            _ = try VideoSegmentEncoder.encode(
                frames: [Float](repeating: 0, count: 100), count: 2, height: 48, width: 64, fps: 16)
        }
        expectMediaError(naming: "no frames were appended") {
            _ = try VideoSegmentEncoder.encode(frames: [], count: 0, height: 48, width: 64, fps: 16)
        }
        expectMediaError(naming: "crf 60.0 is out of range") {
            _ = try VideoSegmentEncoder(width: 64, height: 48, fps: 16, options: .init(crf: 60))
        }
    }
}
