import ArgumentParser
import Foundation
import Logging
import ReelFarm
import ReelPlan
import ReelWorker

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: denoise shards and decode chunks for a coordinator.",
        discussion: "It connects out to the coordinator, so it needs no inbound port. SIGTERM finishes (or hands back) the running shard and says goodbye.")

    @Option(help: "The coordinator's ZeroMQ endpoint, tcp://HOST:PORT.")
    var coordinator: String = "tcp://127.0.0.1:5555"

    @Option(help: "Directory with one model folder (diffusers layout) per model, named by folder.")
    var models: String = ""

    @Option(help: ArgumentHelp(
        "Run the simulated-time stand-in model 'simulated' instead of real models: each step sleeps this many milliseconds (for `reel bench farm`).",
        visibility: .hidden))
    var simulatedStepMs: Int?

    @Option(help: "Worker name, unique in the farm (default: host-pid).")
    var name: String?

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(help: "Shards run at once.")
    var slots: Int = 1

    @Flag(help: "Do not encode prompts (leave them to workers with the memory for the text encoder).")
    var noPromptEncoding = false
    @Option(help: ArgumentHelp(
        "Memory this worker may use, in GiB (default: the machine's, or its cgroup's limit). A model's text encoder is encoded here only if it fits beside the model's transformer and VAE.",
        valueName: "GIB"))
    var memoryLimit: Double?
    @Option(name: .customLong("pool"), help: ArgumentHelp(
        "A pool this worker belongs to (GPU class, trust level, site); repeat for several. It takes only jobs that require one of its pools or none.",
        valueName: "NAME"))
    var pools: [String] = []

    // A test fault (see TestFaultPoisoningExecutor): hidden, and refused unless
    // REEL_TEST_FAULTS=poison-results is set too, so no production command line
    // can turn it on by a typo or a copied flag alone.
    @Option(help: ArgumentHelp("Test fault: return finite but wrong latents for this share of shards.", visibility: .private))
    var poisonResults: Double?
    @Option(help: ArgumentHelp("Test fault: cut the first COUNT decode segments in half.", visibility: .private))
    var truncateSegments: Int?
    @OptionGroup(title: "Authentication (CURVE)")
    var curve: WorkerCurveOptions
    @Option(help: "Serve this worker's Prometheus /metrics (step time, CPU, model cache) on [HOST:]PORT; a bare port listens on 127.0.0.1 only.")
    var metricsListen: String?

    func validate() throws {
        guard coordinator.hasPrefix("tcp://") || coordinator.hasPrefix("ipc://") else {
            throw ValidationError("--coordinator '\(coordinator)' is not a ZeroMQ endpoint like tcp://10.0.0.5:5555")
        }
        try curve.check(coordinator: coordinator)
        if let simulatedStepMs {
            guard (1 ... 100_000).contains(simulatedStepMs) else { throw ValidationError("--simulated-step-ms must be 1…100000") }
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: models, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--models '\(models)' is not a directory; create model folders with `reel model init --preset tiny --out \(models)/tiny`")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let memoryLimit, !(memoryLimit > 0 && memoryLimit < 1_048_576) {
            throw ValidationError("--memory-limit must be a size in GiB above 0, like 24 or 11.5")
        }
        guard (1 ... 64).contains(slots) else { throw ValidationError("--slots must be 1…64") }
        for pool in pools where !JobRequest.isPoolName(pool) {
            throw ValidationError("--pool '\(pool)' is not a pool name: use letters, digits, '-', '_' and '.', like gpu-a100 or site-paris")
        }
        if let poisonResults {
            try Self.requireTestFault("--poison-results", TestFaultPoisoningExecutor.environmentValue)
            guard (0 ... 1).contains(poisonResults) else { throw ValidationError("--poison-results must be 0…1") }
        }
        // A hold that cannot take effect would let a test race instead of failing.
        let environment = ProcessInfo.processInfo.environment
        let faults = TestFaults(environment[TestFaults.environmentKey])
        if faults.mentions(TestFaultPoisoningExecutor.holdFault) {
            guard poisonResults != nil,
                TestFaultPoisoningExecutor.hold(faults: faults, release: environment[TestFaultPoisoningExecutor.holdReleaseKey]) != nil
            else {
                throw ValidationError(
                    "the test fault \(TestFaultPoisoningExecutor.holdFault):K needs --poison-results, a step K ≥ 0 and "
                        + "\(TestFaultPoisoningExecutor.holdReleaseKey) naming the file that releases the hold")
            }
        }
        if let truncateSegments {
            try Self.requireTestFault("--truncate-segments", TestFaultTruncatingEncoder.environmentValue)
            guard truncateSegments >= 0 else { throw ValidationError("--truncate-segments must be at least 0") }
        }
        if let metricsListen, Self.address(metricsListen) == nil {
            throw ValidationError("--metrics-listen '\(metricsListen)' is not [HOST:]PORT, e.g. 9102 or 0.0.0.0:9102")
        }
    }

    /// A test fault runs only when the environment names it too
    /// (REEL_TEST_FAULTS=poison-results,truncate-segments).
    static func requireTestFault(_ flag: String, _ name: String) throws {
        let key = TestFaults.environmentKey
        guard TestFaults(ProcessInfo.processInfo.environment[key]).contains(name) else {
            throw ValidationError("\(flag) is a test fault; it needs \(key)=\(name) in the environment")
        }
    }

    /// The models whose text encoder would not fit beside their shards, and why.
    static func promptEncodingRefusals(_ models: ModelExecutor, limitBytes: Int) throws -> [String: String] {
        var refusals: [String: String] = [:]
        for model in try models.models() {
            guard let memory = try models.promptEncodingMemory(model: model.name, limitBytes: limitBytes) else { continue }
            if let refusal = memory.refusal { refusals[model.name] = refusal }
        }
        return refusals
    }

    /// `[HOST:]PORT` as host and port; a bare port is loopback, so metrics are not
    /// exposed beyond the machine unless asked.
    static func address(_ text: String) -> (host: String, port: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let last = parts.last, let port = Int(last), (0 ... 65535).contains(port) else { return nil }
        let host = parts.count > 1 ? parts.dropLast().joined(separator: ":") : "127.0.0.1"
        return host.isEmpty ? nil : (host, port)
    }

    func run() throws {
        let stop = StopFlag()
        Signals.install(setting: stop)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "worker"
        var config = WorkerConfig(
            coordinator: coordinator, name: name ?? "\(host)-\(getpid())", slots: slots,
            threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        config.encodesPrompts = !noPromptEncoding
        config.pools = pools
        config.curve = try curve.settings()
        config.insecurePlaintext = curve.insecurePlaintext
        // Conditioning sources are read through libav (the worker itself does not link it).
        config.sourceReader = MediaSourceReader()
        let models = simulatedStepMs == nil ? ModelExecutor(directory: self.models) : nil
        if let models, config.encodesPrompts {
            config.promptEncodingRefusals = try Self.promptEncodingRefusals(
                models, limitBytes: memoryLimit.map { Int($0 * Double(1 << 30)) } ?? PromptEncodingMemory.machineLimit())
            for (_, refusal) in config.promptEncodingRefusals.sorted(by: { $0.key < $1.key }) { printErr("worker \(config.name) \(refusal)") }
        }
        var executor: any ShardExecutor = models ?? SimulatedExecutor(stepTime: .milliseconds(simulatedStepMs ?? 1))
        if let poisonResults {
            printErr("TEST FAULT: this worker returns wrong latents for \(poisonResults * 100)% of its shards (--poison-results)")
            var poisoner = TestFaultPoisoningExecutor(base: executor, fraction: poisonResults)
            let environment = ProcessInfo.processInfo.environment
            poisoner.hold = TestFaultPoisoningExecutor.hold(
                faults: TestFaults(environment[TestFaults.environmentKey]), release: environment[TestFaultPoisoningExecutor.holdReleaseKey])
            if let hold = poisoner.hold {
                printErr("TEST FAULT: this worker holds blocks from step \(hold.fromStep) until \(hold.release.path) exists (hold-from-step)")
            }
            executor = poisoner
        }
        var encoder: any ChunkEncoder = MediaChunkEncoder()
        if let truncateSegments {
            printErr("TEST FAULT: this worker cuts its first \(truncateSegments) decode segments in half (--truncate-segments)")
            encoder = TestFaultTruncatingEncoder(base: encoder, count: truncateSegments)
        }
        var server: Task<Void, Never>?
        if let metricsListen, let (metricsHost, metricsPort) = Self.address(metricsListen) {
            let exporter = WorkerMetricsExporter(modelCache: { models?.cacheCensus ?? [] })
            config.metrics = exporter.metrics
            let logger = Logger(label: "reel.worker.metrics")
            server = Task.detached {
                do {
                    try await exporter.serve(host: metricsHost, port: metricsPort, logger: logger) { port in
                        logger.info("worker metrics listening", metadata: ["url": "http://\(metricsHost):\(port)/metrics"])
                    }
                } catch {
                    logger.error("worker metrics stopped", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { server?.cancel() }
        let worker = try Worker(config: config, executor: executor, encoder: encoder, logger: Logger(label: "reel.worker"))
        try worker.run { stop.isSet }
    }
}
