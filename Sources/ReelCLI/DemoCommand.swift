import ArgumentParser
import Foundation
import Logging
import ReelCoordinator
import ReelFarm
import ReelModel
import ReelPlan

/// The README's run command: a whole farm on this machine renders a long clip.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a local farm, render a 10 s clip with the tiny model over several workers and windows, write the MP4.",
        discussion: """
            Runs `reel up` in this process (embedded PostgreSQL, the coordinator, --workers worker \
            processes), creates the tiny model (random weights: the clip shows structured noise, not \
            a scene) under DIR/models, submits a job through the HTTP API, waits, fetches the MP4 and \
            shuts everything down.
            """)

    @Option(help: "Working folder: the farm's data, models and logs.")
    var dir = ".reel/demo"
    @Option(help: "Where to write the clip (default: DIR/clip.mp4).")
    var output: String?
    @Option(help: "Worker processes.")
    var workers = 2
    @Option(help: "Clip length in seconds.")
    var seconds: Double = 10
    @Option(help: "Frame size WxH (multiples of 16).")
    var size = "128x128"
    @Option(help: "Sampling steps.")
    var steps = 20
    @Option(help: "Noise seed.")
    var seed: UInt64 = 42

    func validate() throws {
        guard (1 ... 16).contains(workers) else { throw ValidationError("--workers must be 1…16") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        if let output { try checkWritable(output) }
        guard JobOptions.FrameSize(argument: size) != nil else { throw ValidationError("--size must be WxH, like 128x128") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let frame = JobOptions.FrameSize(argument: size)!
        let models = (dir as NSString).appendingPathComponent("models")
        try DemoModel.ensureTiny(in: models)
        let server = try CoordinatorServerOptions.parse([
            "--data", (dir as NSString).appendingPathComponent("farm"), "--http", "127.0.0.1:0", "--listen", "tcp://127.0.0.1:*",
        ])
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / workers)
        let farm = try LocalFarmLauncher(server: server, workers: workers, models: models, threads: threads).farm()
        try farm.start()
        defer { farm.stop() }
        printErr("farm up: PostgreSQL, coordinator on \(farm.service.endpoint), \(workers) worker processes")
        let port = PortBox()
        let service = farm.service
        let serving = Task { try await service.serve { port.set($0) } }
        let api = try await port.wait()
        let client = CoordinatorClient(baseURL: URL(string: "http://127.0.0.1:\(api)")!)
        try await service.waitForWorkers(workers, timeout: .seconds(60))
        let request = JobRequest(
            name: "demo", model: DemoModel.name, prompt: "a paper boat drifting down a rain-soaked street at dusk",
            negativePrompt: "blurry, low quality", seconds: seconds, fps: 16, width: frame.width, height: frame.height,
            seed: seed, guidance: 5, plan: PlanConfig(window: 16, overlap: 4, steps: steps, blendEvery: 5))
        let id = try await client.submit(FarmAPI.SubmitRequest(request: request))
        let job = try await client.job(id)
        printErr("job \(id): \(job.frames) frames (\(seconds) s at 16 fps), \(job.width)x\(job.height), \(job.windows) windows, \(job.shardTotal) shards")
        let path = output ?? (dir as NSString).appendingPathComponent("clip.mp4")
        try await Waiting(client: client).wait(for: id, output: path)
        let workersSeen = try await client.workers().filter { $0.shardsDone > 0 }.count
        farm.stop()
        _ = try? await serving.value
        print(path)
        printErr("rendered by \(workersSeen) workers; state is in PostgreSQL under \(server.data)")
        printErr("next: reel up   ·   reel submit --model tiny --prompt \"…\" --seconds 20 --wait --output clip.mp4")
    }
}

/// The tiny preset as a farm model folder.
enum DemoModel {
    static let name = "tiny"

    static func ensureTiny(in models: String) throws {
        let path = (models as NSString).appendingPathComponent(name)
        if let folder = try? ModelFolder(path: path), folder.hasVAE { return }
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        printErr("creating the tiny model (random weights, with its VAE) in \(path)")
        let preset = ModelPreset.tiny
        try ModelFolder.create(at: path, transformer: preset.transformer, scheduler: preset.scheduler, vae: preset.vae, seed: 0)
    }
}

/// The HTTP port, once the server listens.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?

    func set(_ value: Int) { lock.withLock { port = value } }

    func wait() async throws -> Int {
        for _ in 0 ..< 600 {
            if let port = lock.withLock({ port }) { return port }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the HTTP API did not start within 30 s")
    }
}
