import Foundation
import ReelCoordinator
import ReelFarm
import ReelMedia
import ReelPlan
import Testing

/// An extended clip's output through the coordinator's joiner (``mediaVideoJoiner``):
/// the source's frames that the pinned run does not cover, conformed to the job's
/// size and frame rate and encoded as the workers' segments are, joined before the
/// clip (`--extend`) or after it (`--extend --backward`), never repeating the pinned
/// frames, which the clip holds.
@Suite struct ExtendJoinTests {
    /// A 64×48 source at 8 fps, 48 frames: smooth gradients that move with the frame
    /// number (H.264 keeps them well), so each frame is told from its neighbours. At the
    /// job's 16 fps it has 95 frames (frame i shows source frame round(i/2), ties up).
    static func source(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("source.mp4")
        let writer = try VideoWriter(url: url, width: 64, height: 48, fps: 8)
        for k in 0..<48 {
            var frame = try RGBFrame(width: 64, height: 48)
            for y in 0..<48 { for x in 0..<64 { frame[x, y] = (UInt8(2 * x + 2 * k), UInt8(4 * y + k), UInt8(200 - 3 * k)) } }
            try writer.append(frame)
        }
        try writer.finish()
        return url
    }

    /// The clip as workers would encode it: 17 frames of 32×24 in flat blue, in two
    /// segments of 9 and 8 frames, with the coordinator's default CRF and preset.
    static func clipSegments(in dir: URL) throws -> [URL] {
        func flat(_ count: Int) -> [Float] {
            let plane = 32 * 24
            return [Float](repeating: -0.85, count: 2 * count * plane) + [Float](repeating: 0.6, count: count * plane)
        }
        return try [9, 8].enumerated().map { index, count in
            let url = dir.appendingPathComponent("segment-\(index).mp4")
            try Data(VideoSegmentEncoder.encode(frames: flat(count), count: count, height: 24, width: 32, fps: 16)).write(to: url)
            return url
        }
    }

    /// PSNR in dB of two frames of the same size, over 8-bit RGB.
    static func psnr(_ a: RGBFrame, _ b: [Float]) -> Double {
        let x = a.planarSigned()
        var sum = 0.0
        for i in x.indices { sum += pow(Double(x[i] - b[i]) * 127.5, 2) }
        let mse = sum / Double(x.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    static func join(side: SourceJoin.Side, pinnedFirst: Int, source: URL, segments: [URL], dir: URL) throws -> [RGBFrame] {
        var description = VideoDescription(
            job: 1, title: "extend", seed: 0, model: "tiny", prompt: "a kite", fps: 16, width: 32, height: 24, frames: 17)
        let config = CoordinatorConfig(dataDirectory: "/nonexistent")
        description.extend = ExtendJoin(
            join: SourceJoin(digest: String(repeating: "a", count: 64), side: side, pinnedFirst: pinnedFirst, pinnedCount: 9, fit: .crop),
            sourcePath: source.path, crf: config.crf, preset: config.preset)
        let output = dir.appendingPathComponent("joined-\(side).mp4")
        try mediaVideoJoiner(description, segments, output)
        return try VideoReader(url: output).readAll()
    }

    /// A fresh folder with the source and the clip's segments in it.
    static func setUp() throws -> (dir: URL, source: URL, segments: [URL]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-extend-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir, try source(in: dir), try clipSegments(in: dir))
    }

    /// The source's output frame `i` as workers conform it (``MediaSourceReader``).
    static func conformed(_ source: URL, _ i: Int) throws -> [Float] {
        try MediaSourceReader.conform(url: source, kind: .video, width: 32, height: 24, fit: .crop, fps: 16, firstFrame: i, frameCount: 1).storage
    }

    @Test func forwardPutsTheSourceBeforeTheClipWithoutRepeatingThePinnedFrames() throws {
        let (dir, source, segments) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        // `--extend` on a 17-frame clip pins the source's last 9 of 95 frames (86..<95) at frame 0.
        let frames = try Self.join(side: .before, pinnedFirst: 86, source: source, segments: segments, dir: dir)
        #expect(frames.count == 86 + 17, "source frames before the pinned run + the clip's")
        var worst = Double.infinity
        for i in 0..<86 { worst = min(worst, Self.psnr(frames[i], try Self.conformed(source, i))) }
        print("forward: \(frames.count) frames; source frames 0..<86 against the conformed source: PSNR ≥ \(String(format: "%.1f", worst)) dB")
        #expect(worst > 35)
        // The clip's first 9 frames hold the pinned source frames 86..<95; each crossfades
        // from the source's own frame (next to the join) to the clip's (where the new frames
        // begin): the source's weight is 1 − smoothstep((t + 1) / 10) in clip frame t.
        let blue = Self.blue(32 * 24)
        var mixed = Double.infinity
        for t in 0..<9 {
            let weight = 1 - Self.smoothstep(Double(t + 1) / 10)
            mixed = min(mixed, Self.psnr(frames[86 + t], Self.mix(blue, try Self.conformed(source, 86 + t), weight)))
        }
        let first = try Self.conformed(source, 86)
        print("forward: pinned frames against the crossfade: PSNR ≥ \(String(format: "%.1f", mixed)) dB; frame 86 against source frame 86: \(String(format: "%.1f", Self.psnr(frames[86], first))) dB, against the clip's: \(String(format: "%.1f", Self.psnr(frames[86], blue))) dB")
        #expect(mixed > 33)
        #expect(Self.psnr(frames[86], first) > 30 && Self.psnr(frames[86], blue) < 20, "the join shows the source")
        for i in 95 ..< 103 { #expect(Self.psnr(frames[i], blue) > 35, "frame \(i) is the clip's own") }
    }

    /// The clip's flat blue, planar, over `plane` pixels.
    static func blue(_ plane: Int) -> [Float] {
        [Float](repeating: -0.85, count: 2 * plane) + [Float](repeating: 0.6, count: plane)
    }

    static func smoothstep(_ u: Double) -> Double { u * u * (3 - 2 * u) }

    /// `weight · b + (1 − weight) · a`.
    static func mix(_ a: [Float], _ b: [Float], _ weight: Double) -> [Float] {
        zip(a, b).map { Float(1 - weight) * $0 + Float(weight) * $1 }
    }

    @Test func backwardPutsTheSourceAfterTheClip() throws {
        let (dir, source, segments) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        // `--extend --backward` pins the source's first 9 frames at the clip's end; its frames 9..<95 follow.
        let frames = try Self.join(side: .after, pinnedFirst: 0, source: source, segments: segments, dir: dir)
        #expect(frames.count == 17 + 95 - 9)
        var worst = Double.infinity
        for i in 9..<95 { worst = min(worst, Self.psnr(frames[17 + i - 9], try Self.conformed(source, i))) }
        print("backward: \(frames.count) frames; source frames 9..<95 after the clip: PSNR ≥ \(String(format: "%.1f", worst)) dB")
        #expect(worst > 35)
        // The clip's last 9 frames hold source frames 0..<9, crossfading from the clip's own
        // to the source's: its weight is 1 − smoothstep((9 − k) / 10) in the k-th of them.
        let blue = Self.blue(32 * 24)
        var mixed = Double.infinity
        for k in 0..<9 {
            let weight = 1 - Self.smoothstep(Double(9 - k) / 10)
            mixed = min(mixed, Self.psnr(frames[8 + k], Self.mix(blue, try Self.conformed(source, k), weight)))
        }
        print("backward: pinned frames against the crossfade: PSNR ≥ \(String(format: "%.1f", mixed)) dB")
        #expect(mixed > 33)
        for i in 0..<8 { #expect(Self.psnr(frames[i], blue) > 35, "frame \(i) is the clip's own") }
    }
}
