import ReelPlan
import ReelStore

/// A job as the database holds it, with its shards and decode chunks: what the
/// core rebuilds a job from after a restart or a retry, and what the reconciler
/// compares memory with.
struct JobSnapshot: Sendable {
    var id: Int64
    /// The row's state (a running or decoding job's run counted from 1).
    var state: JobState
    /// The `jobs.spec` column (``StoredJob``).
    var spec: String
    var promptSHA: String?
    var negativeSHA: String?
    var latentsSHA: String?
    var shards: [(shard: ShardID, row: ItemSnapshot)]
    /// Its decode chunks (a decoding job's), in the order stored.
    var chunks: [StoredChunk]
    /// Its prompt encoding, while the job waits on one (no prompt embeddings yet),
    /// and always for a timeline whose later prompts a worker encoded (their blobs
    /// are on the encoding's row).
    var encoding: StoredEncoding? = nil
    /// Its conditioning sources' encodings (a running job's), by item index.
    var sources: [Int: ItemSnapshot] = [:]
    /// Its open verification checks (a running job's), restored on resume so the
    /// checked shards' dependents keep waiting.
    var checks: [OpenCheckRow] = []
    /// Its shards whose result a check confirmed (`shards.confirmed`).
    var confirmed: Set<ShardID> = []
}

/// A `prompt_encodings` row: the texts and the lease's state.
struct StoredEncoding: Sendable {
    var prompt: String
    var negativePrompt: String?
    var row: ItemSnapshot
    /// A prompt timeline's distinct later prompts, and their blobs once done.
    var laterPrompts: [String] = []
    var laterSHAs: [String]? = nil
}

/// A `decode_chunks` row: the chunk and its state.
struct StoredChunk: Sendable {
    var index: Int
    /// Latent frames the chunk decodes.
    var frames: Range<Int>
    var warmup: Int
    var row: ItemSnapshot
}
