import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelTensor
import ReelWire

/// The decode stage: the finished latents blended to disk, cut into chunks that
/// workers decode and encode as H.264 segments, and the segments joined into the
/// job's video without re-encoding.
extension Coordinator {
    /// The last block is done: blend the clip into a blob, record
    /// `latents_sha256` and the decode chunks, off the loop.
    func startFinalBlend(_ id: Int64) {
        guard var job = jobs[id], job.machine.state.name == .running, job.allShardsDone, !job.finishing else { return }
        let outputs: [Int: String]
        do { outputs = try job.finalOutputs() } catch {
            failJob(id, reason: "cannot blend the finished latents: \(error)")
            return
        }
        job.finishing = true
        jobs[id] = job
        let warmup = job.decodeWarmup ?? config.decodeWarmup
        let size = DecodeChunk.size(warmup: warmup, minimum: config.decodeChunkFrames, maxOverhead: config.maxDecodeOverhead)
        let chunks = DecodeChunk.layout(
            latentFrames: job.plan.latent.frames, size: size, warmup: warmup, temporalStride: job.model.temporalStride)
        let plan = job.plan, blobs = blobs, store = recordStore, window = config.recordRetryWindow, logger = logger
        let span = max(1, min(plan.config.window, plan.latent.frames))
        records.submit {
            let sha: String
            do {
                sha = try ClipBlend.blend(plan: plan, outputs: outputs, blobs: blobs, spanFrames: span)
            } catch {
                return .clipBlended(job: id, outcome: .failure(OffLoopFailure("cannot blend the finished latents: \(error)")))
            }
            let moved = Self.retrying(window: window, logger: logger, what: "start decoding job \(id)") {
                try store.value.startDecoding(job: id, latentsSHA: sha, chunks: chunks)
            }
            switch moved {
            case .success(true): return .clipBlended(job: id, outcome: .success(BlendedClip(latentsSHA: sha, chunks: chunks)))
            case .success(false):
                return .clipBlended(job: id, outcome: .failure(OffLoopFailure("job \(id) was no longer running in the database")))
            case .failure(let error):
                return .clipBlended(job: id, outcome: .failure(OffLoopFailure("cannot start decoding: \(error)", transient: true)))
            }
        }
    }

    /// Runs `body` until it succeeds, `settle` answers for a failure (it may read
    /// back what a lost commit did), or `window` has passed; the pause between
    /// tries doubles from 100 ms to 5 s. For work on a lane whose database may be
    /// away for a while: the result waits on disk meanwhile.
    static func retrying<T>(
        window: Duration, logger: Logger, what: String, _ body: () throws -> T, settle: (any Error) -> T? = { _ in nil }
    ) -> Result<T, any Error> {
        let deadline = ContinuousClock.now + window
        var pause = Duration.milliseconds(100)
        while true {
            do { return .success(try body()) } catch {
                if let settled = settle(error) { return .success(settled) }
                guard ContinuousClock.now < deadline else { return .failure(error) }
                logger.warning("cannot \(what) yet; retrying", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: pause.realSeconds)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }

    func clipBlended(_ id: Int64, _ outcome: Result<BlendedClip, OffLoopFailure>) {
        guard var job = jobs[id] else { return }
        job.finishing = false
        switch outcome {
        case .success(let clip):
            guard case .decode = job.machine.shardsDone() else {
                jobs[id] = job
                return
            }
            job.decode = DecodeProgress(chunks: clip.chunks, latentsSHA: clip.latentsSHA, policy: config.policy)
            jobs[id] = job
            // The finished latents are stored: the last block's outputs are not needed again.
            collect(job: id, shards: job.plan.finalShards.compactMap { shard in job.shards[shard]?.outputSHA.map { (shard, $0) } })
            logger.info(
                "job blended; decoding",
                metadata: ["job": "\(id)", "latents_sha256": "\(clip.latentsSHA)", "chunks": "\(clip.chunks.count)",
                           "decode_work_ratio": "\(DecodeChunk.workRatio(clip.chunks))"])
        case .failure(let failure):
            jobs[id] = job
            if failure.transient {
                // The job stays running with every shard done; the reconciler starts the blend again.
                logger.error("cannot start decoding yet", metadata: ["job": "\(id)", "error": "\(failure)"])
            } else {
                failJob(id, reason: failure.description)
            }
        }
    }

    func dispatchChunks(to peer: PeerID, limit: Int, now: Timestamp) {
        guard let worker = workers[peer], !worker.models.isEmpty else { return }
        let claimed: [ClaimedDecodeChunk]
        do {
            claimed = try store.claimDecodeChunks(
                worker: worker.name, models: worker.models.keys.sorted(), limit: limit, now: now,
                leaseDuration: config.policy.leaseDuration, maxTries: config.policy.maxAttempts,
                blocklistThreshold: config.blocklistThreshold)
        } catch {
            logger.error("claim of decode chunks failed", metadata: ["worker": "\(worker.name)", "error": "\(error)"])
            return
        }
        for claim in claimed {
            let index = claim.chunk
            guard var job = jobs[claim.job], var decode = job.decode, decode.chunks.indices.contains(index) else {
                release(.decodeChunk(index), job: claim.job, attempt: claim.attempt, worker: worker.name, why: "its job is not decoding here")
                continue
            }
            let action = decode.machines[index].lease(to: worker.name, now: now)
            guard case .dispatch = action else {
                release(.decodeChunk(index), job: claim.job, attempt: claim.attempt, worker: worker.name, why: "\(action)")
                continue
            }
            decode.tokens[index] = claim.attempt
            job.decode = decode
            jobs[claim.job] = job
            let work = WorkRef.chunk(job: claim.job, index)
            workers[peer]?.running[work] = .now
            let chunk = decode.chunks[index], latent = job.plan.latent, spec = job.plan.geometry.job
            let latentsSHA = decode.latentsSHA, blobs = blobs, token = claim.attempt, id = claim.job
            var assignment = Reel_V1_DecodeAssignment()
            assignment.jobID = UInt64(id)
            assignment.chunk = UInt32(index)
            assignment.attempt = UInt32(token)
            assignment.model = job.request.model
            assignment.frameBegin = UInt32(chunk.frames.lowerBound)
            assignment.frameEnd = UInt32(chunk.frames.upperBound)
            assignment.warmupFrames = UInt32(chunk.warmup)
            assignment.normalize = true
            var encoding = Reel_V1_VideoEncoding()
            encoding.fps = UInt32(spec.fps)
            encoding.crf = config.crf
            encoding.preset = config.preset
            assignment.encoding = encoding
            var header = Reel_V1_TensorHeader()
            header.name = "latents"
            assignment.latents = header
            let message = assignment
            inputs.submit {
                do {
                    let values = try ClipBlend.read(latentsSHA, latent: latent, frames: chunk.inputFrames, blobs: blobs)
                    let tensor = try WireTensor(
                        name: "latents", shape: [latent.channels, chunk.inputFrames.count, latent.height, latent.width], values: values)
                    var envelope = Reel_V1_Envelope()
                    envelope.body = .decodeAssignment(message)
                    return .assignmentBuilt(peer: peer, work: work, token: token, frames: .success(try WireCodec.encode(envelope, tensors: [tensor])))
                } catch {
                    return .assignmentBuilt(
                        peer: peer, work: work, token: token,
                        frames: .failure(OffLoopFailure("cannot read the latents of decode chunk \(index): \(error)")))
                }
            }
        }
    }

    /// A decoded chunk's segment: checked against the lease here, then checked,
    /// stored and recorded on the `records` lane.
    func handleDecodeResult(peer: PeerID, _ result: Reel_V1_DecodeResult, frames: [Data]) {
        guard let worker = workers[peer] else {
            refuse(peer, .notRegistered, "unknown worker: send hello again")
            reject(peer: peer, "decode result from an unregistered peer")
            return
        }
        let id = Int64(clamping: result.jobID)
        let index = Int(result.chunk)
        let work = WorkRef.chunk(job: id, index)
        let token = Int(result.attempt)
        workers[peer]?.running[work] = nil
        guard let job = jobs[id], let decode = job.decode, decode.chunks.indices.contains(index) else {
            reject(peer: peer, job: id, "decode result for job \(id) chunk \(index), which is not being decoded")
            return
        }
        guard case .leased(let holder, _, _) = decode.machines[index].state, holder == worker.name, decode.tokens[index] == token,
            !persisting.contains(work)
        else {
            reject(peer: peer, job: id, "stale decode result for chunk \(index) (attempt \(token))")
            return
        }
        persisting.insert(work)
        let chunk = decode.chunks[index]
        let expectedFrames = chunk.pixelFrames.count
        let name = worker.name, blobs = blobs, store = recordStore, window = config.recordRetryWindow, logger = logger
        records.submit {
            let outcome: RecordOutcome
            do {
                try WireCodec.checkSegment(result)
                guard Int(result.frameCount) == expectedFrames else {
                    return .segmentRecorded(
                        peer: peer, worker: name, job: id, chunk: index, attempt: token,
                        outcome: .invalid("segment has \(result.frameCount) frames, expected \(expectedFrames)"))
                }
                let sha = try blobs.put(Array(result.segment))
                let item = WorkItem.decodeChunk(index)
                outcome = Self.recordWithRetry(store: store.value, window: window, logger: logger, item: item, job: id, sha: sha) {
                    let committed = try store.value.completeDecodeChunk(job: id, chunk: index, attempt: token, worker: name, outputSHA: sha)
                    return committed ? [] : nil
                } settle: { (status: WorkStatus) -> [ShardID]? in
                    let done = status.state == ShardState.Name.done && status.outputSHA == sha && status.attempt == token
                    return done ? [] : nil
                }
            } catch let error as WireError {
                outcome = .invalid("\(error)")
            } catch {
                outcome = .unrecorded("cannot store the segment: \(error)")
            }
            return .segmentRecorded(peer: peer, worker: name, job: id, chunk: index, attempt: token, outcome: outcome)
        }
    }

    func segmentRecorded(peer: PeerID, worker: String, job id: Int64, chunk index: Int, attempt: Int, outcome: RecordOutcome) {
        let work = WorkRef.chunk(job: id, index)
        persisting.remove(work)
        pull(intake.settled(work, now: .now))
        guard var job = jobs[id], var decode = job.decode, decode.chunks.indices.contains(index) else { return }
        switch outcome {
        case .committed(let sha, _):
            if case .rejected(let why) = decode.machines[index].complete(by: worker, attempt: attempt) {
                logger.warning("memory disagreed with a committed segment", metadata: ["chunk": "\(index)", "why": "\(why)"])
                decode.machines[index] = ShardStateMachine(state: .done(worker: worker, attempt: attempt), policy: config.policy)
            }
            decode.segments[index] = sha
            job.decode = decode
            jobs[id] = job
            if decode.isFinished { startJoin(id) }
        case .stale(let why):
            reject(peer: peer, job: id, "stale decode result from \(worker): \(why)")
            adoptDatabaseState(job: id, item: .decodeChunk(index))
        case .invalid(let why):
            reject(peer: peer, job: id, "\(worker), decode chunk \(index): \(why)")
            recordWorkerFailure(job: id, worker: worker)
            lose(work, worker: worker, reason: "\(worker): \(why)") { $0.fail(by: worker, attempt: attempt, reason: why, now: self.clock.now) }
        case .unrecorded(let why):
            logger.error("segment not recorded", metadata: ["job": "\(id)", "chunk": "\(index)", "why": "\(why)"])
            release(.decodeChunk(index), job: id, attempt: attempt, worker: worker, why: why)
            adoptDatabaseState(job: id, item: .decodeChunk(index))
        }
    }

    /// Every segment is stored: join them into the video (packets copied, not
    /// re-encoded), store it by content and mark the job done, off the loop.
    func startJoin(_ id: Int64) {
        guard var job = jobs[id], let decode = job.decode, decode.isFinished, !job.finishing else { return }
        let segments = decode.segments.compactMap { $0 }
        guard segments.count == decode.chunks.count else { return }
        job.finishing = true
        jobs[id] = job
        let spec = job.plan.geometry.job
        let description = VideoDescription(
            job: id, title: job.request.name ?? "reel job \(id)", seed: job.request.seed, model: job.request.model,
            prompt: job.request.prompt ?? "(prompt embeddings)", fps: spec.fps, width: spec.width, height: spec.height, frames: spec.frames)
        let blobs = blobs, store = recordStore, joiner = videoJoiner, latentsSHA = decode.latentsSHA
        let window = config.recordRetryWindow, logger = logger
        records.submit {
            let videoSHA: String
            do {
                let paths = try segments.map { sha throws(StoreError) in try blobs.path(of: sha) }
                let output = try blobs.temporaryFile().appendingPathExtension("mp4")
                defer { try? FileManager.default.removeItem(at: output) }
                try joiner(description, paths, output)
                videoSHA = try blobs.adopt(output)
            } catch {
                return .videoJoined(job: id, outcome: .failure(OffLoopFailure("cannot join the video: \(error)")))
            }
            let finished = Self.retrying(window: window, logger: logger, what: "record job \(id) as succeeded") {
                try store.value.finishJob(id: id, latentsSHA: latentsSHA, outputSHA: videoSHA)
            }
            switch finished {
            case .success(true): return .videoJoined(job: id, outcome: .success(videoSHA))
            case .success(false): return .videoJoined(job: id, outcome: .failure(OffLoopFailure("job \(id) was no longer decoding in the database")))
            case .failure(let error):
                return .videoJoined(job: id, outcome: .failure(OffLoopFailure("cannot record the video: \(error)", transient: true)))
            }
        }
    }

    func videoJoined(_ id: Int64, _ outcome: Result<String, OffLoopFailure>) {
        guard var job = jobs[id] else { return }
        job.finishing = false
        switch outcome {
        case .success(let videoSHA):
            if case .rejected(let why) = job.machine.decoded() {
                logger.warning("memory disagreed with a finished job", metadata: ["job": "\(id)", "why": "\(why)"])
            }
            jobs[id] = nil
            if let decode = job.decode {
                collect(job: id, chunks: decode.segments.enumerated().compactMap { index, sha in sha.map { (index, $0) } })
            }
            logger.info(
                "job succeeded",
                metadata: ["job": "\(id)", "latents_sha256": "\(job.decode?.latentsSHA ?? "")", "video_sha256": "\(videoSHA)"])
        case .failure(let failure):
            jobs[id] = job
            if failure.transient {
                logger.error("cannot finish the job yet", metadata: ["job": "\(id)", "error": "\(failure)"])
            } else {
                failJob(id, reason: failure.description)
            }
        }
    }

    /// The job fails with `reason` (already recorded in the database when
    /// `persisted`); its workers are told to stop.
    func failJob(_ id: Int64, reason: String, persisted: Bool = false) {
        guard var job = jobs[id] else { return }
        guard case .abort = job.machine.fail(reason: reason) else { return }
        if !persisted {
            do {
                if try !store.setJobState(id: id, to: .failed, from: [.running, .decoding, .queued], reason: reason) {
                    logger.warning("job was not running in the database when it failed", metadata: ["job": "\(id)"])
                }
            } catch {
                // The reconciler compares the job with the database again.
                logger.error("cannot record job failure", metadata: ["job": "\(id)", "error": "\(error)"])
            }
        }
        job.decode = nil
        jobs[id] = job
        revokeWork(of: id, reason: "job \(id) failed")
        jobs[id] = nil
        logger.error("job failed", metadata: ["job": "\(id)", "reason": "\(reason)"])
    }

    /// Sends `Cancel` for everything of job `id` that workers hold, and frees
    /// their slots here: the coordinator no longer counts on those results.
    func revokeWork(of id: Int64, reason: String) {
        for (peer, worker) in workers {
            for work in worker.running.keys where work.job == id {
                var cancel = Reel_V1_Cancel()
                cancel.item = Self.wireItem(work, attempt: token(of: work) ?? 0)
                cancel.reason = reason
                var envelope = Reel_V1_Envelope()
                envelope.body = .cancel(cancel)
                send(envelope, to: peer)
                workers[peer]?.running[work] = nil
            }
        }
    }
}
