import Foundation
import Testing

@testable import ReelCLI

/// The farm commands' flags, through the real argument parsing.
@Suite struct FarmCommandTests {
    @Test func submitRejectsContradictoryOrMissingFlags() {
        for arguments in [
            [String](),
            ["--prompt", "a fox", "--prompt-embeds", "e.safetensors"],
            ["--prompt", "a fox", "--output", "clip.mp4"],
            ["--prompt", "a fox", "--frames", "81", "--seconds", "5"],
            ["--prompt", "a fox", "--coordinator", "localhost:8787"],
        ] {
            #expect(throws: (any Error).self, "\(arguments)") { _ = try SubmitCommand.parse(arguments) }
        }
    }

    @Test func submitBuildsTheRequestFromFlags() throws {
        let command = try SubmitCommand.parse([
            "--prompt", "a fox", "--model", "tiny", "--seconds", "10", "--size", "128x96", "--seed", "9", "--guidance", "3",
            "--window", "8", "--overlap", "2", "--steps", "10", "--blend-every", "5", "--priority", "2", "--name", "fox",
        ])
        let request = try command.makeSubmission().request
        #expect(request.model == "tiny" && request.prompt == "a fox" && request.seconds == 10)
        #expect(request.width == 128 && request.height == 96 && request.seed == 9 && request.guidance == 3)
        #expect(request.plan.window == 8 && request.plan.overlap == 2 && request.plan.steps == 10 && request.plan.blendEvery == 5)
        #expect(request.priority == 2 && request.name == "fox")
    }

    @Test func submitReadsAJobFileAndPromptFlagsFillIt() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("reel-job-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(
            """
            {"model": "tiny", "frames": 49, "fps": 16, "width": 64, "height": 64, "seed": 4, "guidance": 5, "priority": 0,
             "plan": {"window": 6, "overlap": 2, "loop": false, "steps": 4, "blend_every": 2, "blend_floor": 0.05}}
            """.utf8
        ).write(to: file)
        let request = try SubmitCommand.parse([file.path, "--prompt", "a storm"]).makeSubmission().request
        #expect(request.frames == 49 && request.plan.window == 6 && request.plan.blendEvery == 2 && request.seed == 4)
        #expect(request.prompt == "a storm")
        try Data("{\"model\": 3}".utf8).write(to: file)
        #expect(throws: (any Error).self) { try SubmitCommand.parse([file.path]).makeSubmission() }
    }

    @Test func serverAndWorkerFlagsAreChecked() {
        #expect(throws: (any Error).self) { _ = try CoordinatorServerOptions.parse(["--http", "8787"]) }
        #expect(throws: (any Error).self) { _ = try CoordinatorServerOptions.parse(["--db", "mysql://x"]) }
        #expect(throws: (any Error).self) { _ = try CoordinatorServerOptions.parse(["--listen", "http://x"]) }
        #expect(throws: (any Error).self) { _ = try WorkerCommand.parse(["--models", "/nonexistent-reel-models"]) }
        #expect(throws: (any Error).self) { _ = try WorkerCommand.parse(["--models", "/tmp", "--coordinator", "127.0.0.1:5555"]) }
        #expect(throws: (any Error).self) { _ = try UpCommand.parse(["--workers", "99"]) }
    }

    /// The admission flags reach the coordinator's limits, the rest keep their
    /// defaults, and a limit below 1 is refused naming its flag.
    @Test func admissionFlagsSetTheLimits() throws {
        let limits = try UpCommand.parse(["--max-frames", "481", "--max-side", "1280", "--max-prompt", "500"]).server.limits
        #expect(limits.admission.maxFrames == 481 && limits.admission.maxSide == 1280)
        #expect(limits.admission.maxPromptCharacters == 500)
        #expect(limits.admission.maxSteps == 1_000 && limits.admission.maxPriority == 1_000)
        #expect(try CoordinatorCommand.parse(["--max-shards", "7"]).server.limits.admission.maxShards == 7)
        #expect(try CoordinatorCommand.parse(["--lease-seconds", "15"]).server.serviceOptions().config.policy.leaseDuration == .seconds(15))
        #expect(try CoordinatorCommand.parse([]).server.serviceOptions().config.policy.leaseDuration == .seconds(60))
        #expect(throws: (any Error).self) { _ = try CoordinatorServerOptions.parse(["--lease-seconds", "5"]) }
        do {
            _ = try CoordinatorServerOptions.parse(["--max-pixels", "0"])
            Issue.record("--max-pixels 0 was accepted")
        } catch {
            #expect(CoordinatorServerOptions.message(for: error).contains("--max-pixels"))
        }
    }
}
