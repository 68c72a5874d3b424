import ReelPlan

/// A piece of work a worker holds: a denoising shard, a decode chunk or a prompt encoding.
enum WorkRef: Hashable, Sendable, CustomStringConvertible {
    case shard(job: Int64, ShardID)
    case chunk(job: Int64, Int)
    /// The job's prompt encoding (one per job).
    case encoding(job: Int64)

    var job: Int64 {
        switch self {
        case .shard(let job, _), .chunk(let job, _), .encoding(let job): return job
        }
    }

    var description: String {
        switch self {
        case .shard(let job, let shard): return "job \(job) shard \(shard)"
        case .chunk(let job, let chunk): return "job \(job) decode chunk \(chunk)"
        case .encoding(let job): return "job \(job) prompt encoding"
        }
    }
}
