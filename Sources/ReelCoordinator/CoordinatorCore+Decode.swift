import Foundation
import ReelPlan
import ReelWire

/// The decode stage's decisions: the finished clip blended once every shard is
/// done, its chunks leased to workers, their segments recorded, and the video
/// joined once every segment is stored.
extension CoordinatorCore {
    /// Every last-block shard is done: order the clip blended (the blend records
    /// `latents_sha256` and the decode chunks, and moves the job to decoding).
    mutating func startFinalBlend(_ id: Int64) -> [CoordinatorAction] {
        guard var job = jobs[id], job.machine.state.name == .running, job.allShardsDone, job.checks.isEmpty, job.invalidating == 0, !job.finishing else { return [] }
        let outputs: [Int: String]
        do { outputs = try job.finalOutputs() } catch {
            return failJob(id, reason: "cannot blend the finished latents: \(error)")
        }
        job.finishing = true
        jobs[id] = job
        let warmup = job.decodeWarmup ?? config.decodeWarmup
        let size = DecodeChunk.size(warmup: warmup, minimum: config.decodeChunkFrames, maxOverhead: config.maxDecodeOverhead)
        let chunks = job.plan.decodeChunks(size: size, warmup: warmup)
        return [.blendClip(job: id, plan: job.plan, outputs: outputs, chunks: chunks)]
    }

    /// The blend answered: the job decodes, waits to try again, or fails.
    mutating func clipBlended(_ id: Int64, outcome: Result<BlendedClip, OffLoopFailure>) -> [CoordinatorAction] {
        guard var job = jobs[id] else { return [] }
        job.finishing = false
        switch outcome {
        case .success(let clip):
            guard case .decode = job.machine.shardsDone() else {
                jobs[id] = job
                return []
            }
            job.decode = DecodeProgress(chunks: clip.chunks, latentsSHA: clip.latentsSHA, policy: config.policy)
            jobs[id] = job
            return [
                // The finished latents are stored: the last block's outputs are not needed again.
                .collectBlobs(job: id, shards: job.plan.finalShards.compactMap { shard in job.shards[shard]?.outputSHA.map { (shard, $0) } }, chunks: []),
                .log(
                    .info, "job blended; decoding",
                    ["job": "\(id)", "latents_sha256": "\(clip.latentsSHA)", "chunks": "\(clip.chunks.count)",
                     "decode_work_ratio": "\(DecodeChunk.workRatio(clip.chunks))"]),
            ]
        case .failure(let failure):
            jobs[id] = job
            guard failure.transient else { return failJob(id, reason: failure.description) }
            // The job stays running with every shard done; the reconciler starts the blend again.
            return [.log(.error, "cannot start decoding yet", ["job": "\(id)", "error": "\(failure)"])]
        }
    }

    /// The database leased decode chunks to a worker: memory leases them too and
    /// has their assignments built; a claim memory refuses goes back at once.
    mutating func chunksClaimed(peer: PeerID, worker name: String, claims: Result<[ChunkClaim], StoreFailure>, at time: LoopTime) -> [CoordinatorAction] {
        var claimed: [ChunkClaim] = []
        switch claims {
        case .success(let granted): claimed = granted
        case .failure(let error): return [.log(.error, "claim of decode chunks failed", ["worker": "\(name)", "error": "\(error)"])]
        }
        var actions: [CoordinatorAction] = []
        for claim in claimed {
            let index = claim.chunk, work = WorkRef.chunk(job: claim.job, claim.chunk)
            guard workers[peer]?.name == name, var job = jobs[claim.job], var decode = job.decode, decode.chunks.indices.contains(index) else {
                actions.append(.release(work, token: claim.attempt, worker: name, why: "its job is not decoding here", readBack: false))
                continue
            }
            let action = decode.machines[index].take(claimOf: name, attempt: claim.attempt, now: time.stamp)
            guard case .dispatch = action else {
                actions.append(.release(work, token: claim.attempt, worker: name, why: "\(action)", readBack: false))
                continue
            }
            decode.tokens[index] = claim.attempt
            job.decode = decode
            jobs[claim.job] = job
            workers[peer]?.running[work] = time.instant
            actions.append(
                .buildChunkAssignment(
                    ChunkAssignmentOrder(
                        peer: peer, job: claim.job, chunk: decode.chunks[index], token: claim.attempt, model: job.request.model,
                        latent: job.plan.latent, fps: job.plan.geometry.job.fps, latentsSHA: decode.latentsSHA,
                        still: job.request.isStill,
                        laterStart: job.plan.readsLaterStart(decode.chunks[index]))))
        }
        return actions
    }

    /// A decoded chunk's segment arrived. The worker's slot is freed; a current
    /// one is ordered recorded, and until that answers it is not requeued.
    mutating func decodeResult(peer: PeerID, _ result: Reel_V1_DecodeResult, at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.chunk(job: Int64(clamping: result.jobID), Int(result.chunk))
        let pulled = intake.arrived(work, attempt: Int(result.attempt), from: peer)
        let actions = acceptDecodeResult(peer: peer, result)
        // A pulled result that is not being recorded left memory: its place goes to the next.
        return pulled ? actions + settleIfNotRecording(work, at: time) : actions
    }

    private mutating func acceptDecodeResult(peer: PeerID, _ result: Reel_V1_DecodeResult) -> [CoordinatorAction] {
        guard let worker = workers[peer] else {
            return [.refuse(peer, .notRegistered, "unknown worker: send hello again"), reject(peer, "decode result from an unregistered peer")]
        }
        let id = Int64(clamping: result.jobID)
        let index = Int(result.chunk)
        let work = WorkRef.chunk(job: id, index)
        let token = Int(result.attempt)
        workers[peer]?.running[work] = nil
        guard let decode = jobs[id]?.decode, decode.chunks.indices.contains(index) else {
            return [reject(peer, job: id, "decode result for job \(id) chunk \(index), which is not being decoded")]
        }
        guard case .leased(let holder, _, _) = decode.machines[index].state, holder == worker.name, decode.tokens[index] == token,
            !persisting.contains(work)
        else {
            return [reject(peer, job: id, "stale decode result for chunk \(index) (attempt \(token))")]
        }
        persisting.insert(work)
        return [
            .recordSegment(
                SegmentResultOrder(
                    peer: peer, worker: worker.name, job: id, chunk: index, token: token, expectedFrames: decode.chunks[index].pixelFrames.count,
                    result: result, width: jobs[id]?.plan.geometry.job.width ?? 0, height: jobs[id]?.plan.geometry.job.height ?? 0,
                    still: jobs[id]?.request.isStill ?? false))
        ]
    }

    /// What the `records` lane made of a segment.
    mutating func segmentRecorded(peer: PeerID, worker: String, job id: Int64, chunk index: Int, attempt: Int, outcome: RecordOutcome, at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.chunk(job: id, index)
        persisting.remove(work)
        let pulls = pull(intake.settled(work, now: time.instant), at: time)
        return pulls + applySegment(peer: peer, worker: worker, job: id, chunk: index, attempt: attempt, outcome: outcome, at: time)
    }

    private mutating func applySegment(peer: PeerID, worker: String, job id: Int64, chunk index: Int, attempt: Int, outcome: RecordOutcome, at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.chunk(job: id, index)
        let tries = leaseTries(of: work, worker: worker, token: attempt)
        guard var job = jobs[id], var decode = job.decode, decode.chunks.indices.contains(index) else { return [] }
        switch outcome {
        case .committed(let sha, _):
            var actions: [CoordinatorAction] = []
            if case .rejected(let why) = decode.machines[index].complete(by: worker, attempt: tries ?? -1) {
                // The database committed it, so memory follows the database.
                actions.append(.log(.warning, "memory disagreed with a committed segment", ["chunk": "\(index)", "why": "\(why)"]))
                decode.machines[index] = ShardStateMachine(state: .done(worker: worker, attempt: attempt), policy: config.policy)
            }
            decode.tokens[index] = attempt
            decode.segments[index] = sha
            job.decode = decode
            jobs[id] = job
            if decode.isFinished { actions += startJoin(id) }
            return actions
        case .stale(let why):
            return [.reject(peer: peer, worker: worker, job: id, shard: nil, reason: "stale decode result from \(worker): \(why)"), .readBack(work, fallback: nil)]
        case .invalid(let why):
            return [
                .reject(peer: peer, worker: worker, job: id, shard: nil, reason: "\(worker), decode chunk \(index): \(why)"),
                .recordWorkerFailure(job: id, worker: worker),
            ] + lose(work, worker: worker, reason: "\(worker): \(why)", counting: .invalidResult) { $0.fail(by: worker, attempt: tries ?? -1, reason: why, now: time.stamp) }
        case .unrecorded(let why):
            return [
                .log(.error, "segment not recorded", ["job": "\(id)", "chunk": "\(index)", "why": "\(why)"]),
                .release(work, token: attempt, worker: worker, why: why, readBack: true),
            ]
        }
    }

    /// Every segment is stored: order them joined into the video (packets
    /// copied, not re-encoded) and the job recorded as succeeded.
    mutating func startJoin(_ id: Int64) -> [CoordinatorAction] {
        // Not while a check or an invalidation is open: either may abandon this decode.
        guard var job = jobs[id], let decode = job.decode, decode.isFinished, !job.finishing, job.checks.isEmpty, job.invalidating == 0 else { return [] }
        let segments = decode.segments.compactMap { $0 }
        guard segments.count == decode.chunks.count else { return [] }
        job.finishing = true
        jobs[id] = job
        let spec = job.plan.geometry.job
        // The video has the frames its chunks decode: 4·F_lat for a loop decoded as a
        // circle, the job's own for one whose decode began before (laid out start to end).
        let frames = decode.chunks.last?.pixelFrames.upperBound ?? spec.frames
        var description = VideoDescription(
            job: id, title: job.request.name ?? "reel job \(id)", seed: job.request.seed, model: job.request.model,
            prompt: job.request.prompt ?? "(prompt embeddings)", fps: spec.fps, width: spec.width, height: spec.height, frames: frames,
            still: job.request.isStill)
        description.addProvenance(of: job.request, modelDigest: modelDigest(job.request.model))
        description.extend = extendJoin(job.request, plan: job.plan)
        return [.joinVideo(job: id, description: description, segments: segments, latentsSHA: decode.latentsSHA)]
    }

    /// The join answered: the job succeeded, waits to try again, or fails.
    mutating func videoJoined(_ id: Int64, outcome: Result<String, OffLoopFailure>) -> [CoordinatorAction] {
        guard var job = jobs[id] else { return [] }
        job.finishing = false
        switch outcome {
        case .success(let videoSHA):
            var actions: [CoordinatorAction] = []
            if case .rejected(let why) = job.machine.decoded() {
                actions.append(.log(.warning, "memory disagreed with a finished job", ["job": "\(id)", "why": "\(why)"]))
            }
            jobs[id] = nil
            if let decode = job.decode {
                actions.append(.collectBlobs(job: id, shards: [], chunks: decode.segments.enumerated().compactMap { index, sha in sha.map { (index, $0) } }))
            }
            actions.append(
                .log(.info, "job succeeded", ["job": "\(id)", "latents_sha256": "\(job.decode?.latentsSHA ?? "")", "video_sha256": "\(videoSHA)"]))
            return actions
        case .failure(let failure):
            jobs[id] = job
            guard failure.transient else { return failJob(id, reason: failure.description) }
            return [.log(.error, "cannot finish the job yet", ["job": "\(id)", "error": "\(failure)"])]
        }
    }

    /// After `shard` committed: each of its inputs whose readers are all done
    /// now, whose output nobody reads again.
    func garbage(after shard: ShardID, job id: Int64) -> [(ShardID, String)] {
        guard let job = jobs[id] else { return [] }
        var garbage: [(ShardID, String)] = []
        for input in job.plan.dependencies(of: shard) {
            let readers = job.plan.dependents(of: input)
            guard readers.allSatisfy({ job.shards[$0]?.machine.state.name == .done && job.checks[$0] == nil }), let sha = job.shards[input]?.outputSHA else { continue }
            garbage.append((input, sha))
        }
        return garbage
    }
}
