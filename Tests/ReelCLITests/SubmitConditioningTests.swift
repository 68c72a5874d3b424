import ArgumentParser
import Foundation
import ReelCoordinator
import ReelPlan
import Testing

@testable import ReelCLI

/// `reel submit`'s conditioning: the flags and a job file's `file` keys become the
/// request's items naming digests, with the files to upload; and the uploader sends
/// each digest once, only when the coordinator lacks it.
@Suite struct SubmitConditioningTests {
    static func submission(_ arguments: [String]) throws -> (submission: FarmAPI.SubmitRequest, sources: [LocalSource]) {
        try SubmitCommand.parse(arguments).makeSubmissionWithSources()
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return SubmitCommand.message(for: error) }
        return "accepted"
    }

    @Test func flagsBecomeItemsNamingDigestsAndFilesToUpload() throws {
        let f = try ConditioningOptionsTests.files()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let digest = SHA256Hex.of(file: f.image), video = SHA256Hex.of(file: f.video)
        // A model this machine does not know ("tiny", a worker's folder): Wan's stride 4, 2 s at 16 fps = frame 32.
        let image = try Self.submission(["--model", "tiny", "--prompt", "a kite", "--seconds", "5", "--image", f.image, "--at", "2", "--fit", "pad"])
        #expect(image.submission.request.conditioning == [ConditioningItem(source: ConditioningSource(kind: .image, digest: digest), frame: 32, fit: .pad)])
        #expect(image.sources == [LocalSource(file: f.image, digest: digest)])
        // The same file twice is one source to upload per item; the uploader sends it once.
        let both = try Self.submission(["--model", "tiny", "--prompt", "a kite", "--seconds", "5", "--keyframe", "\(f.image)@0", "--keyframe", "\(f.image)@4"])
        #expect(both.submission.request.conditioning?.map(\.frame) == [0, 64])
        #expect(Set(both.sources.map(\.digest)) == [digest])
        // Extend on a known model: 41 of the video's 95 frames at 16 fps, pinned at frame 0; plan-checked here.
        let extend = try Self.submission(["--model", "wan2.1-1.3b", "--prompt", "a kite", "--seconds", "5", "--extend", f.video])
        let item = try #require(extend.submission.request.conditioning?.first)
        #expect(item.source == ConditioningSource(kind: .video, digest: video, firstFrame: 95 - 41, frameCount: 41) && item.frame == 0)
        #expect(item.join == true, "the output holds the source and the new clip")
        // No flags: no conditioning, nothing to upload.
        let plain = try Self.submission(["--model", "tiny", "--prompt", "a kite"])
        #expect(plain.submission.request.conditioning == nil && plain.sources.isEmpty)
    }

    @Test func badFilesAndCombinationsAreRefusedNamingThem() throws {
        let f = try ConditioningOptionsTests.files()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let base = ["--model", "wan2.1-1.3b", "--prompt", "a kite", "--seconds", "5"]
        let cases: [([String], String)] = [
            (["--image", f.corrupt], "'\(f.corrupt)' is not a readable image (PNG or JPEG)"),
            (["--extend", f.image], "'\(f.image)' is not a readable video (MP4)"),
            (["--image", f.dir.appendingPathComponent("missing.png").path], "cannot read '\(f.dir.appendingPathComponent("missing.png").path)'"),
            (["--keyframe", "\(f.image)@9"], "outside the clip's 0..<21"),
            (["--image", f.image, "--edit", f.video, "--strength", "0.5"], "cannot be combined with --image"),
            (["--edit", f.video, "--strength", "1.5"], "--strength in (0, 1]"),
        ]
        for (arguments, expected) in cases {
            let message = Self.message { _ = try Self.submission(base + arguments) }
            print("\(arguments.joined(separator: " ")): \(message)")
            #expect(message.contains(expected), "\(message)")
        }
    }

    @Test func jobFileSourcesNamedByFileAreResolvedToDigests() throws {
        let f = try ConditioningOptionsTests.files()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let digest = SHA256Hex.of(file: f.image)
        func jobFile(_ source: String, name: String = "job.json") throws -> String {
            let url = f.dir.appendingPathComponent(name)
            // The largest seed survives the rewrite of the file's JSON.
            try Data(
                """
                {"model": "tiny", "prompt": "a kite", "frames": 33, "fps": 16, "width": 64, "height": 64, "seed": 18446744073709551615,
                 "guidance": 1, "priority": 0, "plan": {"window": 5, "overlap": 2, "loop": false, "steps": 4, "blend_every": 2, "blend_floor": 0.05},
                 "conditioning": [{"source": \(source), "frame": 0, "mode": "pin"},
                                  {"source": {"kind": "image", "digest": "\(String(repeating: "a", count: 64))"}, "frame": 32, "mode": "pin"}]}
                """.utf8
            ).write(to: url)
            return url.path
        }
        // Relative to the job file's folder; "file" dropped, "digest" filled in; a digest-only item passes as it is.
        let resolved = try Self.submission([try jobFile("{\"kind\": \"image\", \"file\": \"still.png\"}")])
        let request = resolved.submission.request
        #expect(request.seed == UInt64.max && request.plan.blendFloor == 0.05 && request.frames == 33)
        #expect(request.conditioning?.map(\.source.digest) == [digest, String(repeating: "a", count: 64)])
        #expect(resolved.sources == [LocalSource(file: f.dir.appendingPathComponent("still.png").path, digest: digest)])
        // A matching digest beside the file is fine; a different one, a corrupt file or a missing one is refused.
        #expect(try Self.submission([try jobFile("{\"kind\": \"image\", \"file\": \"still.png\", \"digest\": \"\(digest)\"}")]).sources.count == 1)
        let cases: [(String, String)] = [
            ("{\"kind\": \"image\", \"file\": \"still.png\", \"digest\": \"\(String(repeating: "b", count: 64))\"}", "but its file"),
            ("{\"kind\": \"image\", \"file\": \"broken.png\"}", "is not a readable image (PNG or JPEG)"),
            ("{\"kind\": \"video\", \"file\": \"still.png\", \"first_frame\": 0, \"frame_count\": 5}", "is not a readable video (MP4)"),
            ("{\"kind\": \"image\", \"file\": \"nowhere.png\"}", "cannot read '\(f.dir.appendingPathComponent("nowhere.png").path)'"),
            ("{\"kind\": \"image\", \"file\": 7}", "must be a path"),
        ]
        for (source, expected) in cases {
            let message = Self.message { _ = try Self.submission([try jobFile(source)]) }
            print("\(source): \(message)")
            #expect(message.contains(expected), "\(message)")
        }
    }

    /// A destination that records calls and holds what was put (the real route is
    /// tested through a coordinator process in ReelFarmTests).
    final class Recorder: SourceDestination, @unchecked Sendable {
        var held: Set<String>
        var calls: [String] = []
        var refuse: CoordinatorClient.SourceUploadFailure?
        init(held: Set<String> = [], refuse: CoordinatorClient.SourceUploadFailure? = nil) {
            self.held = held
            self.refuse = refuse
        }
        func hasSource(_ digest: String) async throws -> Bool {
            calls.append("HEAD \(digest.prefix(4))")
            return held.contains(digest)
        }
        func uploadSource(_ digest: String, bytes: Data) async throws -> CoordinatorClient.UploadedSource {
            calls.append("PUT \(digest.prefix(4)) \(bytes.count)")
            if let refuse { throw refuse }
            held.insert(digest)
            return .init(sha256: digest, bytes: bytes.count)
        }
    }

    @Test func eachMissingDigestIsUploadedOnceWithALine() async throws {
        let f = try ConditioningOptionsTests.files()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let image = LocalSource(file: f.image, digest: SHA256Hex.of(file: f.image))
        let video = LocalSource(file: f.video, digest: SHA256Hex.of(file: f.video))
        let imageBytes = try Data(contentsOf: URL(fileURLWithPath: f.image)).count
        let recorder = Recorder(held: [video.digest])
        nonisolated(unsafe) var lines = ""
        let uploader = SourceUploader(destination: recorder, isTerminal: false, write: { lines += $0 })
        let outcomes = try await uploader.ensure([image, video, image])
        #expect(outcomes.map(\.outcome) == [.uploaded(bytes: imageBytes), .present])
        #expect(recorder.calls == ["HEAD \(image.digest.prefix(4))", "PUT \(image.digest.prefix(4)) \(imageBytes)", "HEAD \(video.digest.prefix(4))"])
        print(lines)
        #expect(lines.split(separator: "\n").count == 2 && lines.contains("uploaded source \(f.image)") && lines.contains("already on the coordinator"))
        #expect(!lines.contains("\r"))
        // On a terminal the upload's line is redrawn in place when it ends.
        lines = ""
        _ = try await SourceUploader(destination: Recorder(), isTerminal: true, write: { lines += $0 }).ensure([image])
        #expect(lines.hasPrefix("uploading source \(f.image)") && lines.contains("\r\u{1B}[Kuploaded source") && lines.hasSuffix("\n"))
    }

    @Test func refusedUploadsSayWhatToDo() async throws {
        let f = try ConditioningOptionsTests.files()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let image = LocalSource(file: f.image, digest: SHA256Hex.of(file: f.image))
        let cases: [(CoordinatorClient.SourceUploadFailure, String)] = [
            (.noRoute(coordinator: "http://127.0.0.1:1", status: 404), "upgrade it"),
            (.tooLarge(bytes: 10, message: "over 5 bytes"), "--max-source-bytes"),
        ]
        for (failure, expected) in cases {
            let message: String
            do {
                _ = try await SourceUploader(destination: Recorder(refuse: failure), isTerminal: false, write: { _ in }).ensure([image])
                message = "accepted"
            } catch { message = "\(error)" }
            print(message)
            #expect(message.contains("cannot upload '\(f.image)'") && message.contains(expected), "\(message)")
        }
        // A file changed after it was read is not sent under its old digest.
        let stale = LocalSource(file: f.image, digest: String(repeating: "c", count: 64))
        let recorder = Recorder()
        await #expect(throws: SubmitError.self) { try await SourceUploader(destination: recorder, isTerminal: false, write: { _ in }).ensure([stale]) }
        #expect(!recorder.calls.contains { $0.hasPrefix("PUT") })
    }
}
