import Foundation
import Logging
import ReelPlan
import ReelHash
import ReelStore
import ReelTensor
import ReelWire

/// Denoising shards: handing them out, taking results and failures back.
extension Coordinator {
    /// Fills every worker's free slots: shards first, then decode chunks. Claims
    /// cost a statement each, so none is made while memory knows nothing is ready.
    func dispatch() {
        let now = clock.now
        let shardsReady = jobs.values.contains { $0.machine.state.name == .running && $0.hasReadyShard(now: now) }
        let chunksReady = jobs.values.contains { $0.decode?.hasReadyChunk(now: now) ?? false }
        guard shardsReady || chunksReady else { return }
        // Back-pressure: while the lanes are behind, new work would only queue up
        // (each queued result holds a region's latents).
        guard inputs.backlog < config.maxLaneBacklog, records.backlog < config.maxLaneBacklog else { return }
        let ready = workers.values.filter { $0.freeSlots > 0 }.sorted { $0.freeSlots > $1.freeSlots }
        for worker in ready {
            var free = worker.freeSlots
            if shardsReady, worker.canDenoise, !worker.models.isEmpty {
                free -= dispatchShards(to: worker.peer, limit: free, now: now)
            }
            if chunksReady, free > 0, worker.canDecode {
                dispatchChunks(to: worker.peer, limit: free, now: now)
            }
        }
    }

    /// Claims up to `limit` shards for the worker in one statement and has their
    /// assignments built off the loop.
    func dispatchShards(to peer: PeerID, limit: Int, now: Timestamp) -> Int {
        guard let worker = workers[peer] else { return 0 }
        let claimed: [ClaimedShard]
        do {
            claimed = try store.claimShards(
                worker: worker.name, models: worker.models.keys.sorted(), limit: limit, now: now,
                leaseDuration: config.policy.leaseDuration, maxTries: config.policy.maxAttempts,
                blocklistThreshold: config.blocklistThreshold)
        } catch {
            logger.error("claim failed", metadata: ["worker": "\(worker.name)", "error": "\(error)"])
            return 0
        }
        for claim in claimed {
            guard var record = jobs[claim.job]?.shards[claim.shard] else {
                release(.shard(claim.shard), job: claim.job, attempt: claim.attempt, worker: worker.name, why: "its job is not running here")
                continue
            }
            let action = record.machine.lease(to: worker.name, now: now)
            guard case .dispatch = action else {
                // The database made it ready before memory heard (a result recorded
                // a moment ago): give the claim back; the next turn takes it.
                release(.shard(claim.shard), job: claim.job, attempt: claim.attempt, worker: worker.name, why: "\(action)")
                continue
            }
            record.token = claim.attempt
            jobs[claim.job]?.shards[claim.shard] = record
            buildAssignment(job: claim.job, shard: claim.shard, token: claim.attempt, for: peer)
        }
        return claimed.count
    }

    /// Gives a claim back to the database without charging a try.
    func release(_ item: WorkItem, job: Int64, attempt: Int, worker: String, why: String) {
        do {
            if try !store.releaseClaim(item, job: job, attempt: attempt, worker: worker) {
                logger.warning("a refused claim was already gone", metadata: ["job": "\(job)", "item": "\(item)"])
            }
        } catch {
            // The lease stays in the database; the reconciler finds and ends it.
            logger.error("cannot release a claim", metadata: ["job": "\(job)", "item": "\(item)", "error": "\(error)"])
        }
        logger.debug("claim released", metadata: ["job": "\(job)", "item": "\(item)", "why": "\(why)"])
    }

    /// Marks the shard as the worker's and builds its assignment on the `inputs`
    /// lane: the input blend reads neighbours' outputs from the blob store.
    private func buildAssignment(job id: Int64, shard: ShardID, token: Int, for peer: PeerID) {
        guard let job = jobs[id], var worker = workers[peer] else { return }
        let work = WorkRef.shard(job: id, shard)
        let recipe: ShardInputRecipe
        do {
            recipe = try job.inputRecipe(for: shard)
        } catch {
            failJob(id, reason: "cannot build the input of shard \(shard): \(error)")
            return
        }
        let withEmbeds = !worker.embeddings.use(job.embedsID)
        worker.running[work] = .now
        workers[peer] = worker
        let plan = job.plan, request = job.request, blobs = blobs, buffers = inputBuffers
        let embeds = (id: job.embedsID, prompt: job.promptSHA, negative: job.negativeSHA, width: job.model.textDim)
        inputs.submit {
            do {
                let input: Data?
                switch recipe {
                case .noise:
                    // The worker draws the initial noise itself (`initial_noise`).
                    input = nil
                case .blend(let box, let outputs):
                    // Neighbours' outputs are read in place from their mapped blobs and
                    // blended straight into the bytes that are sent: no copy of either.
                    let mapped = try outputs.mapValues { sha throws(StoreError) in try blobs.map(sha) }
                    input = try withExtendedLifetime(mapped) { () throws(PlanError) -> Data in
                        try buffers.make(count: box.count * MemoryLayout<Float>.stride) { raw throws(PlanError) in
                            try plan.blend(sources: mapped.mapValues(\.floats), into: box, output: raw.bindMemory(to: Float.self))
                        }
                    }
                }
                let frames = try Self.assignmentFrames(
                    job: id, shard: shard, token: token, plan: plan, request: request, input: input,
                    embeds: embeds, withEmbeds: withEmbeds, blobs: blobs)
                return .assignmentBuilt(peer: peer, work: work, token: token, frames: .success(frames))
            } catch {
                return .assignmentBuilt(
                    peer: peer, work: work, token: token, frames: .failure(OffLoopFailure("cannot build the assignment of shard \(shard): \(error)")))
            }
        }
    }

    /// The ZeroMQ frames of a shard assignment.
    private static func assignmentFrames(
        job id: Int64, shard: ShardID, token: Int, plan: Plan, request: JobRequest, input: Data?,
        embeds: (id: String, prompt: String, negative: String?, width: Int), withEmbeds: Bool, blobs: BlobStore
    ) throws -> [Data] {
        let region = plan.regions[shard.region]
        let block = plan.blocks[shard.block]
        var assignment = Reel_V1_ShardAssignment()
        assignment.jobID = UInt64(id)
        assignment.region = UInt32(shard.region)
        assignment.block = UInt32(shard.block)
        assignment.attempt = UInt32(token)
        assignment.model = request.model
        assignment.seed = request.seed
        var sampler = Reel_V1_SamplerSettings()
        sampler.totalSteps = UInt32(plan.schedule.steps)
        sampler.stepBegin = UInt32(block.start)
        sampler.stepEnd = UInt32(block.end)
        sampler.guidance = Float(request.guidance)
        sampler.shift = request.shift ?? 0
        assignment.sampler = sampler
        assignment.box = wireBox(region.box, latent: plan.latent)
        var tensors: [WireTensor] = []
        if let input {
            var latents = Reel_V1_TensorHeader()
            latents.name = "latents"
            assignment.latents = latents
            let box = region.box
            tensors.append(
                try WireTensor(name: "latents", shape: [box.channels, box.frames.length, box.rows.length, box.columns.length], littleEndianBytes: input))
        } else {
            assignment.initialNoise = true
        }
        var wireEmbeds = Reel_V1_PromptEmbeds()
        wireEmbeds.embedsID = embeds.id
        if withEmbeds {
            let prompt = try blobs.getFloats(embeds.prompt)
            var positive = Reel_V1_TensorHeader()
            positive.name = "prompt_embeds"
            wireEmbeds.positive = positive
            tensors.append(try WireTensor(name: "prompt_embeds", shape: [prompt.count / embeds.width, embeds.width], values: prompt))
            if let negativeSHA = embeds.negative {
                let negative = try blobs.getFloats(negativeSHA)
                var header = Reel_V1_TensorHeader()
                header.name = "negative_prompt_embeds"
                wireEmbeds.negative = header
                tensors.append(
                    try WireTensor(name: "negative_prompt_embeds", shape: [negative.count / embeds.width, embeds.width], values: negative))
            }
        }
        assignment.embeds = wireEmbeds
        var envelope = Reel_V1_Envelope()
        envelope.body = .shardAssignment(assignment)
        return try WireCodec.encode(envelope, tensors: tensors)
    }

    /// An assignment came back from the `inputs` lane: send it if the lease is
    /// still this worker's; otherwise it is moot.
    func assignmentBuilt(peer: PeerID, work: WorkRef, token: Int, frames: Result<[Data], OffLoopFailure>) {
        guard let worker = workers[peer], worker.running[work] != nil else { return }
        let current: Bool
        switch work {
        case .shard(let job, let shard):
            current = jobs[job]?.shards[shard].map { $0.token == token && $0.machine.state.holder == worker.name } ?? false
        case .chunk(let job, let chunk):
            current = jobs[job]?.decode.map { $0.tokens[chunk] == token && $0.machines[chunk].state.holder == worker.name } ?? false
        }
        guard current else {
            workers[peer]?.running[work] = nil
            return
        }
        switch frames {
        case .success(let frames):
            if !send(frames: frames, to: peer) { workerLost(peer, reason: "unreachable") }
        case .failure(let failure):
            // The stored outputs are unreadable: nothing another attempt can fix.
            workers[peer]?.running[work] = nil
            failJob(work.job, reason: failure.description)
        }
    }

    /// A shard result: checked against the lease here, then checked, stored and
    /// recorded on the `records` lane. Whatever happens, the worker's slot is freed.
    func handleShardResult(peer: PeerID, _ result: Reel_V1_ShardResult, frames: [Data]) {
        guard let worker = workers[peer] else {
            refuse(peer, .notRegistered, "unknown worker: send hello again")
            reject(peer: peer, "result from an unregistered peer")
            return
        }
        let id = Int64(clamping: result.jobID)
        let shard = ShardID(region: Int(result.region), block: Int(result.block))
        let work = WorkRef.shard(job: id, shard)
        let token = Int(result.attempt)
        workers[peer]?.running[work] = nil
        guard let job = jobs[id] else {
            reject(peer: peer, "result for unknown job \(id) (not running here)")
            return
        }
        guard let record = job.shards[shard] else {
            reject(peer: peer, job: id, "result for unknown shard \(shard) of job \(id)")
            return
        }
        guard case .leased(let holder, _, _) = record.machine.state, holder == worker.name, token == record.token,
            !persisting.contains(work)
        else {
            reject(peer: peer, job: id, shard: shard, "stale result: attempt \(token) from \(worker.name), shard is \(record.machine.state.name.rawValue) at attempt \(record.token)")
            return
        }
        persisting.insert(work)
        let box = job.plan.regions[shard.region].box
        let expected = [box.channels, box.frames.length, box.rows.length, box.columns.length]
        let dependents = job.dependentsWithInputs(of: shard)
        let name = worker.name, limits = WireLimits(maxMessageBytes: config.maxMessageBytes)
        let blobs = blobs, store = recordStore, window = config.recordRetryWindow, logger = logger
        records.submit {
            let outcome: RecordOutcome
            do {
                let message = try WireCodec.decode(frames, limits: limits)
                guard case .shardResult(let result)? = message.envelope.body, let tensor = message.tensor(for: result.latents) else {
                    return .shardRecorded(peer: peer, worker: name, job: id, shard: shard, attempt: token, outcome: .invalid("the result has no latents"))
                }
                guard tensor.shape == expected else {
                    return .shardRecorded(
                        peer: peer, worker: name, job: id, shard: shard, attempt: token,
                        outcome: .invalid("worker returned latents of shape \(tensor.shape), expected \(expected)"))
                }
                guard tensor.isFinite else {
                    return .shardRecorded(peer: peer, worker: name, job: id, shard: shard, attempt: token, outcome: .invalid("non-finite output"))
                }
                // Durable before acknowledged: the output is fsync'd, then its address
                // and the dependents' readiness commit in one transaction.
                // The codec checked the frame against its SHA-256: store those bytes under it.
                let sha = SHA256.hex(Array(result.latents.sha256))
                var failure: (any Error)?
                frames[Int(result.latents.frameIndex)].withUnsafeBytes { raw in
                    do { try blobs.put(raw, sha256: sha) } catch { failure = error }
                }
                if let failure { throw failure }
                let item = WorkItem.shard(shard)
                outcome = Self.recordWithRetry(store: store.value, window: window, logger: logger, item: item, job: id, sha: sha) {
                    try store.value.completeShard(job: id, shard: shard, attempt: token, worker: name, outputSHA: sha, dependents: dependents)
                } settle: { (status: WorkStatus) throws -> [ShardID]? in
                    // The commit's answer was lost: the row says whether it happened.
                    guard status.state == ShardState.Name.done, status.outputSHA == sha, status.attempt == token else { return nil }
                    return try store.value.markReadyIfInputsDone(job: id, candidates: dependents)
                }
            } catch let error as WireError {
                outcome = .invalid("malformed result: \(error)")
            } catch {
                outcome = .unrecorded("cannot store the output: \(error)")
            }
            return .shardRecorded(peer: peer, worker: name, job: id, shard: shard, attempt: token, outcome: outcome)
        }
    }

    func handleFailure(peer: PeerID, _ failure: Reel_V1_ShardFailure) {
        guard let worker = workers[peer] else {
            reject(peer: peer, "failure report from an unregistered peer")
            return
        }
        let id = Int64(clamping: failure.jobID)
        let reason = "\(Self.failureClass(failure.failureClass)) on \(worker.name): \(failure.message.prefix(500))"
        let item: WorkItem
        let work: WorkRef
        if failure.kind == .decode {
            item = .decodeChunk(Int(failure.chunk))
            work = .chunk(job: id, Int(failure.chunk))
        } else {
            let shard = ShardID(region: Int(failure.region), block: Int(failure.block))
            item = .shard(shard)
            work = .shard(job: id, shard)
        }
        workers[peer]?.running[work] = nil
        guard let machine = machine(of: work), case .leased(let holder, let attempt, _) = machine.state, holder == worker.name,
            token(of: work) == Int(failure.attempt), !persisting.contains(work)
        else {
            reject(peer: peer, job: id, "failure for \(work), which this worker does not hold: \(reason)")
            return
        }
        logger.warning("work failed", metadata: ["work": "\(work)", "reason": "\(reason)"])
        switch failure.failureClass {
        case .missingEmbeddings:
            // The worker's cache and the mirror disagreed: send again, with the tensors.
            if let job = jobs[id] { workers[peer]?.embeddings.forget(job.embedsID) }
            handBack(work, item: item, worker: worker.name, attempt: attempt)
        case .cancelled:
            // A hand-back (draining, full) says nothing about the worker or the item.
            handBack(work, item: item, worker: worker.name, attempt: attempt)
        default:
            recordWorkerFailure(job: id, worker: worker.name)
            lose(work, worker: worker.name, reason: reason) { $0.fail(by: worker.name, attempt: attempt, reason: reason, now: self.clock.now) }
        }
    }

    /// The item goes back to ready at once, and the try is given back.
    func handBack(_ work: WorkRef, item: WorkItem, worker: String, attempt: Int) {
        release(item, job: work.job, attempt: attempt, worker: worker, why: "handed back")
        adoptDatabaseState(job: work.job, item: item)
    }

    /// Counts a failure of `worker` on `job` towards its blocklist, off the loop.
    func recordWorkerFailure(job: Int64, worker: String) {
        let store = recordStore, logger = logger
        records.submit {
            do { try store.value.recordWorkerFailure(job: job, worker: worker) } catch {
                logger.error("cannot record worker failure", metadata: ["error": "\(error)"])
            }
            return .none
        }
    }

    /// A job whose waiting shards no connected worker may take (every worker with
    /// its model is blocklisted for it) would wait forever: it fails with the reason.
    func checkStarvation() {
        for (id, job) in jobs where job.machine.state.name == .running {
            let waiting = job.shards.values.contains { $0.machine.state.name == .ready }
            let active = job.shards.values.contains { $0.machine.state.name == .leased }
            guard waiting, !active else { continue }
            let able = workers.values.filter { $0.canDenoise && $0.models[job.request.model] != nil }
            // Busy workers may simply not have come to it yet; ask the database only when one idles.
            guard able.contains(where: { $0.freeSlots > 0 }) else { continue }
            let names = able.map(\.name)
            guard let blocked = try? store.blocklisted(job: id, threshold: config.blocklistThreshold),
                Set(names).isSubset(of: blocked)
            else { continue }
            failJob(
                id,
                reason: "every connected worker with model '\(job.request.model)' failed on this job \(config.blocklistThreshold) times and is blocklisted for it (\(names.sorted().joined(separator: ", "))); see `reel workers` and the worker logs, then `reel retry \(id)`")
        }
    }

    static func wireBox(_ box: LatentBox, latent: LatentShape) -> Reel_V1_LatentBox {
        var wire = Reel_V1_LatentBox()
        wire.frameStart = UInt32(box.frames.start)
        wire.frameLength = UInt32(box.frames.length)
        wire.rowStart = UInt32(box.rows.start)
        wire.rowLength = UInt32(box.rows.length)
        wire.columnStart = UInt32(box.columns.start)
        wire.columnLength = UInt32(box.columns.length)
        wire.channels = UInt32(box.channels)
        wire.latentFrames = UInt32(latent.frames)
        wire.latentRows = UInt32(latent.height)
        wire.latentColumns = UInt32(latent.width)
        wire.framesCyclic = box.frames.isCyclic
        return wire
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
