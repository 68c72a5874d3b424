/// The transformer compute of a plan, in FLOPs.
///
/// A shard costs one forward pass over its region's tokens per step of its block,
/// times 2 with classifier-free guidance (a conditional and an unconditional pass
/// per step, as Wan's sampler does at any guidance scale other than 1). Overlaps
/// are computed once per region that covers them, so ``overhead`` > 1 measures the
/// price of windowing — partly repaid by attention being quadratic in tokens.
public struct ComputeEstimate: Hashable, Sendable, Codable {
    /// Whether two passes per step were counted.
    public let guidance: Bool
    /// FLOPs of each shard, in ``Plan/shards`` order (block-major).
    public let shardFlops: [Double]
    /// FLOPs of all shards.
    public let total: Double
    /// FLOPs of denoising the whole clip in one pass per step (no windows or tiles).
    public let singlePass: Double

    public init(guidance: Bool, shardFlops: [Double], total: Double, singlePass: Double) {
        self.guidance = guidance
        self.shardFlops = shardFlops
        self.total = total
        self.singlePass = singlePass
    }

    /// `total / singlePass`.
    public var overhead: Double { total / singlePass }
}

extension Plan {
    /// FLOPs of one shard.
    public func flops(of shard: ShardID, guidance: Bool = true) -> Double {
        let tokens = regions[shard.region].box.tokens(patch: geometry.model.patch)
        let passes = Double(blocks[shard.block].count * (guidance ? 2 : 1))
        return geometry.model.forwardFlops(videoTokens: tokens) * passes
    }

    /// The plan's compute; `guidance` counts classifier-free guidance's second pass.
    public func computeEstimate(guidance: Bool = true) -> ComputeEstimate {
        let perShard = shards.map { flops(of: $0, guidance: guidance) }
        let passes = Double(schedule.steps * (guidance ? 2 : 1))
        return ComputeEstimate(
            guidance: guidance, shardFlops: perShard, total: perShard.reduce(0, +),
            singlePass: geometry.model.forwardFlops(videoTokens: geometry.tokens) * passes)
    }
}
