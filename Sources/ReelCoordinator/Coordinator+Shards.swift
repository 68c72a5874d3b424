import Foundation
import ReelPlan
import ReelStore
import ReelTensor
import ReelWire

/// Denoising shards: handing them out, taking results and failures back.
extension Coordinator {
    /// Fills every worker's free slots: shards first, then decode chunks.
    func dispatch(now: Timestamp) {
        let ready = workers.values.filter { $0.freeSlots > 0 }.sorted { $0.freeSlots > $1.freeSlots }
        for worker in ready {
            var free = worker.freeSlots
            if worker.canDenoise, !worker.models.isEmpty {
                free -= dispatchShards(to: worker.peer, limit: free, now: now)
            }
            if free > 0, worker.canDecode {
                dispatchChunks(to: worker.peer, limit: free, now: now)
            }
        }
    }

    /// Claims up to `limit` shards for the worker in one statement and sends them.
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
            guard var job = jobs[claim.job], var record = job.shards[claim.shard] else {
                logger.error("claimed a shard of a job not in memory", metadata: ["job": "\(claim.job)", "shard": "\(claim.shard)"])
                continue
            }
            let action = record.machine.lease(to: worker.name, now: now)
            guard case .dispatch = action else {
                // Memory and database disagree: trust the database's lease and let it expire.
                logger.error("lease refused by the state machine", metadata: ["shard": "\(claim.shard)", "action": "\(action)"])
                continue
            }
            record.token = claim.attempt
            job.shards[claim.shard] = record
            jobs[claim.job] = job
            sendAssignment(job: claim.job, shard: claim.shard, token: claim.attempt, to: peer)
        }
        return claimed.count
    }

    private func sendAssignment(job id: Int64, shard: ShardID, token: Int, to peer: PeerID) {
        guard var job = jobs[id], var worker = workers[peer] else { return }
        let plan = job.plan
        let region = plan.regions[shard.region]
        let block = plan.blocks[shard.block]
        let input: [Float]
        do {
            input = try job.input(for: shard) { sha throws in try blobs.getFloats(sha) }
        } catch {
            // The stored outputs are unreadable: nothing another attempt can fix.
            jobs[id] = job
            failJob(id, reason: "cannot build the input of shard \(shard): \(error)")
            return
        }
        jobs[id] = job
        var assignment = Reel_V1_ShardAssignment()
        assignment.jobID = UInt64(id)
        assignment.region = UInt32(shard.region)
        assignment.block = UInt32(shard.block)
        assignment.attempt = UInt32(token)
        assignment.model = job.request.model
        assignment.seed = job.request.seed
        var sampler = Reel_V1_SamplerSettings()
        sampler.totalSteps = UInt32(plan.schedule.steps)
        sampler.stepBegin = UInt32(block.start)
        sampler.stepEnd = UInt32(block.end)
        sampler.guidance = Float(job.request.guidance)
        sampler.shift = job.request.shift ?? 0
        assignment.sampler = sampler
        assignment.box = Self.wireBox(region.box, latent: plan.latent)
        var latents = Reel_V1_TensorHeader()
        latents.name = "latents"
        assignment.latents = latents
        let box = region.box
        var tensors: [WireTensor] = []
        do {
            tensors.append(
                try WireTensor(
                    name: "latents", shape: [box.channels, box.frames.length, box.rows.length, box.columns.length], values: input))
            var embeds = Reel_V1_PromptEmbeds()
            embeds.embedsID = job.embedsID
            if !worker.sentEmbeds.contains(job.embedsID) {
                let width = job.model.textDim
                let prompt = try blobs.getFloats(job.promptSHA)
                var positive = Reel_V1_TensorHeader()
                positive.name = "prompt_embeds"
                embeds.positive = positive
                tensors.append(try WireTensor(name: "prompt_embeds", shape: [prompt.count / width, width], values: prompt))
                if let negativeSHA = job.negativeSHA {
                    let negative = try blobs.getFloats(negativeSHA)
                    var header = Reel_V1_TensorHeader()
                    header.name = "negative_prompt_embeds"
                    embeds.negative = header
                    tensors.append(
                        try WireTensor(name: "negative_prompt_embeds", shape: [negative.count / width, width], values: negative))
                }
                worker.sentEmbeds.insert(job.embedsID)
            }
            assignment.embeds = embeds
        } catch {
            failJob(id, reason: "cannot load the prompt embeddings of job \(id): \(error)")
            return
        }
        var envelope = Reel_V1_Envelope()
        envelope.body = .shardAssignment(assignment)
        worker.running.insert(.shard(job: id, shard))
        workers[peer] = worker
        if !send(envelope, tensors: tensors, to: peer) {
            workerLost(peer, reason: "unreachable", now: .now)
        }
    }

    func handleShardResult(peer: PeerID, _ result: Reel_V1_ShardResult, message: WireMessage) {
        guard let worker = workers[peer] else {
            refuse(peer, .notRegistered, "unknown worker: send hello again")
            reject(peer: peer, "result from an unregistered peer")
            return
        }
        let id = Int64(clamping: result.jobID)
        let shard = ShardID(region: Int(result.region), block: Int(result.block))
        let work = WorkRef.shard(job: id, shard)
        guard var job = jobs[id] else {
            reject(peer: peer, "result for unknown job \(id)")
            return
        }
        guard var record = job.shards[shard] else {
            reject(peer: peer, job: id, "result for unknown shard \(shard) of job \(id)")
            return
        }
        let token = Int(result.attempt)
        guard case .leased(let holder, let attempt, _) = record.machine.state, holder == worker.name, token == record.token else {
            reject(peer: peer, job: id, shard: shard, "stale result: attempt \(token) from \(worker.name), shard is \(record.machine.state.name.rawValue) at attempt \(record.token)")
            workers[peer]?.running.remove(work)
            return
        }
        workers[peer]?.running.remove(work)
        let box = job.plan.regions[shard.region].box
        let expected = [box.channels, box.frames.length, box.rows.length, box.columns.length]
        guard let tensor = message.tensor(for: result.latents), tensor.shape == expected else {
            let shape = message.tensor(for: result.latents)?.shape ?? []
            reject(peer: peer, job: id, shard: shard, "result latents have shape \(shape), expected \(expected)")
            lose(job: id, shard: shard, worker: worker.name, reason: "worker returned latents of shape \(shape), expected \(expected)", now: .now) {
                $0.fail(by: worker.name, attempt: attempt, reason: "wrong output shape", now: .now)
            }
            return
        }
        guard tensor.values.allSatisfy(\.isFinite) else {
            lose(job: id, shard: shard, worker: worker.name, reason: "non-finite output from \(worker.name)", now: .now) {
                $0.fail(by: worker.name, attempt: attempt, reason: "non-finite output", now: .now)
            }
            return
        }
        // Durable before acknowledged: the output is fsync'd, then its address and
        // the dependents' readiness commit in one transaction.
        let sha: String
        do {
            sha = try blobs.putFloats(tensor.values)
        } catch {
            logger.error("cannot store shard output", metadata: ["shard": "\(shard)", "error": "\(error)"])
            lose(job: id, shard: shard, worker: worker.name, reason: "coordinator could not store the output: \(error)", now: .now) {
                $0.fail(by: worker.name, attempt: attempt, reason: "storage failure", now: .now)
            }
            return
        }
        let newlyReady = job.newlyReady(after: shard)
        do {
            guard try store.completeShard(
                job: id, shard: shard, attempt: token, worker: worker.name, outputSHA: sha, newlyReady: newlyReady)
            else {
                reject(peer: peer, job: id, shard: shard, "stale result: the database holds a newer lease of \(shard)")
                return
            }
        } catch {
            logger.error("cannot record shard result", metadata: ["shard": "\(shard)", "error": "\(error)"])
            return
        }
        _ = record.machine.complete(by: worker.name, attempt: attempt)
        record.outputSHA = sha
        job.shards[shard] = record
        for dependent in newlyReady { _ = job.shards[dependent]?.machine.dependenciesMet() }
        job.remember(shard, output: tensor.values)
        jobs[id] = job
        workers[peer]?.shardsDone += 1
        shardsCompleted += 1
        if job.allShardsDone { startDecode(id) }
    }

    func handleFailure(peer: PeerID, _ failure: Reel_V1_ShardFailure) {
        guard let worker = workers[peer] else {
            reject(peer: peer, "failure report from an unregistered peer")
            return
        }
        let id = Int64(clamping: failure.jobID)
        let reason = "\(Self.failureClass(failure.failureClass)) on \(worker.name): \(failure.message.prefix(500))"
        if failure.kind == .decode {
            handleChunkFailure(
                peer: peer, worker: worker.name, job: id, chunk: Int(failure.chunk), token: Int(failure.attempt), reason: reason,
                countsAgainstWorker: failure.failureClass != .cancelled)
            return
        }
        let shard = ShardID(region: Int(failure.region), block: Int(failure.block))
        workers[peer]?.running.remove(.shard(job: id, shard))
        guard let record = jobs[id]?.shards[shard], case .leased(let holder, let attempt, _) = record.machine.state,
            holder == worker.name, record.token == Int(failure.attempt)
        else {
            reject(peer: peer, job: id, shard: shard, "failure for a shard this worker does not hold: \(reason)")
            return
        }
        logger.warning("shard failed", metadata: ["job": "\(id)", "shard": "\(shard)", "reason": "\(reason)"])
        // A hand-back (cancelled: draining or full) says nothing about the worker's health.
        if failure.failureClass != .cancelled {
            do { try store.recordWorkerFailure(job: id, worker: worker.name) } catch {
                logger.error("cannot record worker failure", metadata: ["error": "\(error)"])
            }
        }
        lose(job: id, shard: shard, worker: worker.name, reason: reason, now: .now) {
            $0.fail(by: worker.name, attempt: attempt, reason: reason, now: .now)
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

    /// Leases past their expiry (a worker alive but stuck) are lost.
    func checkLeases(now: Timestamp) {
        for (id, job) in jobs {
            for (shard, record) in job.shards {
                guard case .leased(let holder, _, let expiresAt) = record.machine.state, expiresAt <= now else { continue }
                for peer in workers.keys where workers[peer]?.name == holder { workers[peer]?.running.remove(.shard(job: id, shard)) }
                lose(job: id, shard: shard, worker: holder, reason: "lease of \(holder) expired", now: now) {
                    $0.leaseExpired(now: now)
                }
            }
            checkChunkLeases(job: id, now: now)
        }
    }

    /// `worker` no longer runs `shard` (disconnected or gone).
    func loseShard(job: Int64, shard: ShardID, worker: String, reason: String, now: Timestamp) {
        lose(job: job, shard: shard, worker: worker, reason: reason, now: now) { $0.workerLost(worker, now: now) }
    }

    /// Applies a losing event to the shard's machine and persists the outcome:
    /// back to the queue after a backoff, or the job fails when out of attempts.
    func lose(
        job id: Int64, shard: ShardID, worker: String, reason: String, now: Timestamp,
        _ event: (inout ShardStateMachine) -> ShardStateMachine.Action
    ) {
        guard var record = jobs[id]?.shards[shard] else { return }
        let action = event(&record.machine)
        switch action {
        case .retry(_, _, let notBefore):
            do {
                _ = try store.failShard(job: id, shard: shard, attempt: record.token, worker: worker, reason: reason, notBefore: notBefore)
            } catch {
                logger.error("cannot requeue shard", metadata: ["shard": "\(shard)", "error": "\(error)"])
            }
            jobs[id]?.shards[shard] = record
            logger.info("shard requeued", metadata: ["job": "\(id)", "shard": "\(shard)", "reason": "\(reason)"])
        case .failJob(let why):
            do {
                _ = try store.failShardForGood(job: id, shard: shard, attempt: record.token, worker: worker, reason: why)
            } catch {
                logger.error("cannot fail shard", metadata: ["shard": "\(shard)", "error": "\(error)"])
            }
            jobs[id]?.shards[shard] = record
            failJob(id, reason: "shard \(shard) failed \(config.policy.maxAttempts) times; last: \(why)", persisted: true)
        default:
            break
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
        case .internal: return "internal error"
        default: return "failure"
        }
    }
}

extension BlobStore {
    /// Stores float32 values little-endian; returns their SHA-256.
    func putFloats(_ values: [Float]) throws -> String {
        try put(LittleEndianFloats.bytes(values))
    }

    /// Reads back what ``putFloats(_:)`` stored.
    func getFloats(_ sha: String) throws -> [Float] {
        let bytes = try get(sha)
        guard bytes.count % 4 == 0 else { throw CoordinatorError.corruptBlob(sha: sha, bytes: bytes.count) }
        return bytes.withUnsafeBytes { LittleEndianFloats.values($0) }
    }
}
