import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelWire

/// The I/O layer: events go into the ``CoordinatorCore``, and every action it
/// returns is carried out here, in order. An action that runs a statement feeds
/// its outcome back to the core as the next event at once, so the core's
/// decisions and their effects keep the order they had when the two were one.
extension Coordinator {
    /// Now, as the core takes it.
    func time() -> LoopTime { LoopTime(instant: .now, stamp: clock.now) }

    /// Gives `event` to the core and carries out what it decides.
    func feed(_ event: CoordinatorEvent) {
        perform(core.handle(event))
    }

    func perform(_ actions: [CoordinatorAction]) {
        for action in actions { carryOut(action) }
    }

    private func carryOut(_ action: CoordinatorAction) {
        switch action {
        case .welcome(let peer, let name):
            welcome(peer, name: name)
        case .refuse(let peer, let reason, let message):
            refuse(peer, reason, message)
        case .send(let frames, let peer):
            if !send(frames: frames, to: peer) { feed(.peerUnreachable(peer, reason: "unreachable", at: time())) }
        case .pullResult(let offer):
            sendPull(offer)
        case .discardResult(let offer, let reason):
            sendDiscard(offer, reason: reason)
        case .cancel(let peer, let work, let token, let reason):
            sendCancel(work, token: token, reason: reason, to: peer)
        case .heartbeat(let peers, let names):
            sendHeartbeats(to: peers, names: names)
        case .log(let level, let message, let metadata):
            logger.log(level: level, "\(message)", metadata: metadata)
        case .reject(let peer, let worker, let job, let shard, let reason):
            reject(peer: peer, worker: worker, job: job, shard: shard, reason)
        case .appendEvent(let job, let shard, let worker, let kind, let detail):
            record(job: job, shard: shard, worker: worker, kind: kind, detail)
        case .tally(.reregistration):
            statistics.reregistrations += 1
        case .tally(.shardCompleted):
            statistics.shardsCompleted += 1
        case .tally(.rerun):
            statistics.reruns += 1
        case .tally(.invalidated(let count)):
            statistics.shardsInvalidated += count
        case .tally(.resultsWaiting(let count)):
            statistics.resultsWaiting = count
        case .tally(.retry):
            metrics.retries.increment()
        case .tally(.failure(let reason)):
            metrics.failures[reason]?.increment()
        case .registerWorker, .setWorkerState, .extendLeases, .claimShards, .claimChunks, .claimEncodings, .claimSources, .readActiveJobs:
            runOnStatementsLane(action)
        case .release(let work, let token, let worker, let why, let readBack):
            let outcome = StoreOutcome.of { try store.releaseClaim(work.item, job: work.job, attempt: token, worker: worker) }
            feed(.released(work, token: token, why: why, outcome: outcome, readBack: readBack))
        case .requeue(let work, let token, let worker, let reason, let notBefore, let then):
            let outcome = StoreOutcome.of {
                switch work {
                case .shard(let job, let shard):
                    return try store.failShard(job: job, shard: shard, attempt: token, worker: worker, reason: reason, notBefore: notBefore)
                case .chunk(let job, let chunk):
                    return try store.failDecodeChunk(job: job, chunk: chunk, attempt: token, worker: worker, reason: reason, notBefore: notBefore)
                case .encoding(let job):
                    return try store.failPromptEncoding(job: job, attempt: token, worker: worker, reason: reason, notBefore: notBefore)
                case .source(let job, let index):
                    return try store.failSourceEncoding(
                        job: job, encoding: index, attempt: token, worker: worker, reason: reason, notBefore: notBefore)
                }
            }
            feed(.requeued(work, token: token, reason: reason, then: then, outcome: outcome))
        case .failForGood(let work, let token, let worker, let reason, let then):
            let outcome = StoreOutcome.of {
                switch work {
                case .shard(let job, let shard):
                    return try store.failShardForGood(job: job, shard: shard, attempt: token, worker: worker, reason: reason)
                case .chunk(let job, let chunk):
                    return try store.failDecodeChunkForGood(job: job, chunk: chunk, attempt: token, worker: worker, reason: reason)
                case .encoding(let job):
                    return try store.failPromptEncodingForGood(job: job, attempt: token, worker: worker, reason: reason)
                case .source(let job, let index):
                    return try store.failSourceEncodingForGood(job: job, encoding: index, attempt: token, worker: worker, reason: reason)
                }
            }
            feed(.failedForGood(work, token: token, reason: reason, then: then, outcome: outcome))
        case .readBack(let work, let fallback):
            let row = Result { () throws(StoreError) in try store.status(of: work.item, job: work.job) }
                .map { $0.map(Self.snapshot) }
                .mapError { StoreFailure("\($0)") }
            feed(.readBack(work, row: row, fallback: fallback))
        case .readBlocklist(let job, let able):
            let outcome = Result { () throws(StoreError) in try store.blocklisted(job: job, threshold: config.blocklistThreshold) }
                .mapError { StoreFailure("\($0)") }
            feed(.blocklistRead(job: job, able: able, outcome: outcome))
        case .recordWorkerFailure(let job, let worker):
            recordWorkerFailure(job: job, worker: worker)
        case .markReady(let job, let candidates, let cause):
            let outcome = Result { () throws(StoreError) in try store.markReadyIfInputsDone(job: job, candidates: candidates) }
                .mapError { StoreFailure("\($0)") }
            feed(.markedReady(job: job, outcome: outcome, because: cause))
        case .setJobFailed(let id, let reason):
            let outcome = StoreOutcome.of { try store.setJobState(id: id, to: .failed, from: [.running, .decoding, .queued], reason: reason) }
            feed(.jobFailureRecorded(id, outcome: outcome))
        case .buildShardAssignment(let order):
            buildAssignment(order)
        case .recordShardResult(let order):
            recordShardResult(order)
        case .buildChunkAssignment(let order):
            buildChunkAssignment(order)
        case .recordSegment(let order):
            recordSegment(order)
        case .blendClip(let job, let plan, let outputs, let chunks):
            blendClip(job: job, plan: plan, outputs: outputs, chunks: chunks)
        case .joinVideo(let job, let description, let segments, let latentsSHA):
            joinVideo(job: job, description: description, segments: segments, latentsSHA: latentsSHA)
        case .collectBlobs(let job, let shards, let chunks):
            collect(job: job, shards: shards, chunks: chunks)
        case .sendPromptAssignment(let peer, let assignment):
            var envelope = Reel_V1_Envelope()
            envelope.body = .promptAssignment(assignment)
            if !send(envelope, to: peer) { feed(.peerUnreachable(peer, reason: "unreachable", at: time())) }
        case .recordPromptResult(let order):
            recordPromptResult(order)
        case .buildSourceAssignment(let order):
            buildSourceAssignment(order)
        case .recordSourceResult(let order):
            recordSourceResult(order)
        case .compareRerun(let order):
            compareRerun(order)
        case .settleVerification(let job, let shard, let token, let adopt, let quarantine, let reason):
            settleVerification(job: job, shard: shard, token: token, adopt: adopt, quarantine: quarantine, reason: reason)
        case .forgetCheck(let job, let shard):
            forgetCheck(job: job, shard: shard)
        case .confirmResult(let job, let shard, let token):
            confirmResult(job: job, shard: shard, token: token)
        case .invalidateShards(let job, let shards, let candidates, let reason):
            invalidateShards(job: job, shards: shards, candidates: candidates, reason: reason)
        case .invalidateDecode(let job, let shards, let candidates, let reason):
            invalidateDecode(job: job, shards: shards, candidates: candidates, reason: reason)
        }
    }

    /// A row as the core takes it.
    static func snapshot(_ status: WorkStatus) -> ItemSnapshot {
        ItemSnapshot(state: state(status), token: status.attempt, worker: status.worker, outputSHA: status.outputSHA)
    }

    private func sendCancel(_ work: WorkRef, token: Int, reason: String, to peer: PeerID) {
        var cancel = Reel_V1_Cancel()
        cancel.item = Self.wireItem(work, attempt: token)
        cancel.reason = reason
        var envelope = Reel_V1_Envelope()
        envelope.body = .cancel(cancel)
        send(envelope, to: peer)
    }

    /// Counts a failure of `worker` on `job` towards its blocklist, off the loop.
    private func recordWorkerFailure(job: Int64, worker: String) {
        let store = recordStore, logger = logger
        records.submit {
            do { try store.value.recordWorkerFailure(job: job, worker: worker) } catch {
                logger.error("cannot record worker failure", metadata: ["error": "\(error)"])
            }
            return .none
        }
    }
}
