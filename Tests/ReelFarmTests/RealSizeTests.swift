import Foundation
import ReelCoordinator
import ReelMedia
import ReelPlan
import Testing

/// The farm at the size users render: Wan's native 832×480, a `reel coordinator`
/// process and two `reel worker` processes, as on a real farm. (The tiny model has
/// random weights; what this proves is the size: tensors, segments and memory.)
@Suite(.serialized, .farmSlot) struct RealSizeTests {
    @Test func renders832x480WithTwoWorkerProcessesWithinBounds() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-real-size-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let models = directory.appendingPathComponent("models").path
        try TestFarm.ensureModel(at: models)
        let coordinator = try ChildProcess(
            TestFarm.reelBinary,
            ["coordinator", "--data", directory.appendingPathComponent("data").path, "--http", "127.0.0.1:0", "--listen", "tcp://127.0.0.1:*"],
            log: directory.appendingPathComponent("coordinator.log"))
        defer { coordinator.stop() }
        let line = try await coordinator.waitForLine(containing: "the CLI to http://", timeout: .seconds(60))
        let endpoint = try #require(line.firstMatch(of: /workers connect to (\S+);/)).1
        let http = try #require(line.firstMatch(of: /the CLI to (http:\S+)/)).1
        let client = CoordinatorClient(baseURL: try #require(URL(string: String(http))))
        var workers: [ChildProcess] = []
        defer { for worker in workers { worker.stop() } }
        for name in ["rs-1", "rs-2"] {
            workers.append(
                try ChildProcess(
                    TestFarm.reelBinary, ["worker", "--coordinator", String(endpoint), "--models", models, "--name", name, "--threads", "1"],
                    log: directory.appendingPathComponent("\(name).log")))
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while try await client.health().workers < 2 {
            guard ContinuousClock.now < deadline else { throw APIError.unavailable("the workers did not register; see \(directory.path)") }
            try await Task.sleep(for: .milliseconds(200))
        }
        // 17 frames (5 latent), two windows of 4 latent frames, two step blocks.
        let request = JobRequest(
            name: "real size", model: "tiny", prompt: "a harbour at dusk", frames: 17, fps: 16, width: 832, height: 480, seed: 11,
            guidance: 1, plan: PlanConfig(window: 4, overlap: 2, steps: 2, blendEvery: 1))
        let id = try await client.submit(FarmAPI.SubmitRequest(request: request))
        var status = try await client.job(id)
        let finish = ContinuousClock.now + .seconds(900)
        while !["succeeded", "failed", "cancelled"].contains(status.state), ContinuousClock.now < finish {
            // The API answers while the job runs and decodes: each call goes through
            // the loop. (The loop's own pauses are checked below; this bound is loose
            // because the test process shares 2 cores with every suite running beside it.)
            let asked = ContinuousClock.now
            status = try await client.job(id)
            #expect(ContinuousClock.now - asked < .seconds(15), "the API took \(ContinuousClock.now - asked) to answer")
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(directory.path)")
        #expect(status.windows == 2)

        let health = try await client.health()
        #expect(health.reregistrations == 0, "workers registered again: the coordinator looked silent")
        #expect(health.longestLoopGapMs < 1000, "the loop paused for \(health.longestLoopGapMs) ms")
        let peak = try #require(coordinator.peakResidentBytes)
        #expect(peak < 512 << 20, "the coordinator peaked at \(peak >> 20) MiB")

        let video = try await client.video(id)
        let file = directory.appendingPathComponent("clip.mp4")
        try video.write(to: file)
        let reader = try VideoReader(url: file)
        #expect(reader.width == 832 && reader.height == 480)
        var frames = 0
        while try reader.nextFrame() != nil { frames += 1 }
        #expect(frames == 17, "the video has \(frames) of 17 frames")

        // A preview still per segment, shrunk to 320 pixels wide: 480 × 320 / 832 = 184.6, even → 184.
        let previews = try await client.previews(id)
        #expect(!previews.isEmpty && previews.first?.frameBegin == 0 && previews.last?.frameEnd == 17)
        for preview in previews {
            let jpeg = try await client.preview(id, chunk: preview.chunk)
            let picture = try PreviewImage.check(Array(jpeg), width: 320, height: 184)
            print("832×480 preview \(preview.chunk): \(jpeg.count) bytes, \(picture.width)×\(picture.height)")
        }

        // Intermediates are gone once read: shard outputs and segments. What stays is
        // the prompt embeddings, the finished latents, the video and its previews.
        let blobs = directory.appendingPathComponent("data/blobs")
        let kept = try FileManager.default.subpathsOfDirectory(atPath: blobs.path)
            .map { ($0 as NSString).lastPathComponent }.filter { $0.count == 64 }
        let latents = try #require(status.latentsSha256), videoSHA = try #require(status.videoSha256)
        #expect(Set(kept).isSuperset(of: [latents, videoSHA]))
        #expect(kept.count == 3 + previews.count, "blobs left: \(kept.sorted())")
    }
}

/// A child process with its output in a log file, spawned with `posix_spawn` and
/// reaped with `waitpid` by this type alone. (Foundation's `Process` learns of a
/// child's end from a descriptor the child inherits; a `reel coordinator` passes it
/// on to the PostgreSQL it starts, which outlives a SIGKILL of the coordinator, so
/// `Process` would never see that coordinator end.)
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    let log: URL
    private let lock = NSLock()
    private var exited = false

    /// `environment` is added to this process's own (a secret such as `REEL_TOKEN`
    /// goes there rather than on a command line, which `ps` shows).
    init(_ executable: String, _ arguments: [String], log: URL, environment: [String: String] = [:]) throws {
        self.log = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for entry in envp { free(entry) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard status == 0 else { throw APIError.unavailable("cannot start \(executable): \(String(cString: strerror(status)))") }
        pid = child
    }

    /// Whether the child still runs (reaping it if it ended).
    var isRunning: Bool {
        lock.withLock {
            guard !exited else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { exited = true }
            return !exited
        }
    }

    /// The first line of the log that contains `text`.
    func waitForLine(containing text: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let content = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = content.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            guard isRunning else { throw APIError.unavailable("the process exited: \(content.suffix(2000))") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw APIError.unavailable("no line with '\(text)' in \(log.path) within \(timeout)")
    }

    /// Peak resident memory (VmHWM) while running.
    var peakResidentBytes: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kib * 1024
    }

    /// Sends `signal` if the child still runs.
    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits up to `timeout` for the child to end; whether it did.
    @discardableResult
    func wait(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            guard ContinuousClock.now < deadline else { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    /// SIGTERM, then SIGKILL after 30 s.
    func stop() {
        signal(SIGTERM)
        if !wait(timeout: .seconds(30)) {
            signal(SIGKILL)
            wait(timeout: .seconds(10))
        }
    }
}
