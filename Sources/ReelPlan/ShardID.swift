/// A shard: one region denoised through one step block.
public struct ShardID: Hashable, Comparable, Sendable, Codable {
    /// Index into ``Plan/regions``.
    public let region: Int
    /// Index into ``Plan/blocks``.
    public let block: Int

    public init(region: Int, block: Int) {
        self.region = region
        self.block = block
    }

    /// Block-major order: the order in which shards can first become ready.
    public static func < (a: ShardID, b: ShardID) -> Bool {
        (a.block, a.region) < (b.block, b.region)
    }
}

extension ShardID: CustomStringConvertible {
    /// `r3/b1`.
    public var description: String { "r\(region)/b\(block)" }
}
