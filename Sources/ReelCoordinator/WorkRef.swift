import ReelPlan

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
