import ReelPlan

/// A piece of work a worker holds: a denoising shard, a decode chunk or a prompt encoding.
enum WorkRef: Hashable, Sendable, CustomStringConvertible {
    case shard(job: Int64, ShardID)
    case chunk(job: Int64, Int)
    /// The job's prompt encoding (one per job).
    case encoding(job: Int64)
    /// One of the job's conditioning sources (by its index in the canonical list).
    case source(job: Int64, Int)

    var job: Int64 {
        switch self {
        case .shard(let job, _), .chunk(let job, _), .encoding(let job), .source(let job, _): return job
        }
    }

    var description: String {
        switch self {
        case .shard(let job, let shard): return "job \(job) shard \(shard)"
        case .chunk(let job, let chunk): return "job \(job) decode chunk \(chunk)"
        case .encoding(let job): return "job \(job) prompt encoding"
        case .source(let job, let index): return "job \(job) source encoding \(index)"
        }
    }
}
