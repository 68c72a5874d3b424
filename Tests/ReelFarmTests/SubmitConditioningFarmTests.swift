import Foundation
import ReelCoordinator
import ReelHash
import ReelMedia
import Testing

/// `reel submit --image FILE` as a process against a `reel coordinator` process: the
/// image is uploaded once under its SHA-256 (`HEAD` then `PUT /v1/sources`), a second
/// submit finds it there, a file over `--max-source-bytes` is refused naming the flag,
/// and the job itself goes to the coordinator naming the digest.
@Suite(.serialized, .farmSlot) struct SubmitConditioningFarmTests {
    @Test func submitUploadsTheImageOnceThenPostsTheJob() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator(arguments: ["--max-source-bytes", "20000"])
        // A worker, so that the coordinator knows model "tiny" when the job arrives.
        try farm.startWorker("w1")
        try await farm.waitForWorkers(1)
        // A 64×64 picture of one colour (a small PNG) and 96×96 of noise (too big for 20,000 bytes).
        let image = farm.directory.appendingPathComponent("red.png")
        try ImageWriter.write(try RGBFrame(width: 64, height: 64, red: 200, green: 30, blue: 30), to: image)
        var generator = SystemRandomNumberGenerator()
        let noise = farm.directory.appendingPathComponent("noise.png")
        try ImageWriter.write(try RGBFrame(width: 96, height: 96, pixels: (0 ..< 96 * 96 * 3).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }), to: noise)
        let bytes = try Data(contentsOf: image)
        let digest = SHA256.hex(SHA256.hash(Array(bytes)))
        #expect(try await farm.client.hasSource(digest) == false)

        let job = ["submit", "--model", "tiny", "--prompt", "a kite", "--frames", "17", "--size", "64x64", "--steps", "4", "--blend-every", "2"]
        let first = try farm.cli(job + ["--image", image.path])
        print(first)
        #expect(first.contains("uploaded source \(image.path) (sha256 \(digest.prefix(12))…), \(bytes.count) B"), "\(first)")
        #expect(try await farm.client.hasSource(digest), "HEAD /v1/sources answers 200 once uploaded")
        let blob = URL(fileURLWithPath: farm.dataDirectory).appendingPathComponent("blobs/\(digest.prefix(2))/\(digest)")
        #expect(try Data(contentsOf: blob) == bytes, "the blob is the file's bytes")
        // The job after the upload: a coordinator that renders conditioning admits it; one
        // that does not yet refuses it, after the upload, as "valid but not rendered yet".
        let outcome = try #require(Self.jobOutcome(first), "\(first)")
        print("the coordinator's answer to the job: \(outcome)")
        if outcome.hasPrefix("admitted"), let id = Int64(outcome.dropFirst("admitted ".count)) {
            #expect(try await farm.client.job(id).id == id)
        } else {
            #expect(outcome.contains("valid but not rendered yet"), "\(outcome)")
        }

        // Again: found by HEAD, not sent again.
        let second = try farm.cli(job + ["--keyframe", "\(image.path)@0.5"])
        print(second)
        #expect(second.contains("source \(image.path) (sha256 \(digest.prefix(12))…): already on the coordinator") && !second.contains("uploaded source"))

        // Over the coordinator's limit: refused before the job, naming the file and the flag.
        let big = try farm.cli(job + ["--image", noise.path])
        print(big)
        #expect(big.contains("cannot upload '\(noise.path)'") && big.contains("--max-source-bytes") && !big.contains("uploaded source"), "\(big)")
    }

    /// What the coordinator did with the job after the upload: admitted it (its id, a
    /// number alone on a line) or refused it with its message. This branch's coordinator
    /// is checked for what it does today (see the README's Conditioning section).
    static func jobOutcome(_ log: String) -> String? {
        let lines = log.split(separator: "\n").map(String.init)
        if let id = lines.first(where: { Int64($0) != nil }) { return "admitted \(id)" }
        return lines.first { $0.contains("Error:") && $0.contains("conditioning") }
    }
}
