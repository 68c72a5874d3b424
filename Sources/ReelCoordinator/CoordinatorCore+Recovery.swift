import ReelPlan
import ReelStore

/// Jobs rebuilt from the database (after a restart, a retry, or a difference the
/// reconciler found), and memory repaired wherever it drifted from the database.
extension CoordinatorCore {
    /// Jobs read at start: each is resumed, or failed in the database with the
    /// reason it cannot be.
    mutating func recovered(_ stored: [JobSnapshot]) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        for job in stored {
            do {
                actions += try resume(job)
            } catch {
                actions.append(.log(.error, "cannot resume job", ["job": "\(job.id)", "error": "\(error)"]))
                actions.append(.setJobFailed(job.id, reason: "cannot resume: \(error)"))
            }
        }
        if !stored.isEmpty { actions.append(.log(.info, "resumed jobs", ["count": "\(jobs.count)"])) }
        return actions
    }

    /// Rebuilds one job from its rows; finished shards and stored segments keep
    /// their blobs, so nothing done is redone. A running job whose shards are all
    /// done goes on to its final blend; a decoding job whose segments are all
    /// stored, to joining them. Replaces whatever memory held of the job.
    mutating func resume(_ stored: JobSnapshot) throws -> [CoordinatorAction] {
        jobs[stored.id] = nil
        let spec = try StoredJob.decode(stored.spec)
        let plan = try spec.request.makePlan(model: spec.model)
        guard let promptSHA = stored.promptSHA ?? (stored.encoding != nil ? "" : nil) else {
            throw CoordinatorError.storedJob(id: stored.id, reason: "it has no prompt embeddings")
        }
        var records: [ShardID: ShardRecord] = [:]
        for (shard, row) in stored.shards {
            guard plan.contains(shard) else {
                throw CoordinatorError.storedJob(id: stored.id, reason: "shard \(shard) is not in its plan")
            }
            records[shard] = ShardRecord(machine: ShardStateMachine(state: row.state, policy: config.policy), token: row.token, outputSHA: row.outputSHA)
        }
        guard records.count == plan.shardCount else {
            throw CoordinatorError.storedJob(id: stored.id, reason: "\(records.count) shard rows for \(plan.shardCount) shards")
        }
        var job = JobRuntime(
            id: stored.id, request: spec.request, model: spec.model, plan: plan, promptSHA: promptSHA,
            negativeSHA: stored.negativeSHA, decodeWarmup: spec.decodeWarmup, machine: JobStateMachine(state: stored.state), shards: records)
        if let encoding = stored.encoding {
            job.encoding = PromptEncodingProgress(
                prompt: encoding.prompt, negativePrompt: encoding.negativePrompt,
                machine: ShardStateMachine(state: encoding.row.state, policy: config.policy), token: encoding.row.token,
                laterPrompts: encoding.laterPrompts)
        }
        if let encoding = stored.encoding, spec.timelineEmbeds == nil, spec.request.prompts != nil {
            // Later prompts a worker encodes: the timeline once their blobs are stored.
            if encoding.row.state.name == .done {
                guard let later = JobTimeline.laterSHAs(of: spec.request, promptSHA: promptSHA, texts: encoding.laterPrompts, shas: encoding.laterSHAs ?? [])
                else { throw CoordinatorError.storedJob(id: stored.id, reason: "its encoded later prompts do not cover its prompt timeline") }
                job.timeline = try JobTimeline(request: spec.request, plan: plan, laterSHAs: later)
            }
        } else {
            job.timeline = try JobTimeline(request: spec.request, plan: plan, laterSHAs: spec.timelineEmbeds ?? [])
        }
        try resumeSources(&job, stored: stored)
        if stored.state.name == .decoding {
            guard let latentsSHA = stored.latentsSHA else {
                throw CoordinatorError.storedJob(id: stored.id, reason: "it is decoding without finished latents")
            }
            let chunks = plan.decodeChunks(recorded: stored.chunks.map { ($0.index, $0.frames, $0.warmup) })
            guard !chunks.isEmpty, chunks.map(\.index) == Array(chunks.indices) else {
                throw CoordinatorError.storedJob(id: stored.id, reason: "its decode chunks are not numbered 0..<\(chunks.count)")
            }
            var decode = DecodeProgress(chunks: chunks, latentsSHA: latentsSHA, policy: config.policy)
            for (index, chunk) in stored.chunks.enumerated() {
                decode.machines[index] = ShardStateMachine(state: chunk.row.state, policy: config.policy)
                decode.tokens[index] = chunk.row.token
                decode.segments[index] = chunk.row.state.name == .done ? chunk.row.outputSHA : nil
            }
            job.decode = decode
        }
        // Open checks come back with their first vote; their re-runs are asked again.
        for check in stored.checks where records[check.shard]?.machine.state.name == .done && records[check.shard]?.token == check.attempt {
            job.checks[check.shard] = ShardCheck(shard: check.shard, worker: check.worker, sha: check.sha, token: check.attempt, at: startedAt)
        }
        // Confirmed results stay confirmed: a later lost ballot of their worker leaves them done.
        job.confirmed = stored.confirmed.filter { records[$0]?.machine.state.name == .done }
        jobs[stored.id] = job
        // Before continuing: an ordered reset holds the final blend back, and what it resets is not readied.
        let invalidations = invalidateQuarantinedResults(in: stored.id)
        return invalidations + Self.sparing(continueJob(stored.id), resetBy: invalidations)
    }

    /// Moves a job along whatever was interrupted: shards whose inputs are done
    /// become ready (once the database agrees), a running job with every shard
    /// done is blended, a decoding job with every segment stored is joined.
    mutating func continueJob(_ id: Int64) -> [CoordinatorAction] {
        guard let job = jobs[id] else { return [] }
        switch job.machine.state.name {
        case .running:
            if job.allShardsDone { return startFinalBlend(id) }
            // Every shard waits on the prompt encoding, whose commit readies the first block.
            if let encoding = job.encoding, !encoding.isDone { return [] }
            // And on every source encoding, the last of whose commits readies it.
            if job.sources.values.contains(where: { !$0.isDone }) { return [] }
            let waiting = job.shards.filter { $0.value.machine.state.name == .pending }.map(\.key).sorted()
            let candidates = waiting.compactMap { shard -> (shard: ShardID, inputs: [ShardID])? in
                let inputs = job.plan.dependencies(of: shard)
                // An input under check holds its readers back (``releasable(job:after:)``).
                return inputs.allSatisfy({ job.shards[$0]?.machine.state.name == .done && job.checks[$0] == nil }) ? (shard, inputs) : nil
            }
            return candidates.isEmpty ? [] : [.markReady(job: id, candidates: candidates, because: .repair)]
        case .decoding:
            return job.decode?.isFinished ?? false ? startJoin(id) : []
        default:
            return []
        }
    }

    /// The database made these shards ready (their inputs all done).
    mutating func markedReady(job id: Int64, outcome: Result<[ShardID], StoreFailure>, because cause: ReadinessCause) -> [CoordinatorAction] {
        let ready: [ShardID]
        switch outcome {
        case .success(let shards): ready = shards
        case .failure(let error):
            // Asked again at the next reconciliation.
            return [.log(.error, "cannot make ready shards ready", ["job": "\(id)", "error": "\(error)"])]
        }
        var actions: [CoordinatorAction] = []
        for shard in ready {
            // `enqueue` needs nothing more: dispatch takes ready machines from memory.
            if case .rejected(let rejection)? = jobs[id]?.shards[shard]?.machine.dependenciesMet() {
                actions.append(.log(.warning, "repair refused by the shard's state machine", ["job": "\(id)", "shard": "\(shard)", "reason": "\(rejection.reason)"]))
            }
        }
        guard !ready.isEmpty else { return actions }
        switch cause {
        case .repair:
            actions.append(.log(.warning, "repaired: shards with every input done were pending", ["job": "\(id)", "shards": "\(ready)"]))
        case .inputsSettled:
            // Normal flow (a check agreed): worth a trace, not an operator's attention.
            actions.append(.log(.debug, "shards made ready: their inputs settled", ["job": "\(id)", "shards": "\(ready)"]))
        }
        return actions
    }

    /// Compares memory with the database and repairs every difference, logging
    /// each: jobs finished or cancelled elsewhere leave memory, active jobs the
    /// database has that memory lacks are resumed, items whose state differs take
    /// the database's, and interrupted steps are continued.
    ///
    /// With a `baseline` (what memory held when the snapshot was asked for), only
    /// what memory has not changed since is compared: the rest is newer than the
    /// snapshot. Without one, the snapshot is taken to be as new as memory.
    mutating func reconcile(with active: [JobSnapshot], baseline: ReconcileBaseline? = nil) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        let ids = Set(active.map(\.id))
        for id in jobs.keys.sorted() where !ids.contains(id) {
            // Admitted or moved on since the read was asked for: the read cannot know.
            if let baseline, let job = jobs[id], !baseline.jobUnchanged(job) { continue }
            actions.append(.log(.warning, "repaired: job is no longer active in the database", ["job": "\(id)"]))
            actions += endJob(id, reason: "job \(id) ended")
        }
        for stored in active {
            if let baseline {
                // Memory moved on since the read was asked for (it ended the job,
                // or changed its state): the snapshot is older, not evidence.
                if let job = jobs[stored.id] {
                    guard baseline.jobUnchanged(job) else { continue }
                } else if baseline.had(stored.id) {
                    continue
                }
            }
            guard let job = jobs[stored.id], job.machine.state.name == stored.state.name else {
                if let job = jobs[stored.id] {
                    actions.append(
                        .log(.warning, "repaired: job state differs", ["job": "\(stored.id)", "memory": "\(job.machine.state.name)", "database": "\(stored.state.name)"]))
                } else {
                    actions.append(.log(.warning, "repaired: resuming a job memory did not have", ["job": "\(stored.id)"]))
                }
                do { actions += try resume(stored) } catch {
                    jobs[stored.id] = nil
                    actions.append(.log(.error, "cannot resume job", ["job": "\(stored.id)", "error": "\(error)"]))
                }
                continue
            }
            // An encoding being recorded readies the first block in the same commit;
            // memory learns both at once (`promptRecorded`).
            if persisting.contains(.encoding(job: stored.id)) { continue }
            // So does the last source encoding's (`sourceRecorded`); the others are
            // adopted first, so their latents are known before their shards are.
            if job.sources.keys.contains(where: { persisting.contains(.source(job: stored.id, $0)) }) { continue }
            actions += reconcileSources(job, with: stored, baseline: baseline)
            if let encoding = job.encoding, let baseline,
                !baseline.itemUnchanged(.encoding(job: stored.id), revision: encoding.revision)
            {
                // The encoding moved on since the read was asked for.
            } else {
                actions += reconcileEncoding(job, with: stored)
            }
            for (shard, row) in stored.shards {
                let work = WorkRef.shard(job: stored.id, shard)
                guard !persisting.contains(work), let record = job.shards[shard] else { continue }
                // An input still being recorded may have made this shard ready in the
                // database already; memory learns both at once (`shardRecorded`).
                // Adopted before that, it would be leased with its input's output
                // unknown, and its job failed for want of it.
                if job.plan.dependencies(of: shard).contains(where: { persisting.contains(.shard(job: stored.id, $0)) }) { continue }
                if let baseline, !baseline.itemUnchanged(work, revision: record.revision) { continue }
                if record.machine.state.name != row.state.name || record.token != row.token {
                    actions.append(
                        .log(
                            .warning, "repaired: shard state differs",
                            ["job": "\(stored.id)", "shard": "\(shard)", "memory": "\(record.machine.state.name)@\(record.token)", "database": "\(row.state.name)@\(row.token)"]))
                    actions += adopt(row, work: work)
                }
            }
            if let decode = job.decode {
                for chunk in stored.chunks where decode.chunks.indices.contains(chunk.index) {
                    let index = chunk.index
                    guard !persisting.contains(.chunk(job: stored.id, index)) else { continue }
                    if let baseline, !baseline.itemUnchanged(.chunk(job: stored.id, index), revision: decode.revisions[index]) {
                        continue
                    }
                    if decode.machines[index].state.name != chunk.row.state.name || decode.tokens[index] != chunk.row.token {
                        actions.append(.log(.warning, "repaired: decode chunk state differs", ["job": "\(stored.id)", "chunk": "\(index)"]))
                        actions += adopt(chunk.row, work: .chunk(job: stored.id, index))
                    }
                }
            }
            if !(jobs[stored.id]?.finishing ?? true) { actions += continueJob(stored.id) }
        }
        return actions
    }

    /// A submitted job is stored: it runs from now on.
    mutating func admitted(_ job: JobRuntime) -> [CoordinatorAction] {
        jobs[job.id] = job
        return [
            .log(
                .info, "job submitted",
                ["job": "\(job.id)", "model": "\(job.request.model)", "latent": "\(job.plan.latent.dimensions)",
                 "windows": "\(job.plan.windows.count)", "shards": "\(job.plan.shardCount)"])
        ]
    }
}
