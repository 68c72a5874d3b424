import Foundation
import Logging
import ReelCoordinator
import ReelPlan
import ReelWorker

/// `reel bench farm`: the farm alone, measured with the **simulated-time stand-in
/// model** (``SimulatedExecutor``): every step sleeps a fixed time, so the only real
/// work is the coordinator's (dispatch, transfer, blend, persist in PostgreSQL) and
/// efficiency = ideal time / actual time says how much of the workers' time the
/// farm wastes. The embedded PostgreSQL and ZeroMQ over loopback TCP are real.
public struct FarmBenchmark: Sendable {
    public var workers: Int
    /// At least this many shards (windows are added until the plan has them).
    public var shards: Int
    public var stepTime: Duration
    public var stepsPerBlock: Int
    public var blocks: Int

    public init(workers: Int = 8, shards: Int = 200, stepTime: Duration = .milliseconds(50), stepsPerBlock: Int = 5, blocks: Int = 4) {
        self.workers = workers
        self.shards = shards
        self.stepTime = stepTime
        self.stepsPerBlock = stepsPerBlock
        self.blocks = blocks
    }

    public struct Report: Codable, Sendable {
        public var model: String
        public var workers: Int
        public var shards: Int
        public var windows: Int
        public var shardSeconds: Double
        public var idealSeconds: Double
        public var actualSeconds: Double
        public var efficiency: Double
        /// The coordinator loop's own time per shard, in milliseconds.
        public var coordinatorMsPerShard: Double
    }

    /// The job: windows of 4 latent frames overlapping by 1, enough of them for `shards`.
    func request() -> JobRequest {
        let windows = max(1, (shards + blocks - 1) / blocks)
        let latentFrames = 3 * windows + 1
        let plan = PlanConfig(window: 4, overlap: 1, steps: stepsPerBlock * blocks, blendEvery: stepsPerBlock)
        return JobRequest(
            name: "bench farm (simulated)", model: SimulatedExecutor.modelName, prompt: "simulated",
            frames: (latentFrames - 1) * 4 + 1, fps: 16, width: 64, height: 64, seed: 1, guidance: 1, plan: plan)
    }

    public func run(dataDirectory: String, logger: Logger) async throws -> Report {
        var options = CoordinatorService.Options(dataDirectory: dataDirectory, httpPort: 0, listen: "tcp://127.0.0.1:*")
        options.config.dataDirectory = dataDirectory
        let service = CoordinatorService(options: options, logger: logger, videoSink: { NullVideoSink($0) })
        try service.start()
        defer { service.stop() }
        let stop = StopFlag()
        var threads: [Thread] = []
        let executor = SimulatedExecutor(stepTime: stepTime)
        for index in 1 ... workers {
            let config = WorkerConfig(coordinator: service.endpoint, name: "sim-\(index)", slots: 1, threads: 1)
            let worker = UncheckedBox(try Worker(config: config, executor: executor, logger: logger))
            let thread = Thread { try? worker.value.run { stop.isSet } }
            thread.start()
            threads.append(thread)
        }
        defer { stop.set() }
        try await service.waitForWorkers(workers, timeout: .seconds(30))
        let request = request()
        let plan = try request.makePlan(model: executor.geometry)
        let started = ContinuousClock.now
        let id = try await service.submit(FarmAPI.SubmitRequest(request: request))
        while true {
            let status = try await service.status(id)
            if status.state == "failed" || status.state == "cancelled" {
                throw CoordinatorError.storedJob(id: id, reason: "the benchmark job \(status.state): \(status.reason ?? "")")
            }
            if (status.shards["done"] ?? 0) == plan.shardCount { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let actual = ContinuousClock.now - started
        stop.set()
        service.stop()
        let statistics = service.loopStatistics
        let shardSeconds = Double(stepsPerBlock) * stepTime.realSeconds
        let ideal = Double(plan.shardCount) * shardSeconds / Double(workers)
        return Report(
            model: "\(SimulatedExecutor.modelName) (stand-in: \(Int(stepTime.realSeconds * 1000)) ms per step, no compute)",
            workers: workers, shards: plan.shardCount, windows: plan.windows.count, shardSeconds: shardSeconds,
            idealSeconds: ideal, actualSeconds: actual.realSeconds, efficiency: ideal / actual.realSeconds,
            coordinatorMsPerShard: statistics.shards > 0 ? statistics.busy.realSeconds * 1000 / Double(statistics.shards) : 0)
    }
}

/// Discards frames: the farm benchmark measures shards, not video encoding.
final class NullVideoSink: VideoSink {
    let path: String
    init(_ description: VideoDescription) { path = description.path }
    func write(frames: [Float], count n: Int, height: Int, width: Int) throws {}
    func finish() throws -> String {
        FileManager.default.createFile(atPath: path, contents: Data())
        return path
    }
    func abort() {}
}
