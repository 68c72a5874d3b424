import Foundation
import Logging
import ReelCoordinator
import ReelFarm
import ReelMedia
import ReelModel
import ReelPlan
import ReelTensor
import ReelWorker

/// A real farm inside the test process: the embedded PostgreSQL, the coordinator
/// loop, ZeroMQ over loopback TCP, and worker loops on threads running the tiny
/// model (random weights) with its VAE.
final class TestFarm: @unchecked Sendable {
    let directory: URL
    let models: String
    private(set) var service: CoordinatorService
    let options: CoordinatorService.Options
    private var workers: [(stop: StopFlag, thread: Thread)] = []
    private var processes: [Process] = []

    init(listen: String = "tcp://127.0.0.1:*", configure: (inout CoordinatorService.Options) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-farm-test-\(UUID().uuidString.prefix(8))")
        models = directory.appendingPathComponent("models").path
        try Self.ensureModel(at: models)
        var options = CoordinatorService.Options(
            dataDirectory: directory.appendingPathComponent("data").path, httpPort: 0, listen: listen)
        options.config.heartbeatTimeout = .seconds(2)
        options.config.preset = "ultrafast"
        configure(&options)
        var logger = Logger(label: "reel.test.farm")
        logger.logLevel = Self.logLevel
        self.options = options
        service = CoordinatorService(options: options, logger: logger)
        try service.start()
    }

    /// A new coordinator on the same data directory (and database), bound to `listen`
    /// so the running workers reconnect to it.
    func restartService(listen: String, configure: (inout CoordinatorService.Options) -> Void = { _ in }) throws -> CoordinatorService {
        var options = self.options
        options.config.listen = listen
        configure(&options)
        var logger = Logger(label: "reel.test.farm")
        logger.logLevel = .error
        service = CoordinatorService(options: options, logger: logger)
        try service.start()
        return service
    }

    /// `REEL_TEST_LOG=info swift test …` shows the farm's logs; errors only by default.
    static var logLevel: Logger.Level {
        ProcessInfo.processInfo.environment["REEL_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .error
    }

    /// The tiny preset with its VAE, made once per test process and copied.
    static func ensureModel(at models: String) throws {
        let shared = FileManager.default.temporaryDirectory.appendingPathComponent("reel-farm-test-model-\(getpid())").path
        if !FileManager.default.fileExists(atPath: shared + "/tiny/vae/config.json") {
            let preset = ModelPreset.tiny
            try ModelFolder.create(
                at: shared + "/tiny", transformer: preset.transformer, scheduler: preset.scheduler, vae: preset.vae, seed: 0)
        }
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: models + "/tiny", withDestinationPath: shared + "/tiny")
    }

    /// Starts a worker loop on its own thread; `executor` defaults to the real engine,
    /// `encoder` to libav's, `coordinator` to this farm's endpoint (another one: a proxy in between).
    @discardableResult
    func addWorker(
        name: String, executor: (any ShardExecutor)? = nil, encoder: (any ChunkEncoder)? = nil, slots: Int = 1, coordinator: String? = nil,
        heartbeatTimeout: Duration = .seconds(2)
    ) throws -> StopFlag {
        let stop = StopFlag()
        var logger = Logger(label: "reel.test.worker")
        logger.logLevel = Self.logLevel
        var config = WorkerConfig(
            coordinator: coordinator ?? service.endpoint, name: name, slots: slots, threads: 1, heartbeatTimeout: heartbeatTimeout)
        // As `reel worker` does: it encodes conditioning sources.
        config.sourceReader = MediaSourceReader()
        let worker = Box(
            try Worker(config: config, executor: executor ?? ModelExecutor(directory: models), encoder: encoder ?? MediaChunkEncoder(), logger: logger))
        let thread = Thread { try? worker.value.run { stop.isSet } }
        thread.start()
        workers.append((stop, thread))
        return stop
    }

    /// Starts `reel worker` (the binary next to the test bundle) as a child process.
    func spawnWorkerProcess(name: String, wrapper: [String] = [], coordinator: String? = nil, extraArguments: [String] = []) throws -> Process {
        let process = Process()
        let binary = Self.reelBinary
        let arguments = [
            "worker", "--coordinator", coordinator ?? service.endpoint, "--models", models, "--name", name, "--threads", "1",
        ] + extraArguments
        if let launcher = wrapper.first {
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = Array(wrapper.dropFirst()) + [binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        let log = directory.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        processes.append(process)
        return process
    }

    /// `.build/<config>/reel`, built by `swift build` beside the test bundle.
    static var reelBinary: String {
        var url = Bundle.main.bundleURL
        for _ in 0 ..< 4 where !FileManager.default.fileExists(atPath: url.appendingPathComponent("reel").path) {
            url.deleteLastPathComponent()
        }
        return url.appendingPathComponent("reel").path
    }

    func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw APIError.unavailable("condition not met within \(timeout)")
    }

    /// Submits and waits for the job to end; returns its final status.
    func run(_ request: JobRequest, timeout: Duration = .seconds(240)) async throws -> FarmAPI.JobStatus {
        try await service.waitForWorkers(workers.count, timeout: .seconds(60))
        let id = try await service.submit(FarmAPI.SubmitRequest(request: request))
        return try await wait(id, timeout: timeout)
    }

    func wait(_ id: Int64, timeout: Duration = .seconds(240)) async throws -> FarmAPI.JobStatus {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let status = try await service.status(id)
            if ["succeeded", "failed", "cancelled"].contains(status.state) { return status }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw APIError.unavailable("job \(id) did not finish within \(timeout)")
    }

    /// The workers as `GET /v1/workers` lists them.
    func workerStatuses() async throws -> [FarmAPI.WorkerStatus] {
        guard case .workers(let workers) = try await service.mailbox.send(.workers).get() else { return [] }
        return workers
    }

    func stop() {
        for worker in workers { worker.stop.set() }
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        service.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A job of several windows on the tiny model: 49 frames (13 latent) at 64×64,
    /// windows of 6 latent frames overlapping by 2, 4 steps in blocks of 2.
    static func request(seed: UInt64 = 7, frames: Int = 49, window: Int = 6) -> JobRequest {
        JobRequest(
            name: "test", model: "tiny", prompt: "a lighthouse in a storm", negativePrompt: "blurry", frames: frames, fps: 16,
            width: 64, height: 64, seed: seed, guidance: 5,
            plan: PlanConfig(window: window, overlap: 2, steps: 4, blendEvery: 2))
    }
}

struct Box<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

