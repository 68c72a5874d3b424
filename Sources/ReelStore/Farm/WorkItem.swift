import ReelPlan

/// A unit of work handed out under a lease: a denoising shard, a decode chunk or a
/// job's prompt encoding. All live in tables with the same lease columns and follow the same rules.
public enum WorkItem: Hashable, Sendable, CustomStringConvertible {
    /// A region denoised through a step block.
    case shard(ShardID)
    /// A span of frames decoded by the VAE.
    case decodeChunk(Int)
    /// A job's prompt (and negative prompt) encoded by the model's text encoder.
    case promptEncoding
    /// A job's conditioning source (the item at this index) encoded by the VAE.
    case sourceEncoding(Int)

    /// `r3/b1` or `chunk 2`.
    public var description: String {
        switch self {
        case .shard(let id): return id.description
        case .decodeChunk(let chunk): return "chunk \(chunk)"
        case .promptEncoding: return "prompt encoding"
        case .sourceEncoding(let index): return "source encoding \(index)"
        }
    }

    var table: LeaseTable {
        switch self {
        case .shard: return .shards
        case .decodeChunk: return .decodeChunks
        case .promptEncoding: return .promptEncodings
        case .sourceEncoding: return .sourceEncodings
        }
    }

    /// The shard, for the events table's region/block columns.
    var shard: ShardID? {
        if case .shard(let id) = self { return id }
        return nil
    }
}
