import Foundation
import Logging
import ReelCoordinator
import ReelPlan
import ReelWorker

/// `reel bench farm`: the farm alone at the size users render, measured with the
/// **simulated-time stand-in model** (``SimulatedExecutor``): every step sleeps a
/// fixed time and does no compute, but tensors have the real size (832×480 by
/// default), decode chunks come back as real H.264 segments, and the embedded
/// PostgreSQL, ZeroMQ over loopback TCP and the worker processes are real. So the
/// figures say what the coordinator costs: efficiency = ideal time ÷ actual time,
/// its time per shard, the longest pause of its loop, its peak memory (this
/// process: the workers are separate processes), and the bytes per shard.
public struct FarmBenchmark: Sendable {
    public var workers: Int
    public var width: Int
    public var height: Int
    public var seconds: Double
    public var stepTime: Duration
    public var stepsPerBlock: Int
    public var blocks: Int
    /// The `reel` executable the worker processes run.
    public var executable: String
    /// The share of shards re-run to check them (`reel coordinator --verify-fraction`); 0: none.
    public var verifyFraction = 0.0
    /// The nice value of the coordinator's heavy lanes (``CoordinatorConfig/heavyLaneNice``; 0: the default priority).
    public var heavyLaneNice: Int32 = CoordinatorConfig.defaultHeavyLaneNice
    /// The nice value the loop asks for (``CoordinatorConfig/loopNice``).
    public var loopNice: Int32 = CoordinatorConfig.defaultLoopNice

    public init(
        workers: Int = 8, width: Int = 832, height: Int = 480, seconds: Double = 60, stepTime: Duration = .seconds(1),
        stepsPerBlock: Int = 5, blocks: Int = 4, executable: String = LocalFarm.currentExecutable
    ) {
        self.workers = workers
        self.width = width
        self.height = height
        self.seconds = seconds
        self.stepTime = stepTime
        self.stepsPerBlock = stepsPerBlock
        self.blocks = blocks
        self.executable = executable
    }

    /// Why a benchmark run could not finish.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public struct Report: Codable, Sendable {
        public var model: String
        public var workers: Int
        public var size: String
        public var frames: Int
        public var shards: Int
        public var windows: Int
        public var decodeChunks: Int
        public var shardSeconds: Double
        public var idealSeconds: Double
        /// From submission until the last shard is done.
        public var actualSeconds: Double
        /// From submission until the video is stored.
        public var totalSeconds: Double
        public var efficiency: Double
        /// The coordinator loop's own time per shard, in milliseconds (wall time
        /// outside the socket wait: on a shared machine it includes waiting for a core).
        public var coordinatorMsPerShard: Double
        /// CPU time of the loop's thread per shard, in milliseconds, until the last shard.
        public var loopCpuMsPerShard: Double
        /// CPU time of the whole coordinator (loop, lanes, ZeroMQ's I/O thread) per
        /// shard, in milliseconds, from submission until the last shard.
        public var coordinatorCPUMsPerShard: Double
        /// CPU time per shard of each of the coordinator's threads (the loop, each
        /// lane, ZeroMQ's I/O thread, the HTTP server's threads as `other`), in
        /// milliseconds, from submission until the last shard.
        public var threadCPUMsPerShard: [String: Double]
        /// The busiest of the coordinator's threads and its CPU per shard: with a
        /// core for each thread, it bounds the shards per second one coordinator
        /// serves (1000 ÷ this), whatever the sum.
        public var busiestThread: String
        public var busiestThreadCPUMsPerShard: Double
        /// The coordinator's CPU per second while idle, with the workers connected
        /// and heartbeating and this benchmark polling as it does during the run,
        /// measured just before submission: the farm's fixed cost, which grows with
        /// the workers and the time, not with the shards.
        public var idleCPUMsPerSecond: Double
        /// Per shard beyond that fixed cost: what each shard itself costs (all
        /// threads, and the busiest thread), the figure that says how many shards a
        /// second one coordinator can serve.
        public var coordinatorCPUMsPerShardBeyondIdle: Double
        public var busiestThreadBeyondIdle: String
        public var busiestThreadCPUMsPerShardBeyondIdle: Double
        /// The longest gap between two turns of the coordinator's loop.
        public var longestLoopGapMs: Double
        /// This process's peak resident memory: the coordinator, its lanes and the HTTP API.
        public var coordinatorPeakRSSMiB: Double
        /// Bytes to and from workers per shard (assignments, results, segments).
        public var bytesPerShard: Double
        /// The verification fraction the coordinator ran with, and the re-runs it handed out.
        public var verifyFraction: Double
        public var reruns: Int
        /// Hellos from workers already registered during the run: 0 unless the loop
        /// stalled past a worker's heartbeat timeout (the storm #10 began with).
        public var reregistrations: Int
        public var heavyLaneNice: Int32
    }

    /// The job: Wan's 16 fps clip of `seconds` at `width`×`height`, windows of 21
    /// latent frames overlapping by 5 (Wan 2.1's defaults), `blocks` step blocks.
    func request() -> JobRequest {
        let frames = max(1, Int((seconds * 16).rounded())) / 4 * 4 + 1
        let plan = PlanConfig(window: 21, overlap: 5, steps: stepsPerBlock * blocks, blendEvery: stepsPerBlock)
        return JobRequest(
            name: "bench farm (simulated)", model: SimulatedExecutor.modelName, prompt: "simulated",
            frames: frames, fps: 16, width: width, height: height, seed: 1, guidance: 1, plan: plan)
    }

    public func run(dataDirectory: String, logger: Logger) async throws -> Report {
        var options = CoordinatorService.Options(dataDirectory: dataDirectory, httpPort: 0, listen: "tcp://127.0.0.1:*")
        options.config.dataDirectory = dataDirectory
        options.config.preset = "ultrafast"
        options.config.verification = VerificationPolicy(fraction: verifyFraction)
        options.config.heavyLaneNice = heavyLaneNice
        options.config.loopNice = loopNice
        let service = CoordinatorService(options: options, logger: logger)
        try service.start()
        defer { service.stop() }
        var children: [Process] = []
        defer {
            for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL) }
        }
        let stepMs = Int(stepTime.realSeconds * 1000)
        for index in 1 ... workers {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "worker", "--coordinator", service.endpoint, "--name", "sim-\(index)", "--threads", "1", "--simulated-step-ms", "\(stepMs)",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            children.append(process)
        }
        try await service.waitForWorkers(workers, timeout: .seconds(60))
        let request = request()
        let geometry = SimulatedExecutor(stepTime: stepTime).geometry
        let plan = try request.makePlan(model: geometry)
        let idle = try await idleCost(service: service)
        let started = ContinuousClock.now
        let startHealth = try await service.health()
        let startCPU = CPUTime.process, startLoopCPU = startHealth.loopCpuMs
        let startThreads = CPUTime.byThreadName()
        var threadsCPU: [String: Duration] = [:]
        let id = try await service.submit(FarmAPI.SubmitRequest(request: request))
        var shardsDone: ContinuousClock.Instant?
        var shardsCPU = Duration.zero, shardsLoopCPUMs = 0.0
        var chunks = 0
        while true {
            let status = try await service.status(id)
            if status.state == "failed" || status.state == "cancelled" {
                throw Failure(description: "the benchmark's job \(id) \(status.state): \(status.reason ?? "no reason given")")
            }
            if shardsDone == nil, (status.shards["done"] ?? 0) == plan.shardCount {
                shardsDone = .now
                shardsCPU = CPUTime.process - startCPU
                threadsCPU = Self.threadCPU(since: startThreads)
                shardsLoopCPUMs = try await service.health().loopCpuMs - startLoopCPU
            }
            if status.state == "succeeded" {
                chunks = status.decodeChunkStates?.values.reduce(0, +) ?? 0
                break
            }
            // Each status is three queries on the loop's connection: poll gently.
            try await Task.sleep(for: .milliseconds(100))
        }
        let finished = ContinuousClock.now
        let reregistrations = try await service.health().reregistrations - startHealth.reregistrations
        for child in children where child.isRunning { kill(child.processIdentifier, SIGTERM) }
        for child in children { child.waitUntilExit() }
        service.stop()
        let statistics = service.loopStatistics
        let shardSeconds = Double(stepsPerBlock) * stepTime.realSeconds
        // The farm cannot beat either bound: each worker runs one shard at a time,
        // so N equal shards on W workers take ⌈N ÷ W⌉ rounds; and the dependency
        // chain (one shard per block, each after its neighbours).
        let rounds = (plan.shardCount + workers - 1) / workers
        let ideal = Double(max(rounds, plan.graphDepth)) * shardSeconds
        let actual = ((shardsDone ?? finished) - started).realSeconds
        let shards = Double(max(plan.shardCount, 1))
        let perThread = threadsCPU.mapValues { $0.realSeconds * 1000 / shards }
        let busiest = perThread.filter { $0.key != "other" }.max { $0.value < $1.value }
        let beyondIdle = perThread.map { name, ms in (name, ms - (idle.threads[name] ?? 0) * actual / shards) }
        let busiestBeyondIdle = beyondIdle.filter { $0.0 != "other" }.max { $0.1 < $1.1 }
        return Report(
            model: "\(SimulatedExecutor.modelName) (stand-in: \(stepMs) ms per step, no compute)",
            workers: workers, size: "\(width)x\(height)", frames: plan.geometry.job.frames, shards: plan.shardCount,
            windows: plan.windows.count, decodeChunks: chunks, shardSeconds: shardSeconds, idealSeconds: ideal,
            actualSeconds: actual, totalSeconds: (finished - started).realSeconds, efficiency: ideal / actual,
            coordinatorMsPerShard: statistics.shardsCompleted > 0
                ? statistics.busy.realSeconds * 1000 / Double(statistics.shardsCompleted) : 0,
            loopCpuMsPerShard: shardsLoopCPUMs / Double(max(plan.shardCount, 1)),
            coordinatorCPUMsPerShard: shardsCPU.realSeconds * 1000 / Double(max(plan.shardCount, 1)),
            threadCPUMsPerShard: perThread, busiestThread: busiest?.key ?? "", busiestThreadCPUMsPerShard: busiest?.value ?? 0,
            idleCPUMsPerSecond: idle.total,
            coordinatorCPUMsPerShardBeyondIdle: (shardsCPU.realSeconds * 1000 - idle.total * actual) / shards,
            busiestThreadBeyondIdle: busiestBeyondIdle?.0 ?? "", busiestThreadCPUMsPerShardBeyondIdle: busiestBeyondIdle?.1 ?? 0,
            longestLoopGapMs: statistics.longestGap.realSeconds * 1000,
            coordinatorPeakRSSMiB: Double(peakResidentBytes()) / 1_048_576,
            bytesPerShard: Double(statistics.bytesIn + statistics.bytesOut) / Double(max(plan.shardCount, 1)),
            verifyFraction: verifyFraction, reruns: statistics.reruns, reregistrations: reregistrations, heavyLaneNice: heavyLaneNice)
    }
}

extension FarmBenchmark {
    /// The coordinator's CPU per second (all threads, and by thread role) over a
    /// few idle seconds with the workers connected, asked for its health at the
    /// rate the run asks for the job's status.
    func idleCost(service: CoordinatorService) async throws -> (total: Double, threads: [String: Double]) {
        let window = Duration.seconds(3)
        try await Task.sleep(for: .milliseconds(500))
        let startCPU = CPUTime.process, startThreads = CPUTime.byThreadName(), started = ContinuousClock.now
        var answered = 0
        while ContinuousClock.now - started < window {
            if try await service.health().ok { answered += 1 }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard answered > 0 else { throw Failure(description: "the coordinator was not healthy while idle (see its log: REEL_LOG=warning)") }
        let seconds = (ContinuousClock.now - started).realSeconds
        let total = (CPUTime.process - startCPU).realSeconds * 1000 / seconds
        return (total, Self.threadCPU(since: startThreads).mapValues { $0.realSeconds * 1000 / seconds })
    }

    /// The coordinator's threads by role: the loop and the lanes (every thread
    /// the coordinator names `reel-…`) and ZeroMQ's I/O threads by name; everything
    /// else (the HTTP server, this benchmark's polling, the runtime) as `other`.
    static func threadCPU(since start: [String: Duration]) -> [String: Duration] {
        var result: [String: Duration] = [:]
        for (name, total) in CPUTime.byThreadName() {
            let used = total - (start[name] ?? .zero)
            // ZeroMQ's I/O threads are ZMQbg/IO/0, /1, … (one per `zmqIOThreads`).
            let role = name.hasPrefix("reel-") || name.hasPrefix("ZMQbg/IO/")
            result[role ? name : "other", default: .zero] += used
        }
        return result
    }
}

/// This process's peak resident memory so far, in bytes.
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024
}
