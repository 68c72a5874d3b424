import Foundation
import ReelCoordinator
import ReelFarm
import ReelHash
import ReelMedia
import Testing

/// `reel submit` with conditioning flags as a process against a farm of processes
/// (`reel coordinator`, two `reel worker`s with the tiny model at 64×64): the image is
/// uploaded once under its SHA-256 (`HEAD` then `PUT /v1/sources`), a second submit
/// finds it there, a file over `--max-source-bytes` is refused naming the flag, and
/// the jobs render; `--extend` and `--extend --backward` render clips whose output
/// holds the source's other frames joined before or after the new clip; `--connect`,
/// `--edit` and a job file naming its source by `"file"` render too.
@Suite(.serialized, .farmSlot) struct SubmitConditioningFarmTests {
    /// 17 frames at 64×64, windows of 3 latent frames overlapping by 1, 4 steps in two blocks, no guidance.
    static let job = [
        "submit", "--model", "tiny", "--prompt", "a kite", "--frames", "17", "--size", "64x64", "--window", "3", "--overlap", "1",
        "--steps", "4", "--blend-every", "2", "--guidance", "1",
    ]

    /// The job id `reel submit` printed (a number alone on a line), or nil with its error.
    static func jobID(_ log: String) -> Int64? {
        log.split(separator: "\n").lazy.compactMap { Int64($0) }.first
    }

    @Test func submitUploadsTheImageOnceAndTheJobsRender() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator(arguments: ["--max-source-bytes", "20000"])
        try farm.startWorker("w1")
        try farm.startWorker("w2")
        try await farm.waitForWorkers(2)
        // A 64×64 picture of one colour (a small PNG) and 96×96 of noise (too big for 20,000 bytes).
        let image = farm.directory.appendingPathComponent("red.png")
        try ImageWriter.write(try RGBFrame(width: 64, height: 64, red: 200, green: 30, blue: 30), to: image)
        var generator = SystemRandomNumberGenerator()
        let noise = farm.directory.appendingPathComponent("noise.png")
        try ImageWriter.write(try RGBFrame(width: 96, height: 96, pixels: (0 ..< 96 * 96 * 3).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }), to: noise)
        let bytes = try Data(contentsOf: image)
        let digest = SHA256.hex(SHA256.hash(Array(bytes)))
        #expect(try await farm.client.hasSource(digest) == false)

        let first = try farm.cli(Self.job + ["--image", image.path])
        print(first)
        #expect(first.contains("uploaded source \(image.path) (sha256 \(digest.prefix(12))…), \(bytes.count) B"), "\(first)")
        #expect(try await farm.client.hasSource(digest), "HEAD /v1/sources answers 200 once uploaded")
        let blob = URL(fileURLWithPath: farm.dataDirectory).appendingPathComponent("blobs/\(digest.prefix(2))/\(digest)")
        #expect(try Data(contentsOf: blob) == bytes, "the blob is the file's bytes")
        let id = try #require(Self.jobID(first), "\(first)")
        #expect(try await farm.client.job(id).id == id)

        // Again: found by HEAD, not sent again.
        let second = try farm.cli(Self.job + ["--keyframe", "\(image.path)@0.5"])
        print(second)
        #expect(second.contains("source \(image.path) (sha256 \(digest.prefix(12))…): already on the coordinator") && !second.contains("uploaded source"))
        let keyframed = try #require(Self.jobID(second), "\(second)")

        // Over the coordinator's limit: refused before the job, naming the file and the flag.
        let big = try farm.cli(Self.job + ["--image", noise.path])
        print(big)
        #expect(big.contains("cannot upload '\(noise.path)'") && big.contains("--max-source-bytes") && !big.contains("uploaded source"), "\(big)")
        #expect(Self.jobID(big) == nil)

        for job in [id, keyframed] {
            let status = try await farm.waitForEnd(job)
            #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        }
    }

    /// A 64×64 source at 16 fps, 33 frames of smooth gradients that move with the frame
    /// number. A 17-frame clip extends it with its last 9 frames pinned (24..<33): the
    /// output is source frames 0..<24, then the clip's 17; backward, the clip (its last 9
    /// frames the source's first 9), then source frames 9..<33.
    @Test func extendedClipsHoldTheirSourceJoined() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("w1")
        try farm.startWorker("w2")
        try await farm.waitForWorkers(2)
        let source = farm.directory.appendingPathComponent("source.mp4")
        let writer = try VideoWriter(url: source, width: 64, height: 64, fps: 16)
        for k in 0 ..< 33 {
            var frame = try RGBFrame(width: 64, height: 64)
            for y in 0 ..< 64 { for x in 0 ..< 64 { frame[x, y] = (UInt8(2 * x + 3 * k), UInt8(3 * y), UInt8(220 - 4 * k)) } }
            try writer.append(frame)
        }
        try writer.finish()
        func conformed(_ i: Int) throws -> [Float] {
            try MediaSourceReader.conform(url: source, kind: .video, width: 64, height: 64, fit: .crop, fps: 16, firstFrame: i, frameCount: 1).storage
        }

        for (flags, before, after) in [(["--extend", source.path], 0 ..< 24, 24 ..< 24), (["--extend", source.path, "--backward"], 0 ..< 0, 9 ..< 33)] {
            let log = try farm.cli(Self.job + flags)
            print(log)
            let id = try #require(Self.jobID(log), "\(log)")
            let status = try await farm.waitForEnd(id)
            #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
            let output = farm.directory.appendingPathComponent("extended-\(id).mp4")
            try await farm.client.video(id).write(to: output)
            let frames = try VideoReader(url: output).readAll()
            #expect(frames.count == before.count + 17 + after.count, "\(flags): \(frames.count) frames")
            guard frames.count == before.count + 17 + after.count else { continue }
            // The source's frames are there, as the workers conform them, within H.264's loss.
            var worst = Double.infinity
            for i in before { worst = min(worst, ExtendJoinTests.psnr(frames[i], try conformed(i))) }
            for i in after { worst = min(worst, ExtendJoinTests.psnr(frames[17 + i - after.lowerBound], try conformed(i))) }
            print("\(flags.joined(separator: " ")): \(frames.count) frames, source frames against the conformed source: PSNR ≥ \(String(format: "%.1f", worst)) dB")
            #expect(worst > 35)
        }

        // The other video modes render the clip alone: a transition from the source's last frame
        // to its first, and an edit of its first 17 frames; and a job file naming the source by "file".
        let jobFile = farm.directory.appendingPathComponent("job.json")
        try Data(
            """
            {"model": "tiny", "prompt": "a kite", "frames": 17, "fps": 16, "width": 64, "height": 64, "seed": 3, "guidance": 1, "priority": 0,
             "plan": {"window": 3, "overlap": 1, "loop": false, "steps": 4, "blend_every": 2, "blend_floor": 0.05},
             "conditioning": [{"source": {"kind": "video", "file": "source.mp4", "first_frame": 0, "frame_count": 17}, "frame": 0,
                               "mode": "start", "strength": 0.5}]}
            """.utf8
        ).write(to: jobFile)
        for arguments in [Self.job + ["--connect", source.path, source.path], Self.job + ["--edit", source.path, "--strength", "0.5"], ["submit", jobFile.path]] {
            let log = try farm.cli(arguments)
            print(log)
            #expect(log.contains("already on the coordinator") && !log.contains("uploaded source"), "\(log)")
            let id = try #require(Self.jobID(log), "\(log)")
            let status = try await farm.waitForEnd(id)
            #expect(status.state == "succeeded", "\(arguments): \(status.reason ?? "") — logs in \(farm.directory.path)")
            let output = farm.directory.appendingPathComponent("clip-\(id).mp4")
            try await farm.client.video(id).write(to: output)
            #expect(try VideoReader(url: output).readAll().count == 17, "\(arguments)")
        }
    }
}
