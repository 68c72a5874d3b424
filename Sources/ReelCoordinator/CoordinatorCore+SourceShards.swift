import ReelPlan

extension CoordinatorCore {
    /// The conditioning shard `shard` of `job` applies: its items' boxes and
    /// latents, and, in an edit's first block, the step it starts at; before that
    /// block, for a worker that takes them (`emptyBlocks`), an empty block. Every
    /// item's encoding is done by then (the first block waits on the last one); nil
    /// if memory does not know an item's latents (it must not render without them).
    func shardConditioning(job: JobRuntime, shard: ShardID, emptyBlocks: Bool = true) -> ShardConditioning? {
        guard let conditioning = job.conditioning else { return ShardConditioning() }
        var result = ShardConditioning()
        for index in conditioning.items(for: shard) {
            guard let sha = job.sources[index]?.latentsSHA else { return nil }
            let resolved = conditioning.items[index]
            result.items.append(ShardConditioning.Item(box: resolved.box, edit: resolved.item.mode == .start, latentsSHA: sha))
        }
        // A block before an edit's first step runs no step: it begins at its end, and
        // the worker hands its latents back as they came. Its output is overwritten
        // where the edit starts (the edit covers the whole clip), so running its steps
        // would only cost their compute; a worker older than empty blocks still runs
        // them (its output is as unused, and such blocks are never checked).
        let block = job.plan.blocks[shard.block]
        guard !conditioning.isSkipped(shard) else {
            if emptyBlocks { result.stepBegin = block.end }
            return result
        }
        let steps = conditioning.steps(of: shard)
        if steps.lowerBound != block.start { result.stepBegin = steps.lowerBound }
        return result
    }

    /// The reconciler's part for a job's source encodings: a row whose state or
    /// token differs from memory's (and that memory has not changed since the read
    /// was asked for) is adopted, latents included.
    mutating func reconcileSources(_ job: JobRuntime, with stored: JobSnapshot, baseline: ReconcileBaseline?) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        for (index, row) in stored.sources.sorted(by: { $0.key < $1.key }) {
            let work = WorkRef.source(job: job.id, index)
            guard let source = job.sources[index], source.machine.state.name != row.state.name || source.token != row.token else { continue }
            if let baseline, !baseline.itemUnchanged(work, revision: source.revision) { continue }
            actions.append(
                .log(
                    .warning, "repaired: source encoding state differs",
                    ["job": "\(job.id)", "encoding": "\(index)", "memory": "\(source.machine.state.name)@\(source.token)",
                     "database": "\(row.state.name)@\(row.token)"]))
            actions += adopt(row, work: work)
            // Done: no worker runs it any more, whoever did it.
            if row.state.name == .done { freeSlots(of: work) }
        }
        return actions
    }
}

extension CoordinatorCore {
    /// Why job `id` waits on its conditioning sources' encodings, or nil.
    func sourceWait(_ id: Int64) -> String? {
        guard let job = jobs[id], job.sources.values.contains(where: { !$0.isDone }) else { return nil }
        let model = job.request.model
        guard workers.values.contains(where: { $0.canEncodeSources && $0.models[model] != nil }) else {
            return "waiting for a worker that encodes conditioning sources for model '\(model)' (reel worker does, with the model's VAE)"
        }
        return "waiting for its conditioning sources to be encoded on a worker"
    }
}
