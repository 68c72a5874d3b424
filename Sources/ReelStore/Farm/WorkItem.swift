import ReelPlan

/// A unit of work handed out under a lease: a denoising shard or a decode chunk.
/// Both live in tables with the same lease columns and follow the same rules.
public enum WorkItem: Hashable, Sendable, CustomStringConvertible {
    /// A region denoised through a step block.
    case shard(ShardID)
    /// A span of frames decoded by the VAE.
    case decodeChunk(Int)

    /// `r3/b1` or `chunk 2`.
    public var description: String {
        switch self {
        case .shard(let id): return id.description
        case .decodeChunk(let chunk): return "chunk \(chunk)"
        }
    }

    var table: LeaseTable {
        switch self {
        case .shard: return .shards
        case .decodeChunk: return .decodeChunks
        }
    }

    /// The shard, for the events table's region/block columns.
    var shard: ShardID? {
        if case .shard(let id) = self { return id }
        return nil
    }
}
