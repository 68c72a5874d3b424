import Foundation
import ReelPlan
import ReelStore
import ReelWire

/// Denoising shards: handing them out, taking failures back, and jobs no worker may take.
extension CoordinatorCore {
    /// Fills every worker's free slots: shards first, then decode chunks. Claims
    /// cost a statement each, so none is made while memory knows nothing is ready.
    func dispatch(at time: LoopTime, lanesBehind: Bool) -> [CoordinatorAction] {
        let now = time.stamp
        let shardsReady = jobs.values.contains { $0.machine.state.name == .running && $0.hasReadyShard(now: now) }
        let chunksReady = jobs.values.contains { $0.decode?.hasReadyChunk(now: now) ?? false }
        let encodingsReady = !readyEncodingModels(now: now).isEmpty || !readySourceModels(now: now).isEmpty
        guard shardsReady || chunksReady || encodingsReady else { return [] }
        // Back-pressure: while the lanes are behind, new work would only queue up
        // (each queued result holds a region's latents).
        guard !lanesBehind else { return [] }
        var actions: [CoordinatorAction] = []
        // A worker with a claim in flight waits for its answer: its free slots are that claim's.
        for worker in workers.values.filter({ $0.freeSlots > 0 && !isClaiming($0.peer) }).sorted(by: { $0.freeSlots > $1.freeSlots }) {
            var free = worker.freeSlots
            guard !worker.models.isEmpty else { continue }
            if let claim = encodingClaim(for: worker, now: now, at: time) {
                // A prompt encoding first: every shard of its job waits on it.
                actions.append(claim)
                free -= 1
                guard free > 0 else { continue }
            }
            if let claim = sourceClaim(for: worker, now: now, at: time) {
                // So are source encodings.
                actions.append(claim)
                free -= 1
                guard free > 0 else { continue }
            }
            let chunkLimit = chunksReady && worker.canDecode ? free : nil
            if shardsReady, worker.canDenoise {
                // Chunks take what the claim leaves (``shardsClaimed(peer:worker:claims:at:chunkLimit:)``).
                actions.append(
                    .claimShards(peer: worker.peer, worker: worker.name, models: worker.models.keys.sorted(), limit: free, at: time, chunkLimit: chunkLimit))
            } else if let chunkLimit {
                actions.append(.claimChunks(peer: worker.peer, worker: worker.name, models: worker.models.keys.sorted(), limit: chunkLimit, at: time))
            }
        }
        return actions
    }

    /// The database leased shards to a worker: memory leases them too and has
    /// their assignments built; a claim memory refuses goes back at once.
    mutating func shardsClaimed(peer: PeerID, worker name: String, claims: Result<[Claim], StoreFailure>, at time: LoopTime, chunkLimit: Int?) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        var claimed: [Claim] = []
        switch claims {
        case .success(let granted): claimed = granted
        case .failure(let error):
            actions.append(.log(.error, "claim failed", ["worker": "\(name)", "error": "\(error)"]))
        }
        guard let worker = workers[peer], worker.name == name else {
            return actions + claimed.map { .release(.shard(job: $0.job, $0.shard), token: $0.attempt, worker: name, why: "the worker left", readBack: false) }
        }
        for claim in claimed {
            let work = WorkRef.shard(job: claim.job, claim.shard)
            guard var record = jobs[claim.job]?.shards[claim.shard] else {
                actions.append(.release(work, token: claim.attempt, worker: worker.name, why: "its job is not running here", readBack: false))
                continue
            }
            // A lease an invalidation revoked before this answer came (its row carried
            // this token, ``shardsInvalidated(job:reason:outcome:)``): building it would
            // only waste a worker's time on a result the database refuses. A read-back
            // that took this very claim's lease first left the token equal too.
            guard claim.attempt > record.token || record.machine.isLeased(to: worker.name, attempt: claim.attempt) else {
                actions.append(.release(work, token: claim.attempt, worker: worker.name, why: "revoked before its claim was answered", readBack: false))
                continue
            }
            let action = record.machine.take(claimOf: worker.name, attempt: claim.attempt, now: time.stamp)
            guard case .dispatch = action else {
                // The database made it ready before memory heard (a result recorded
                // a moment ago): give the claim back; the next turn takes it.
                actions.append(.release(work, token: claim.attempt, worker: worker.name, why: "\(action)", readBack: false))
                continue
            }
            record.token = claim.attempt
            jobs[claim.job]?.shards[claim.shard] = record
            actions += buildAssignment(job: claim.job, shard: claim.shard, token: claim.attempt, for: peer, at: time)
        }
        if let chunkLimit, chunkLimit - claimed.count > 0 {
            actions.append(.claimChunks(peer: peer, worker: name, models: worker.models.keys.sorted(), limit: chunkLimit - claimed.count, at: time))
        }
        return actions
    }

    /// Marks the shard as the worker's and orders its assignment from the
    /// `inputs` lane (the input blend reads neighbours' outputs from the blob store).
    mutating func buildAssignment(job id: Int64, shard: ShardID, token: Int, for peer: PeerID, at time: LoopTime) -> [CoordinatorAction] {
        guard let job = jobs[id], var worker = workers[peer] else { return [] }
        // Never sent without its conditioning: back to the database's state, which
        // the reconciler or the encoding's answer brings memory up to.
        guard let conditioning = shardConditioning(job: job, shard: shard, emptyBlocks: worker.runsEmptyBlocks) else {
            return [.release(.shard(job: id, shard), token: token, worker: worker.name, why: "its conditioning latents are not known here yet", readBack: true)]
        }
        let recipe: ShardInputRecipe
        do {
            recipe = try job.inputRecipe(for: shard)
        } catch PlanError.missingOutput {
            return inputsUnknown(job: id, shard: shard, token: token, worker: worker.name)
        } catch {
            return failJob(id, reason: "cannot build the input of shard \(shard): \(error)")
        }
        let withEmbeds = !worker.embeddings.use(job.embedsID)
        worker.running[.shard(job: id, shard)] = time.instant
        workers[peer] = worker
        let timeline = timelineEntries(job: job, shard: shard, peer: peer)
        return [
            .buildShardAssignment(
                ShardAssignmentOrder(
                    peer: peer, job: id, shard: shard, token: token, recipe: recipe, withEmbeds: withEmbeds, plan: job.plan, request: job.request,
                    embedsID: job.embedsID, promptSHA: job.promptSHA, negativeSHA: job.negativeSHA, textDim: job.model.textDim,
                    timeline: timeline, conditioning: conditioning))
        ]
    }

    /// The database granted `shard` (so its inputs are done there), but memory
    /// does not know an input's output: memory is behind the database (a row it
    /// has not heard of yet, or one a stale read took back). That is no fault of
    /// the job's: the claim goes back, and memory reads the shard and its inputs
    /// again, so the next claim finds them. An input whose result is being
    /// recorded is left to its record's answer.
    mutating func inputsUnknown(job id: Int64, shard: ShardID, token: Int, worker: String) -> [CoordinatorAction] {
        guard let job = jobs[id] else { return [] }
        let unknown = job.unknownInputs(of: shard)
        if holdsRerun(.shard(job: id, shard), worker: worker, token: token) {
            // A check's re-run holds no claim: it is handed out again later.
            jobs[id]?.checks[shard]?.rerun = nil
            return [.log(.warning, "an input's output is not known here; the re-run waits", ["job": "\(id)", "shard": "\(shard)", "inputs": "\(unknown)"])]
        }
        return [
            .log(.warning, "an input's output is not known here; giving the claim back and reading the rows again", [
                "job": "\(id)", "shard": "\(shard)", "inputs": "\(unknown)", "worker": "\(worker)",
            ]),
            .release(.shard(job: id, shard), token: token, worker: worker, why: "an input's output is not known here yet", readBack: true),
        ] + unknown.filter { !persisting.contains(.shard(job: id, $0)) }.map { .readBack(.shard(job: id, $0), fallback: nil) }
    }

    /// Puts every assignment `actions` order built into its worker's outbox, in
    /// order, so that ``assignmentBuilt(peer:work:token:frames:)`` sends them so.
    mutating func noteBuilds(_ actions: [CoordinatorAction]) {
        for action in actions {
            switch action {
            case .buildShardAssignment(let order):
                workers[order.peer]?.outbox.ordered(.shard(job: order.job, order.shard), token: order.token)
            case .buildChunkAssignment(let order):
                workers[order.peer]?.outbox.ordered(.chunk(job: order.job, order.chunk.index), token: order.token)
            case .buildSourceAssignment(let order):
                workers[order.peer]?.outbox.ordered(.source(job: order.job, order.encoding), token: order.token)
            default:
                continue
            }
        }
    }

    /// An assignment (shard, decode chunk or source) was built: it is sent if the
    /// lease is still this worker's; otherwise it is moot. It is sent in the order
    /// it was given to this worker (``AssignmentOutbox``), so it may wait for
    /// others given before it, or release those that waited for it.
    mutating func assignmentBuilt(peer: PeerID, work: WorkRef, token: Int, frames: Result<[Data], OffLoopFailure>) -> [CoordinatorAction] {
        guard let worker = workers[peer] else { return [] }
        var actions: [CoordinatorAction] = []
        var send: [Data]?
        if worker.running[work] == nil {
            // Moot: finished, lost or revoked while it was built.
        } else if !isCurrent(work, token: token, for: worker) {
            workers[peer]?.running[work] = nil
        } else {
            switch frames {
            case .success(let frames):
                send = frames
            case .failure(let failure):
                // The stored outputs are unreadable: nothing another attempt can fix.
                workers[peer]?.running[work] = nil
                actions = failJob(work.job, reason: failure.description)
            }
        }
        let due = workers[peer]?.outbox.built(work, token: token, frames: send) ?? []
        // One that waited may have been finished, lost or revoked meanwhile.
        let sent = due.filter { item in workers[peer].map { $0.running[item.work] != nil && isCurrent(item.work, token: item.token, for: $0) } ?? false }
        return sent.map { .send(frames: $0.frames, to: peer) } + actions
    }

    /// Whether `worker` still holds `work` at `token`: its lease, or a check's re-run.
    func isCurrent(_ work: WorkRef, token: Int, for worker: ConnectedWorker) -> Bool {
        (machine(of: work)?.state.holder == worker.name && self.token(of: work) == token) || holdsRerun(work, worker: worker.name, token: token)
    }

    /// A worker reports that it could not do an item (shard or decode chunk).
    mutating func failure(peer: PeerID, _ failure: Reel_V1_ShardFailure, at time: LoopTime) -> [CoordinatorAction] {
        guard let worker = workers[peer] else { return [reject(peer, "failure report from an unregistered peer")] }
        let id = Int64(clamping: failure.jobID)
        let reason = "\(Self.failureClass(failure.failureClass)) on \(worker.name): \(failure.message.prefix(500))"
        let work: WorkRef =
            failure.kind == .encodePrompt
            ? .encoding(job: id)
            : failure.kind == .encodeSource
            ? .source(job: id, Int(failure.chunk))
            : failure.kind == .decode
                ? .chunk(job: id, Int(failure.chunk)) : .shard(job: id, ShardID(region: Int(failure.region), block: Int(failure.block)))
        workers[peer]?.running[work] = nil
        guard let machine = machine(of: work), case .leased(let holder, let attempt, _) = machine.state, holder == worker.name,
            token(of: work) == Int(failure.attempt), !persisting.contains(work)
        else {
            return [reject(peer, job: id, "failure for \(work), which this worker does not hold: \(reason)")]
        }
        // A hand-back is routine (a worker stopping, or one sent more than it had room for).
        let handedBack = failure.failureClass == .cancelled
        var actions: [CoordinatorAction] = [
            .tally(.failure(FailureReason(failure.failureClass))),
            .log(handedBack ? .info : .warning, handedBack ? "work handed back" : "work failed", ["work": "\(work)", "reason": "\(reason)"]),
        ]
        switch failure.failureClass {
        case .missingEmbeddings:
            // The worker's cache and the mirror disagreed: send again, with the tensors.
            if let job = jobs[id] {
                workers[peer]?.embeddings.forget(job.embedsID)
                for sha in [job.promptSHA] + (job.timeline?.laterSHAs ?? []) { workers[peer]?.embeddings.forget(sha) }
            }
            actions.append(.release(work, token: Int(failure.attempt), worker: worker.name, why: "handed back", readBack: true))
        case .cancelled:
            // A hand-back (draining, full) says nothing about the worker or the item,
            // but the worker takes nothing more until a heartbeat says it has room.
            workers[peer]?.refusing = true
            actions.append(.release(work, token: Int(failure.attempt), worker: worker.name, why: "handed back", readBack: true))
        default:
            actions.append(.recordWorkerFailure(job: id, worker: worker.name))
            actions += lose(work, worker: worker.name, reason: reason) { $0.fail(by: worker.name, attempt: attempt, reason: reason, now: time.stamp) }
        }
        return actions
    }

    /// A job whose waiting shards no connected worker may take (every worker with
    /// its model is blocklisted for it) would wait forever: the database is asked
    /// who is blocklisted, and the answer may fail it (``blocklistRead(job:able:outcome:)``).
    func checkStarvation() -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        for (id, job) in jobs where job.machine.state.name == .running {
            let waiting = job.shards.values.contains { $0.machine.state.name == .ready }
            let active = job.shards.values.contains { $0.machine.state.name == .leased }
            guard waiting, !active else { continue }
            let able = workers.values.filter { $0.canDenoise && $0.models[job.request.model] != nil }
            // Busy workers may simply not have come to it yet; ask the database only when one idles.
            guard able.contains(where: { $0.freeSlots > 0 }) else { continue }
            actions.append(.readBlocklist(job: id, able: able.map(\.name)))
        }
        return actions
    }

    mutating func blocklistRead(job id: Int64, able names: [String], outcome: Result<Set<String>, StoreFailure>) -> [CoordinatorAction] {
        let blocked: Set<String>
        switch outcome {
        case .success(let set): blocked = set
        case .failure(let error):
            // Asked again at the next tick.
            return [.log(.error, "cannot read the blocklist", ["job": "\(id)", "error": "\(error)"])]
        }
        guard let job = jobs[id], Set(names).isSubset(of: blocked) else { return [] }
        return failJob(
            id,
            reason: "every connected worker with model '\(job.request.model)' failed on this job \(config.blocklistThreshold) times and is blocklisted for it (\(names.sorted().joined(separator: ", "))); see `reel workers` and the worker logs, then `reel retry \(id)`")
    }

    static func failureClass(_ c: Reel_V1_FailureClass) -> String {
        switch c {
        case .outOfMemory: return "out of memory"
        case .invalidInput: return "invalid input"
        case .nonFiniteOutput: return "non-finite output"
        case .modelNotFound: return "model not found"
        case .cancelled: return "cancelled"
        case .missingEmbeddings: return "missing prompt embeddings"
        case .internal: return "internal error"
        default: return "failure"
        }
    }
}
