import Foundation
import ReelHash
import ReelMedia
import ReelPlan
import Testing
@testable import ReelCLI

/// The conditioning flags through the real argument parsing: which items each mode
/// makes (placed by hand from the flags: 5 s at 16 fps is 81 frames, 21 latent
/// frames, Wan's stride 4), and the clear refusals the issue asks for.
@Suite struct ConditioningOptionsTests {
    static func files() throws -> (dir: URL, image: String, video: String, corrupt: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("reel-cond-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let image = dir.appendingPathComponent("still.png")
        try ImageWriter.write(try RGBFrame(width: 200, height: 120, red: 200, green: 30, blue: 30), to: image)
        // 48 frames at 8 fps: 95 frames at the job's 16 fps (frame i shows source frame
        // round(i / 2), ties up, which must be below 48: i < 95).
        let video = dir.appendingPathComponent("clip.mp4")
        let writer = try VideoWriter(url: video, width: 64, height: 48, fps: 8)
        for k in 0..<48 { try writer.append(try RGBFrame(width: 64, height: 48, red: UInt8(5 * k), green: 90, blue: 10)) }
        try writer.finish()
        let corrupt = dir.appendingPathComponent("broken.png")
        try Data("not an image".utf8).write(to: corrupt)
        return (dir, image.path, video.path, corrupt.path)
    }

    static func items(_ arguments: [String]) throws -> [ConditioningItem] {
        let command = try PlanCommand.parse(["--seconds", "5"] + arguments)
        return try command.conditioning.items(for: try command.job.resolve().plan).map(\.item)
    }

    static func refusal(_ arguments: [String]) -> String {
        do {
            let command = try PlanCommand.parse(["--seconds", "5"] + arguments)
            try command.validate()
            return "accepted"
        } catch {
            return PlanCommand.message(for: error)
        }
    }

    @Test func eachModeMakesItsItems() throws {
        let f = try Self.files()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let digest = SHA256Hex.of(file: f.image)
        // --at 2 s = pixel frame 32, latent frame 8.
        let image = try Self.items(["--image", f.image, "--at", "2", "--fit", "pad"])
        #expect(image == [ConditioningItem(source: ConditioningSource(kind: .image, digest: digest), frame: 32, fit: .pad)])
        // 2.1 s = 33.6 frames → latent frame round(8.4) = 8 → pixel frame 32.
        #expect(try Self.items(["--keyframe", "\(f.image)@2.1", "--keyframe", "\(f.image)@4"]).map(\.frame) == [32, 64])
        // Extend: at most half the clip (41 frames) of the source's last frames, at frame 0.
        let extend = try #require(try Self.items(["--extend", f.video]).first)
        #expect(extend.frame == 0 && extend.source.kind == .video && extend.source.frameCount == 41 && extend.source.firstFrame == 95 - 41)
        let backward = try #require(try Self.items(["--extend", f.video, "--backward"]).first)
        #expect(backward.frame == 81 - 41 && backward.source.firstFrame == 0)
        // Connect: A's last frame at 0, B's first at the clip's last frame (80).
        let connect = try Self.items(["--connect", f.video, f.video])
        #expect(connect.map(\.frame) == [0, 80] && connect.map(\.source.firstFrame) == [94, 0] && connect.map(\.source.frameCount) == [1, 1])
        // Edit: the whole clip from the source, at the strength.
        let edit = try #require(try Self.items(["--edit", f.video, "--strength", "0.6"]).first)
        #expect(edit.mode == .start && edit.strength == 0.6 && edit.source.frameCount == 81 && edit.frame == 0)
    }

    @Test func invalidCombinationsAreRefusedClearly() throws {
        let f = try Self.files()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let cases: [([String], String)] = [
            (["--image", f.image, "--edit", f.video, "--strength", "0.5"], "cannot be combined with --image"),
            (["--keyframe", "\(f.image)@9"], "outside the clip's 0..<21"),
            (["--edit", f.video, "--strength", "1.5"], "--strength in (0, 1]"),
            (["--edit", f.video, "--strength", "0"], "--strength in (0, 1]"),
            (["--image", f.corrupt], "'\(f.corrupt)' is not a readable image (PNG or JPEG)"),
            (["--image", f.dir.appendingPathComponent("missing.png").path], "cannot read"),
            (["--keyframe", f.image], "is not FILE@SECONDS"),
            (["--connect", f.video], "--connect takes two videos"),
        ]
        for (arguments, expected) in cases {
            let message = Self.refusal(arguments)
            print("\(arguments.joined(separator: " ")): \(message)")
            #expect(message.contains(expected), "\(message)")
        }
    }
}

/// SHA-256 of a file, lowercase hex.
enum SHA256Hex {
    static func of(file: String) -> String {
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))).map(Array.init) ?? []
        return SHA256.hex(SHA256.hash(bytes))
    }
}
