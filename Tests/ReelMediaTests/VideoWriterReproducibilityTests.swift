import Foundation
import Testing
@testable import ReelMedia

/// The same frames written again give the same file: a user who renders or converts a
/// clip again gets the same video, and a test that writes a source clip reads the same
/// pixels in every run.
@Suite struct VideoWriterReproducibilityTests {
    /// Writes `frames` with the default options (B-frames, x264's lookahead and
    /// macroblock tree) and returns the file's bytes.
    static func write(_ frames: [RGBFrame], in dir: URL, name: String) throws -> [UInt8] {
        let url = dir.appendingPathComponent(name)
        let writer = try VideoWriter(url: url, width: frames[0].width, height: frames[0].height, fps: 16)
        for frame in frames { try writer.append(frame) }
        try writer.finish()
        return [UInt8](try Data(contentsOf: url))
    }

    /// Frame `t` of a ball (radius 8) moving rightwards over a navy background with a
    /// few levels of fixed-seed noise, like the demo model's clips: the content on which
    /// x264's output varied (a smooth gradient did not).
    static func ball(_ t: Int) throws -> RGBFrame {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* UInt64(t + 1)
        var pixels = [UInt8]()
        pixels.reserveCapacity(64 * 64 * 3)
        let centre = (8 + Double(t) * 64 / 56).truncatingRemainder(dividingBy: 64)
        for row in 0 ..< 64 {
            for column in 0 ..< 64 {
                let dx = min(abs(Double(column) + 0.5 - centre), 64 - abs(Double(column) + 0.5 - centre))
                let dy = Double(row) + 0.5 - 32
                let base: [Int] = dx * dx + dy * dy <= 64 ? [209, 48, 45] : [38, 44, 61]
                for c in base {
                    // xorshift: a few levels of noise, the same for the same t.
                    state ^= state << 13; state ^= state >> 7; state ^= state << 17
                    pixels.append(UInt8(c + Int(state % 7) - 3))
                }
            }
        }
        return try RGBFrame(width: 64, height: 64, pixels: pixels)
    }

    /// Before x264 ran with `cpu-independent`, four writes of the same 97 frames in one
    /// process gave up to three different files, which decoded differently from frame 15
    /// on (by up to 12 levels); only the farm's segments, which already set it, agreed.
    /// Eight writes here: four failed this test in two runs of three.
    @Test func theSameFramesWrittenEightTimesGiveTheSameBytes() throws {
        try withTemporaryDirectory { dir in
            let frames = try (0 ..< 97).map { try Self.ball($0) }
            let first = try Self.write(frames, in: dir, name: "0.mp4")
            for k in 1 ..< 8 {
                let again = try Self.write(frames, in: dir, name: "\(k).mp4")
                let at = firstDifference(again, first)
                #expect(at == nil, "write \(k) of the same frames (\(again.count) bytes) differs from write 0 (\(first.count) bytes) at byte \(at ?? -1)")
            }
            // A different picture must change the bytes, or the comparison proves nothing.
            var changed = frames
            changed[50] = try RGBFrame(width: 64, height: 64, red: 200)
            #expect(firstDifference(try Self.write(changed, in: dir, name: "changed.mp4"), first) != nil,
                    "a clip with frame 50 replaced wrote the same bytes: the comparison cannot tell files apart")
        }
    }
}
