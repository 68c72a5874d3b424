import Foundation
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
    /// The fewest latent frames per decode chunk; chunks grow past this when the
    /// VAE's warm-up would otherwise cost more than `maxDecodeOverhead`.
    public var decodeChunkFrames: Int
    /// The most extra decode work (warm-up frames over the clip's frames) the chunk
    /// layout may add to a sequential decode: 0.3 keeps it within 1.3×.
    public var maxDecodeOverhead: Double
    /// Latent frames decoded before each chunk to warm the VAE's causal caches,
    /// when the workers did not say how many their VAE needs.
    public var decodeWarmup: Int
    /// How every chunk's H.264 segment is encoded (the same everywhere, so segments join).
    public var crf: Double
    public var preset: String
    /// How often memory is compared with the database and repaired.
    public var reconcileInterval: Duration
    /// How long a finished result waits on disk for an unreachable database
    /// before it is given up (its shard then runs again, at no cost to tries).
    public var recordRetryWindow: Duration
    /// Whether intermediate blobs (shard outputs once read, segments once joined)
    /// are deleted; off only to inspect a job's intermediates.
    public var collectBlobs: Bool
    /// Events older than this many days are deleted.
    public var eventRetentionDays: Int
    /// Finished jobs' blobs (embeddings, latents, video, a failed job's outputs)
    /// are deleted this many days after the job finished; nil keeps them for good.
    /// The job's row stays and says when they went.
    public var resultRetentionDays: Int?
    /// Results and assignments waiting on the lanes beyond which nothing new is
    /// dispatched (back-pressure instead of an unbounded queue).
    public var maxLaneBacklog: Int
    /// The largest job `submit` accepts; a bigger one is a 400 naming the limit.
    public var admission: AdmissionLimits
    /// Results pulled from workers and not yet stored, at most: the coordinator's
    /// memory for results is this many results, however many workers finish at once.
    public var resultsPulledAtOnce: Int
    /// Assignments' input latents held at once (blended, queued, or being written
    /// to a socket), at most: the `inputs` lane waits for one to be sent.
    public var inputsInMemory: Int
    /// CURVE on the workers' socket (key pair and worker allow-list); `nil` is
    /// plaintext, which a non-loopback `listen` refuses unless `insecurePlaintext`.
    public var curve: CoordinatorCurve?
    /// Accept plaintext on a `listen` endpoint other machines can reach.
    public var insecurePlaintext = false
    /// Which done shards are re-run on a second worker to check them (off by
    /// default here; `reel coordinator --verify-fraction` sets it, 5 % by default).
    public var verification = VerificationPolicy(fraction: 0)
    /// How long a check waits for a connected worker that may re-run it (another
    /// worker with the model, not quarantined, that has not voted) before it is
    /// given up and logged, so a farm without such a worker still finishes.
    public var verificationWait: Duration = .seconds(30)
    /// The nice value of the heavy lanes' threads (blending inputs, checking
    /// results, storing them): above the loop's 0, so the thread that serves
    /// ZeroMQ, heartbeats and the API runs first when every core is busy (a small
    /// machine shared with workers and PostgreSQL). 0 runs them at the default.
    public var heavyLaneNice: Int32 = Self.defaultHeavyLaneNice
    public static let defaultHeavyLaneNice: Int32 = 5
    /// The nice value the loop's thread asks for (below 0 when it may: root, or
    /// `CAP_SYS_NICE`), so that on a machine whose cores are all taken by other
    /// work (workers, builds) the loop still wakes within milliseconds to serve
    /// heartbeats and the API. Without the privilege it stays at 0; 0 asks nothing.
    public var loopNice: Int32 = Self.defaultLoopNice
    public static let defaultLoopNice: Int32 = -5
    /// ZeroMQ I/O threads for the workers' socket: the workers' connections are
    /// spread over them (copies and CURVE's encryption). One per eight cores, one
    /// to four: a small machine keeps its cores for the lanes and the workers.
    /// The largest conditioning source `PUT /v1/sources/{sha256}` takes
    /// (`--max-source-bytes`).
    public var maxSourceBytes = SourceUploads.defaultMaxBytes
    public var zmqIOThreads = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount / 8))

    public init(
        listen: String = "tcp://127.0.0.1:5555", dataDirectory: String,
        heartbeatInterval: Duration = .seconds(1), heartbeatTimeout: Duration = .seconds(5),
        policy: RetryPolicy = RetryPolicy(maxAttempts: 3, leaseDuration: .seconds(60), baseBackoff: .seconds(1), maxBackoff: .seconds(30)),
        blocklistThreshold: Int = 2, maxMessageBytes: Int = 512 << 20, decodeChunkFrames: Int = 8, maxDecodeOverhead: Double = 0.3,
        decodeWarmup: Int = 2, crf: Double = 18, preset: String = "medium", reconcileInterval: Duration = .seconds(10),
        recordRetryWindow: Duration = .seconds(600), collectBlobs: Bool = true, eventRetentionDays: Int = 30,
        maxLaneBacklog: Int = 4,
        admission: AdmissionLimits = .default, resultsPulledAtOnce: Int = 2, inputsInMemory: Int = 2
    ) {
        self.listen = listen
        self.dataDirectory = dataDirectory
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.policy = policy
        self.blocklistThreshold = blocklistThreshold
        self.maxMessageBytes = maxMessageBytes
        self.decodeChunkFrames = decodeChunkFrames
        self.maxDecodeOverhead = maxDecodeOverhead
        self.decodeWarmup = decodeWarmup
        self.crf = crf
        self.preset = preset
        self.reconcileInterval = reconcileInterval
        self.recordRetryWindow = recordRetryWindow
        self.collectBlobs = collectBlobs
        self.eventRetentionDays = eventRetentionDays
        self.maxLaneBacklog = maxLaneBacklog
        self.admission = admission
        self.resultsPulledAtOnce = max(1, resultsPulledAtOnce)
        self.inputsInMemory = max(1, inputsInMemory)
    }
}
