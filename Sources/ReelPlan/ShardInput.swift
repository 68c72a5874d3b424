/// Where a shard's input latent comes from.
public enum ShardInput: Hashable, Sendable {
    /// Block 0: the initial noise over `box`, drawn with ``LatentNoise`` from the
    /// job's seed at global coordinates.
    case noise(box: LatentBox)
    /// Later blocks: blend the outputs of `sources` (block b − 1 shards whose
    /// regions overlap) over `box` with ``Plan/blend(outputs:into:)``.
    case blend(box: LatentBox, sources: [ShardID])

    /// The box the shard denoises.
    public var box: LatentBox {
        switch self {
        case .noise(let box), .blend(let box, _): return box
        }
    }

    /// The shards whose outputs are needed (empty for noise).
    public var sources: [ShardID] {
        switch self {
        case .noise: return []
        case .blend(_, let sources): return sources
        }
    }
}
