import Foundation
import ReelPlan
import ReelStore
import ReelTensor
import ReelWire

/// The decode stage: the finished latents cut into chunks that workers decode,
/// and their frames streamed in order into the job's video.
extension Coordinator {
    /// The last block is done: blend the clip, record `latents_sha256`, and queue the chunks.
    func startDecode(_ id: Int64) {
        guard var job = jobs[id] else { return }
        guard case .decode = job.machine.shardsDone() else { return }
        let latents: [Float]
        do {
            latents = try job.finalLatents { sha throws in try blobs.getFloats(sha) }
        } catch {
            jobs[id] = job
            failJob(id, reason: "cannot blend the finished latents: \(error)")
            return
        }
        let sha = SHA256.hex(SHA256.hash(littleEndian: latents))
        let chunks = DecodeChunk.layout(
            latentFrames: job.plan.latent.frames, size: config.decodeChunkFrames, warmup: job.decodeWarmup ?? config.decodeWarmup,
            temporalStride: job.model.temporalStride)
        do {
            guard try store.startDecoding(
                job: id, latentsSHA: sha,
                chunks: chunks.map { ReelStore.DecodeChunk(index: $0.index, frames: $0.frames, warmup: $0.warmup) }) else {
                logger.error("job was not running in the database when its shards finished", metadata: ["job": "\(id)"])
                return
            }
        } catch {
            logger.error("cannot start decoding", metadata: ["job": "\(id)", "error": "\(error)"])
            return
        }
        job.forgetOutputs()
        job.decode = DecodeProgress(chunks: chunks, latents: latents, latentsSHA: sha, policy: config.policy)
        jobs[id] = job
        logger.info("job blended; decoding", metadata: ["job": "\(id)", "latents_sha256": "\(sha)", "chunks": "\(chunks.count)"])
        openSink(id)
    }

    /// Opens the job's video file (a temporary name in the data directory).
    func openSink(_ id: Int64) {
        guard let job = jobs[id] else { return }
        let spec = job.plan.geometry.job
        let directory = (config.dataDirectory as NSString).appendingPathComponent("videos")
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("job-\(id).partial.mp4")
        let description = VideoDescription(
            job: id, title: job.request.name ?? "reel job \(id)",
            seed: job.request.seed, model: job.request.model, prompt: job.request.prompt ?? "(prompt embeddings)",
            fps: spec.fps, width: spec.width, height: spec.height, frames: spec.frames, path: path)
        do {
            sinks[id] = try videoSink(description)
        } catch {
            failJob(id, reason: "cannot open the video writer: \(error)")
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
            let index = claim.chunk.index
            guard var job = jobs[claim.job], var decode = job.decode, decode.chunks.indices.contains(index) else {
                logger.error("claimed a decode chunk of a job not decoding in memory", metadata: ["job": "\(claim.job)"])
                continue
            }
            guard case .dispatch = decode.machines[index].lease(to: worker.name, now: now) else { continue }
            decode.tokens[index] = claim.attempt
            job.decode = decode
            jobs[claim.job] = job
            let chunk = decode.chunks[index]
            let latent = job.plan.latent
            var assignment = Reel_V1_DecodeAssignment()
            assignment.jobID = UInt64(claim.job)
            assignment.chunk = UInt32(index)
            assignment.attempt = UInt32(claim.attempt)
            assignment.model = job.request.model
            assignment.frameBegin = UInt32(chunk.frames.lowerBound)
            assignment.frameEnd = UInt32(chunk.frames.upperBound)
            assignment.warmupFrames = UInt32(chunk.warmup)
            assignment.normalize = true
            var header = Reel_V1_TensorHeader()
            header.name = "latents"
            assignment.latents = header
            let values = decode.input(of: chunk, shape: latent)
            var envelope = Reel_V1_Envelope()
            envelope.body = .decodeAssignment(assignment)
            do {
                let tensor = try WireTensor(
                    name: "latents", shape: [latent.channels, chunk.inputFrames.count, latent.height, latent.width], values: values)
                workers[peer]?.running.insert(.chunk(job: claim.job, index))
                if !send(envelope, tensors: [tensor], to: peer) { workerLost(peer, reason: "unreachable", now: now) }
            } catch {
                logger.error("cannot encode decode chunk", metadata: ["error": "\(error)"])
            }
        }
    }

    func handleDecodeResult(peer: PeerID, _ result: Reel_V1_DecodeResult, message: WireMessage) {
        guard let worker = workers[peer] else {
            refuse(peer, .notRegistered, "unknown worker: send hello again")
            reject(peer: peer, "decode result from an unregistered peer")
            return
        }
        let id = Int64(clamping: result.jobID)
        let index = Int(result.chunk)
        workers[peer]?.running.remove(.chunk(job: id, index))
        guard var job = jobs[id], var decode = job.decode, decode.chunks.indices.contains(index) else {
            reject(peer: peer, job: id, "decode result for job \(id) chunk \(index), which is not being decoded")
            return
        }
        guard case .leased(let holder, let attempt, _) = decode.machines[index].state, holder == worker.name,
            decode.tokens[index] == Int(result.attempt)
        else {
            reject(peer: peer, job: id, "stale decode result for chunk \(index) (attempt \(result.attempt))")
            return
        }
        let chunk = decode.chunks[index]
        let spec = job.plan.geometry.job
        let expected = [3, chunk.pixelFrames.count, spec.height, spec.width]
        guard let frames = message.tensor(for: result.frames), frames.shape == expected else {
            let shape = message.tensor(for: result.frames)?.shape ?? []
            reject(peer: peer, job: id, "decode chunk \(index) has shape \(shape), expected \(expected)")
            loseChunk(job: id, chunk: index, worker: worker.name, reason: "wrong frame shape \(shape)", now: .now) {
                $0.fail(by: worker.name, attempt: attempt, reason: "wrong frame shape", now: .now)
            }
            return
        }
        let sha = SHA256.hex(SHA256.hash(littleEndian: frames.values))
        do {
            guard try store.completeDecodeChunk(job: id, chunk: index, attempt: Int(result.attempt), worker: worker.name, outputSHA: sha)
            else {
                reject(peer: peer, job: id, "stale decode result: the database holds a newer lease of chunk \(index)")
                return
            }
        } catch {
            logger.error("cannot record decode chunk", metadata: ["error": "\(error)"])
            return
        }
        _ = decode.machines[index].complete(by: worker.name, attempt: attempt)
        let release = decode.arrived(index, frames: frames.values)
        job.decode = decode
        jobs[id] = job
        guard let sink = sinks[id] else { return }
        do {
            for (released, values) in release {
                let n = decode.chunks[released].pixelFrames.count
                try sink.write(frames: values, count: n, height: spec.height, width: spec.width)
            }
        } catch {
            failJob(id, reason: "cannot write the video: \(error)")
            return
        }
        if decode.isFinished { finishJob(id) }
    }

    /// Every chunk is written: close the file, store it by content, mark the job done.
    func finishJob(_ id: Int64) {
        guard var job = jobs[id], let decode = job.decode, let sink = sinks.removeValue(forKey: id) else { return }
        do {
            let path = try sink.finish()
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let videoSHA = try blobs.put(Array(bytes))
            try? FileManager.default.removeItem(atPath: path)
            guard try store.finishJob(id: id, latentsSHA: decode.latentsSHA, outputSHA: videoSHA) else {
                logger.error("job was not decoding in the database when its video finished", metadata: ["job": "\(id)"])
                return
            }
            _ = job.machine.decoded()
            jobs[id] = nil
            logger.info(
                "job succeeded",
                metadata: ["job": "\(id)", "latents_sha256": "\(decode.latentsSHA)", "video_sha256": "\(videoSHA)", "bytes": "\(bytes.count)"])
        } catch {
            failJob(id, reason: "cannot store the video: \(error)")
        }
    }

    func handleChunkFailure(
        peer: PeerID, worker: String, job id: Int64, chunk index: Int, token: Int, reason: String, countsAgainstWorker: Bool
    ) {
        workers[peer]?.running.remove(.chunk(job: id, index))
        guard let decode = jobs[id]?.decode, decode.chunks.indices.contains(index),
            case .leased(let holder, let attempt, _) = decode.machines[index].state, holder == worker, decode.tokens[index] == token
        else {
            reject(peer: peer, job: id, "failure for a decode chunk this worker does not hold: \(reason)")
            return
        }
        if countsAgainstWorker {
            do { try store.recordWorkerFailure(job: id, worker: worker) } catch {
                logger.error("cannot record worker failure", metadata: ["error": "\(error)"])
            }
        }
        loseChunk(job: id, chunk: index, worker: worker, reason: reason, now: .now) {
            $0.fail(by: worker, attempt: attempt, reason: reason, now: .now)
        }
    }

    func checkChunkLeases(job id: Int64, now: Timestamp) {
        guard let decode = jobs[id]?.decode else { return }
        for (index, machine) in decode.machines.enumerated() {
            guard case .leased(let holder, _, let expiresAt) = machine.state, expiresAt <= now else { continue }
            for peer in workers.keys where workers[peer]?.name == holder { workers[peer]?.running.remove(.chunk(job: id, index)) }
            loseChunk(job: id, chunk: index, worker: holder, reason: "lease of \(holder) expired", now: now) { $0.leaseExpired(now: now) }
        }
    }

    func loseChunk(
        job id: Int64, chunk index: Int, worker: String, reason: String, now: Timestamp,
        _ event: ((inout ShardStateMachine) -> ShardStateMachine.Action)? = nil
    ) {
        guard var decode = jobs[id]?.decode, decode.chunks.indices.contains(index) else { return }
        let action = event.map { $0(&decode.machines[index]) } ?? decode.machines[index].workerLost(worker, now: now)
        let token = decode.tokens[index]
        jobs[id]?.decode = decode
        switch action {
        case .retry(_, _, let notBefore):
            do {
                _ = try store.failDecodeChunk(job: id, chunk: index, attempt: token, worker: worker, reason: reason, notBefore: notBefore)
            } catch {
                logger.error("cannot requeue decode chunk", metadata: ["error": "\(error)"])
            }
        case .failJob(let why):
            do {
                _ = try store.failDecodeChunkForGood(job: id, chunk: index, attempt: token, worker: worker, reason: why)
            } catch {
                logger.error("cannot fail decode chunk", metadata: ["error": "\(error)"])
            }
            failJob(id, reason: "decode chunk \(index) failed \(config.policy.maxAttempts) times; last: \(why)", persisted: true)
        default:
            break
        }
    }

    /// The job fails with `reason` (already recorded in the database when
    /// `persisted`); its workers are told to stop and its partial video is dropped.
    func failJob(_ id: Int64, reason: String, persisted: Bool = false) {
        guard var job = jobs[id] else { return }
        guard case .abort = job.machine.fail(reason: reason) else { return }
        if !persisted {
            do { _ = try store.setJobState(id: id, to: .failed, from: [.running, .decoding, .queued], reason: reason) } catch {
                logger.error("cannot record job failure", metadata: ["job": "\(id)", "error": "\(error)"])
            }
        }
        jobs[id] = job
        sinks.removeValue(forKey: id)?.abort()
        job.decode = nil
        jobs[id] = job
        revokeWork(of: id)
        logger.error("job failed", metadata: ["job": "\(id)", "reason": "\(reason)"])
    }

    /// Sends `Cancel` for everything of job `id` that workers hold.
    func revokeWork(of id: Int64) {
        for (peer, worker) in workers {
            for work in worker.running where work.job == id {
                var item = Reel_V1_WorkItem()
                item.jobID = UInt64(id)
                switch work {
                case .shard(_, let shard):
                    item.kind = .denoise
                    item.region = UInt32(shard.region)
                    item.block = UInt32(shard.block)
                case .chunk(_, let chunk):
                    item.kind = .decode
                    item.chunk = UInt32(chunk)
                }
                var cancel = Reel_V1_Cancel()
                cancel.item = item
                cancel.reason = "job \(id) stopped"
                var envelope = Reel_V1_Envelope()
                envelope.body = .cancel(cancel)
                send(envelope, to: peer)
            }
        }
    }
}
