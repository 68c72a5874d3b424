import ReelPlan
import ReelWire

/// A registered worker as the event loop sees it.
struct ConnectedWorker: Sendable {
    let name: String
    var peer: PeerID
    /// The worker process's start nonce (its routing id is `name/bootID`).
    var bootID: String
    var host: String
    var cores: Int
    var threads: Int
    /// Shards it takes at once (its credit).
    var slots: Int
    var models: [String: ModelGeometry]
    /// Per model, the warm-up frames its decode chunks need.
    var decodeWarmup: [String: Int] = [:]
    /// Per model, the digest of its weights and configs (empty: not told).
    var modelDigests: [String: String] = [:]
    var canDenoise: Bool
    /// The pools it belongs to (as its hello said): the claim leases it only jobs of these pools or of none.
    var pools: [String] = []
    var canDecode: Bool
    /// Models whose folder has a real text encoder (`tokenizer/` and `text_encoder/`).
    var textEncoders: Set<String> = []
    /// Whether it encodes prompts (WORK_KIND_ENCODE_PROMPT) for ``textEncoders``.
    var canEncode = false
    /// Whether it VAE-encodes conditioning sources (WORK_KIND_ENCODE_SOURCE) for its models.
    var canEncodeSources = false
    /// Whether it takes empty step blocks (`Hello.runs_empty_blocks`): a block before
    /// an edit's first step is sent to it as one, to others with its full steps.
    var runsEmptyBlocks = false
    /// Whether it encodes sources in later form (`Hello.encodes_later_form`): only such
    /// a worker is handed a later-form encoding; an older one would encode first form.
    var encodesLaterForm = false
    /// When the coordinator last heard from it (monotonic: a wall-clock step must
    /// not make every worker look silent at once).
    var lastSeen: ContinuousClock.Instant
    /// When its leases were last extended in the database.
    var leasesExtended: ContinuousClock.Instant
    /// Work assigned and not yet finished, with when it was sent: a heartbeat that
    /// does not list an item sent long enough ago means the worker does not have it.
    var running: [WorkRef: ContinuousClock.Instant] = [:]
    /// The prompt embeddings it holds, mirroring the worker's own cache.
    var embeddings = EmbeddingsMirror(capacity: EmbeddingsMirror.workerCapacity)
    /// Its assignments being built, so that they are sent in the order they were given.
    var outbox = AssignmentOutbox()
    /// Work the worker reported running that this coordinator did not give it (a
    /// stale attempt from before a restart): it still occupies a slot.
    var staleBusy = 0
    /// It handed work back unstarted (it is stopping, or had no slot free): nothing
    /// more is sent to it until a heartbeat reports a free slot. Without this, a
    /// stopping worker was offered the item it handed back again at once, dozens of
    /// times a second, until it left.
    var refusing = false
    var shardsDone = 0
    /// When its last few shards were stored, oldest first: its recent speed.
    var recentDone: [ContinuousClock.Instant] = []

    /// A shard of its was stored at `now`.
    mutating func countDone(at now: ContinuousClock.Instant) {
        shardsDone += 1
        recentDone.append(now)
        if recentDone.count > 10 { recentDone.removeFirst() }
    }

    /// Shards per minute over its last ten stored (nil before two): what
    /// `reel workers` shows as its speed.
    var shardsPerMinute: Double? { Self.shardsPerMinute(recentDone) }

    /// Completions per minute over `times` (oldest first): intervals ÷ span.
    static func shardsPerMinute(_ times: [ContinuousClock.Instant]) -> Double? {
        guard let first = times.first, let last = times.last, times.count >= 2 else { return nil }
        let seconds = (last - first).realSeconds
        return seconds > 0 ? Double(times.count - 1) * 60 / seconds : nil
    }

    /// Assignments it can take now: its slots plus one prefetched, so a slot that
    /// frees up starts the next shard without waiting for a round trip.
    /// None while it is ``refusing``.
    var freeSlots: Int { refusing ? 0 : max(0, slots + 1 - running.count - staleBusy) }
}
