/// The shard graph. Shard (r, b + 1) depends only on the block-b shards whose
/// regions overlap region r (r itself included) — there is no global barrier
/// between blocks, so a slow worker delays only its neighbours. Edges only go from
/// block b to b + 1, so the graph is acyclic and its depth is the block count.
extension Plan {
    /// Every shard, block-major.
    public var shards: [ShardID] {
        blocks.indices.flatMap { b in regions.indices.map { ShardID(region: $0, block: b) } }
    }

    /// `regions × blocks`.
    public var shardCount: Int { regions.count * blocks.count }

    /// Shards on the longest dependency chain: one per block.
    public var graphDepth: Int { blocks.count }

    /// Whether the plan has this shard.
    public func contains(_ shard: ShardID) -> Bool {
        regions.indices.contains(shard.region) && blocks.indices.contains(shard.block)
    }

    /// The shards whose outputs `shard` blends into its input: the overlapping
    /// regions of the previous block (none for block 0).
    public func dependencies(of shard: ShardID) -> [ShardID] {
        guard contains(shard), shard.block > 0 else { return [] }
        return neighbours[shard.region].map { ShardID(region: $0, block: shard.block - 1) }
    }

    /// The shards that read `shard`'s output: overlapping regions of the next block
    /// (none for the last block, whose outputs feed the final blend instead).
    public func dependents(of shard: ShardID) -> [ShardID] {
        guard contains(shard), shard.block + 1 < blocks.count else { return [] }
        return neighbours[shard.region].map { ShardID(region: $0, block: shard.block + 1) }
    }

    /// The shards not in `completed` whose dependencies all are, block-major.
    ///
    /// Leased or failed shards are the caller's business: pass them in `excluding`
    /// to leave them out.
    public func readyShards(completed: Set<ShardID>, excluding: Set<ShardID> = []) -> [ShardID] {
        var ready: [ShardID] = []
        for b in blocks.indices {
            for r in regions.indices {
                let shard = ShardID(region: r, block: b)
                if completed.contains(shard) || excluding.contains(shard) { continue }
                if b == 0 || neighbours[r].allSatisfy({ completed.contains(ShardID(region: $0, block: b - 1)) }) {
                    ready.append(shard)
                }
            }
        }
        return ready
    }

    /// What `shard` starts from: noise for block 0, otherwise the blend of its
    /// dependencies' outputs over its region.
    public func input(for shard: ShardID) throws(PlanError) -> ShardInput {
        guard contains(shard) else { throw .unknownShard(shard) }
        let box = regions[shard.region].box
        return shard.block == 0 ? .noise(box: box) : .blend(box: box, sources: dependencies(of: shard))
    }

    /// The last block's shards: their outputs, blended over ``clipBox``, are the
    /// finished latent that is decoded.
    public var finalShards: [ShardID] {
        regions.indices.map { ShardID(region: $0, block: blocks.count - 1) }
    }

    /// Whether `output` (a shard's output latent) can be dropped: every shard that
    /// reads it is done. Last-block outputs are never droppable here; they are kept
    /// until the final blend, which the coordinator tracks.
    ///
    /// "Done" rather than "leased" because a dependent whose lease is lost must
    /// blend its input again on retry.
    public func canDrop(_ output: ShardID, completed: Set<ShardID>) -> Bool {
        guard contains(output), output.block + 1 < blocks.count else { return false }
        return dependents(of: output).allSatisfy(completed.contains)
    }
}
