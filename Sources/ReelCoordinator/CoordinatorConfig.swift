import ReelPlan

/// How a coordinator listens, where it keeps data, and the farm's timing rules.
public struct CoordinatorConfig: Sendable {
    /// The ZeroMQ ROUTER endpoint workers connect to.
    public var listen: String
    /// Shard outputs, prompt embeddings and videos, content-addressed.
    public var dataDirectory: String
    /// How often workers and the coordinator say they are alive.
    public var heartbeatInterval: Duration
    /// Silence after which a worker is lost and its shards go back to the queue.
    public var heartbeatTimeout: Duration
    /// Attempts, lease length and backoff for shards and decode chunks.
    public var policy: RetryPolicy
    /// Failures on one job after which a worker gets no more of its shards.
    public var blocklistThreshold: Int
    /// The largest message a peer may send (ZMQ_MAXMSGSIZE and the codec's limit).
    public var maxMessageBytes: Int
    /// Latent frames per decode chunk.
    public var decodeChunkFrames: Int
    /// Latent frames decoded before each chunk to warm the VAE's causal caches,
    /// when the workers did not say how many their VAE needs.
    public var decodeWarmup: Int
    /// The largest job `submit` accepts; a bigger one is a 400 naming the limit.
    public var admission: AdmissionLimits

    public init(
        listen: String = "tcp://127.0.0.1:5555", dataDirectory: String,
        heartbeatInterval: Duration = .seconds(1), heartbeatTimeout: Duration = .seconds(5),
        policy: RetryPolicy = RetryPolicy(maxAttempts: 3, leaseDuration: .seconds(60), baseBackoff: .seconds(1), maxBackoff: .seconds(30)),
        blocklistThreshold: Int = 2, maxMessageBytes: Int = 512 << 20, decodeChunkFrames: Int = 8, decodeWarmup: Int = 2,
        admission: AdmissionLimits = .default
    ) {
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.policy = policy
        self.blocklistThreshold = blocklistThreshold
        self.maxMessageBytes = maxMessageBytes
        self.decodeChunkFrames = decodeChunkFrames
        self.decodeWarmup = decodeWarmup
        self.admission = admission
    }
}
