import ReelPlan

extension CoordinatorCore {
    /// The conditioning shard `shard` of `job` applies: its items' boxes and
    /// latents, and, in an edit's first block, the step it starts at. Every item's
    /// encoding is done by then (the first block waits on the last one).
    func shardConditioning(job: JobRuntime, shard: ShardID) -> ShardConditioning {
        guard let conditioning = job.conditioning else { return ShardConditioning() }
        var result = ShardConditioning()
        for index in conditioning.items(for: shard) {
            guard let sha = job.sources[index]?.latentsSHA else { continue }
            let resolved = conditioning.items[index]
            result.items.append(ShardConditioning.Item(box: resolved.box, edit: resolved.item.mode == .start, latentsSHA: sha))
        }
        // Blocks before an edit's first step still run in full (their output is
        // overwritten where the edit starts, which covers the whole clip).
        guard !conditioning.isSkipped(shard) else { return result }
        let steps = conditioning.steps(of: shard)
        if steps.lowerBound != job.plan.blocks[shard.block].start { result.stepBegin = steps.lowerBound }
        return result
    }
}
