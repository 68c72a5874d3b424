import Foundation

/// How a worker finds the coordinator and what it offers.
public struct WorkerConfig: Sendable {
    /// The coordinator's ROUTER, e.g. `tcp://10.0.0.5:5555`.
    public var coordinator: String
    /// Unique among the farm's workers.
    public var name: String
    /// Shards it runs at once (its credit with the coordinator).
    public var slots: Int
    /// Compute threads per shard.
    public var threads: Int
    /// Until the coordinator's welcome says otherwise.
    public var heartbeatInterval: Duration
    /// Silence after which the coordinator is presumed gone (the worker re-registers).
    public var heartbeatTimeout: Duration
    /// The largest message it accepts.
    public var maxMessageBytes: Int
    /// How long SIGTERM waits for running shards before handing them back.
    public var drainTimeout: Duration
    /// Whether it encodes prompts for its models that have a text encoder
    /// (`reel worker --no-prompt-encoding` leaves that to other workers).
    public var encodesPrompts = true
    /// Models whose prompts it does not encode although it could, and why (their
    /// text encoder and shards would not fit its memory; see ``PromptEncodingMemory``).
    public var promptEncodingRefusals: [String: String] = [:]
    /// The pools it belongs to (GPU class, trust level, site): it is leased only
    /// jobs that require one of them, or none.
    public var pools: [String] = []
    /// CURVE: the coordinator's public key and this worker's key pair; `nil` is
    /// plaintext, refused for a non-loopback coordinator unless `insecurePlaintext`.
    public var curve: WorkerCurve?
    /// Connect in plaintext to a coordinator on another machine.
    public var insecurePlaintext = false
    /// Where the worker records step and item times (`reel worker --metrics-listen`); nil records nothing.
    public var metrics: WorkerMetrics?
    /// Reads conditioning sources (libav, passed by `reel worker`); nil: this worker
    /// does not encode sources (it does not offer `WORK_KIND_ENCODE_SOURCE`).
    public var sourceReader: (any SourceReader)?

    public init(
        coordinator: String, name: String, slots: Int = 1, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        heartbeatInterval: Duration = .seconds(1), heartbeatTimeout: Duration = .seconds(5), maxMessageBytes: Int = 512 << 20,
        drainTimeout: Duration = .seconds(30)
    ) {
        self.coordinator = coordinator
        self.name = name
        self.slots = slots
        self.threads = threads
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.maxMessageBytes = maxMessageBytes
        self.drainTimeout = drainTimeout
    }
}
