import ReelPlan
import ReelWire

/// A piece of work a worker holds: a denoising shard or a decode chunk.
enum WorkRef: Hashable, Sendable, CustomStringConvertible {
    case shard(job: Int64, ShardID)
    case chunk(job: Int64, Int)

    var job: Int64 {
        switch self {
        case .shard(let job, _), .chunk(let job, _): return job
        }
    }

    var description: String {
        switch self {
        case .shard(let job, let shard): return "job \(job) shard \(shard)"
        case .chunk(let job, let chunk): return "job \(job) decode chunk \(chunk)"
        }
    }
}

/// A registered worker as the event loop sees it.
struct ConnectedWorker: Sendable {
    let name: String
    var peer: PeerID
    var host: String
    var cores: Int
    var threads: Int
    /// Shards it takes at once (its credit).
    var slots: Int
    var models: [String: ModelGeometry]
    /// Per model, the warm-up frames its decode chunks need.
    var decodeWarmup: [String: Int] = [:]
    var canDenoise: Bool
    var canDecode: Bool
    var lastSeen: Timestamp
    var running: Set<WorkRef> = []
    /// Prompt embeddings it already holds, by id.
    var sentEmbeds: Set<String> = []
    var draining = false
    /// Work the worker reported running that this coordinator did not give it (a
    /// stale attempt from before a restart): it still occupies a slot.
    var staleBusy = 0
    var shardsDone = 0

    /// Assignments it can take now: its slots plus one prefetched, so a slot that
    /// frees up starts the next shard without waiting for a round trip.
    var freeSlots: Int { draining ? 0 : max(0, slots + 1 - running.count - staleBusy) }
}
