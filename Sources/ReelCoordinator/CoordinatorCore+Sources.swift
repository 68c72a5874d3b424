import Foundation
import ReelPlan
import ReelWire

/// Source encodings (issue 16): a job with conditioning items waits (its shards
/// pending) until a worker has VAE-encoded each item's source; the commit of the
/// last encoding (prompt or source) makes the first block ready and fills the
/// latents cache. Claimed on the `statements` lane like prompt encodings, one at
/// a time per worker; the assignment (which carries the source's bytes) is built
/// on the `inputs` lane, the result stored on the `records` lane.
extension CoordinatorCore {
    /// Models of running jobs with a source encoding ready to lease at `now`. Without
    /// `laterForm` (a worker that cannot encode later form), only models none of whose
    /// ready encodings is later form: the database's claim picks among a model's
    /// encodings, so such a worker claims none while one is waiting.
    func readySourceModels(now: Timestamp, laterForm: Bool = true) -> Set<String> {
        var models: Set<String> = [], refused: Set<String> = []
        for job in jobs.values where job.machine.state.name == .running {
            for (index, source) in job.sources {
                guard case .ready(_, let notBefore) = source.machine.state, notBefore.map({ $0 <= now }) ?? true else { continue }
                if !laterForm, job.conditioning?.items[safe: index]?.form == .later {
                    refused.insert(job.request.model)
                } else {
                    models.insert(job.request.model)
                }
            }
        }
        return models.subtracting(refused)
    }

    /// A claim of one source encoding for `worker`, if it encodes sources for a
    /// model with one waiting and is not encoding one already.
    func sourceClaim(for worker: ConnectedWorker, now: Timestamp, at time: LoopTime) -> CoordinatorAction? {
        guard worker.canEncodeSources, !worker.running.keys.contains(where: { if case .source = $0 { return true } else { return false } }) else {
            return nil
        }
        let models = readySourceModels(now: now, laterForm: worker.encodesLaterForm).intersection(worker.models.keys)
        guard !models.isEmpty else { return nil }
        return .claimSources(peer: worker.peer, worker: worker.name, models: models.sorted(), limit: 1, at: time)
    }

    /// The database leased source encodings to a worker: memory leases them too
    /// and has their assignments built; a claim memory refuses goes back at once.
    mutating func sourcesClaimed(peer: PeerID, worker name: String, claims: Result<[SourceClaim], StoreFailure>, at time: LoopTime)
        -> [CoordinatorAction]
    {
        let claimed: [SourceClaim]
        switch claims {
        case .success(let granted): claimed = granted
        case .failure(let error): return [.log(.error, "claim of source encodings failed", ["worker": "\(name)", "error": "\(error)"])]
        }
        var actions: [CoordinatorAction] = []
        for claim in claimed {
            let work = WorkRef.source(job: claim.job, claim.encoding)
            guard workers[peer]?.name == name, let job = jobs[claim.job], var source = job.sources[claim.encoding],
                let conditioning = job.conditioning, conditioning.items.indices.contains(claim.encoding)
            else {
                actions.append(.release(work, token: claim.attempt, worker: name, why: "its job is not waiting on that source here", readBack: false))
                continue
            }
            if conditioning.items[claim.encoding].form == .later, workers[peer]?.encodesLaterForm != true {
                // It would encode first form, which decodes to garbage there.
                let why = "worker \(name) cannot encode later form (no Hello.encodes_later_form): upgrade it"
                actions.append(.release(work, token: claim.attempt, worker: name, why: why, readBack: false))
                continue
            }
            let action = source.machine.take(claimOf: name, attempt: claim.attempt, now: time.stamp)
            guard case .dispatch = action else {
                actions.append(.release(work, token: claim.attempt, worker: name, why: "\(action)", readBack: false))
                continue
            }
            source.token = claim.attempt
            let resolved = conditioning.items[claim.encoding]
            // A row admitted before source forms may carry another form's key.
            let key = Coordinator.sourceCacheKey(resolved, request: job.request, modelDigest: modelDigest(job.request.model))
            source.caches = claim.cacheKey.map { $0 == key } ?? true
            jobs[claim.job]?.sources[claim.encoding] = source
            workers[peer]?.running[work] = time.instant
            let size = resolved.conformedSize(frameWidth: job.request.width, frameHeight: job.request.height)
            let item = resolved.item
            actions.append(
                .buildSourceAssignment(
                    SourceAssignmentOrder(
                        peer: peer, job: claim.job, encoding: claim.encoding, token: claim.attempt, model: job.request.model,
                        sourceSHA: claim.sourceSHA, kind: item.source.kind, width: size.width, height: size.height, fit: item.fit ?? .crop,
                        firstFrame: item.source.firstFrame ?? 0, frameCount: item.source.pixelFrames, fps: job.request.fps,
                        form: resolved.form)))
            actions.append(
                .log(.info, "source encoding leased", ["job": "\(claim.job)", "encoding": "\(claim.encoding)", "worker": "\(name)", "attempt": "\(claim.attempt)"]))
        }
        return actions
    }

    /// A worker's encoded source arrived. A current one is ordered recorded.
    mutating func sourceResult(peer: PeerID, job id: Int64, encoding index: Int, token: Int, frames: [Data], at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.source(job: id, index)
        let pulled = intake.arrived(work, attempt: token, from: peer)
        let actions = acceptSourceResult(peer: peer, job: id, encoding: index, token: token, frames: frames)
        return pulled ? actions + settleIfNotRecording(work, at: time) : actions
    }

    private mutating func acceptSourceResult(peer: PeerID, job id: Int64, encoding index: Int, token: Int, frames: [Data]) -> [CoordinatorAction] {
        guard let worker = workers[peer] else {
            return [.refuse(peer, .notRegistered, "unknown worker: send hello again"), reject(peer, "source result from an unregistered peer")]
        }
        let work = WorkRef.source(job: id, index)
        workers[peer]?.running[work] = nil
        guard let job = jobs[id], let source = job.sources[index], let resolved = job.conditioning?.items[safe: index] else {
            return [reject(peer, job: id, "source result for job \(id) encoding \(index), which is not waiting on it here")]
        }
        guard case .leased(let holder, _, _) = source.machine.state, holder == worker.name, source.token == token, !persisting.contains(work) else {
            return [
                reject(
                    peer, job: id,
                    "stale source result: attempt \(token) from \(worker.name), the encoding is \(source.machine.state.name.rawValue) at attempt \(source.token)")
            ]
        }
        persisting.insert(work)
        let box = resolved.box
        return [
            .recordSourceResult(
                SourceResultOrder(
                    peer: peer, worker: worker.name, job: id, encoding: index, token: token, model: job.request.model,
                    shape: [box.channels, box.frames.length, box.rows.length, box.columns.length], firstShards: job.firstShards, frames: frames,
                    cache: source.caches))
        ]
    }

    /// What the `records` lane made of an encoded source.
    mutating func sourceRecorded(
        peer: PeerID, worker: String, job id: Int64, encoding index: Int, attempt: Int, outcome: RecordOutcome, at time: LoopTime
    ) -> [CoordinatorAction] {
        let work = WorkRef.source(job: id, index)
        persisting.remove(work)
        let pulls = pull(intake.settled(work, now: time.instant), at: time)
        let tries = leaseTries(of: work, worker: worker, token: attempt)
        guard var source = jobs[id]?.sources[index] else { return pulls }
        switch outcome {
        case .committed(let latentsSHA, _):
            var actions = pulls
            if case .rejected(let why) = source.machine.complete(by: worker, attempt: tries ?? -1) {
                actions.append(.log(.warning, "memory disagreed with a committed source encoding", ["job": "\(id)", "why": "\(why)"]))
                source.machine = ShardStateMachine(state: .done(worker: worker, attempt: attempt), policy: config.policy)
            }
            source.token = attempt
            source.latentsSHA = latentsSHA
            jobs[id]?.sources[index] = source
            actions.append(.log(.info, "source encoded", ["job": "\(id)", "encoding": "\(index)", "worker": "\(worker)", "latents": "\(latentsSHA)"]))
            return actions + readyFirstBlockIfEncoded(id)
        case .stale(let why):
            return pulls + [
                .reject(peer: peer, worker: worker, job: id, shard: nil, reason: "stale source result from \(worker): \(why)"), .readBack(work, fallback: nil),
            ]
        case .invalid(let why):
            return pulls + [
                .reject(peer: peer, worker: worker, job: id, shard: nil, reason: "\(worker), source encoding \(index): \(why)"),
                .recordWorkerFailure(job: id, worker: worker),
            ] + lose(work, worker: worker, reason: "\(worker): \(why)") { $0.fail(by: worker, attempt: tries ?? -1, reason: why, now: time.stamp) }
        case .unrecorded(let why):
            return pulls + [
                .log(.error, "source result not recorded", ["job": "\(id)", "encoding": "\(index)", "why": "\(why)"]),
                .release(work, token: attempt, worker: worker, why: why, readBack: true),
            ]
        }
    }

    /// Once no encoding of job `id` (prompt or source) is left, its first block
    /// is ready: the commit of the last one made it so in the database, and memory follows.
    mutating func readyFirstBlockIfEncoded(_ id: Int64) -> [CoordinatorAction] {
        guard let job = jobs[id], job.encoding?.isDone ?? true, job.sources.values.allSatisfy(\.isDone) else { return [] }
        var actions: [CoordinatorAction] = []
        for shard in job.firstShards where jobs[id]?.shards[shard]?.machine.state.name == .pending {
            if case .rejected(let rejection)? = jobs[id]?.shards[shard]?.machine.dependenciesMet() {
                actions.append(.log(.warning, "a first-block shard refused to become ready", ["job": "\(id)", "shard": "\(shard)", "reason": "\(rejection.reason)"]))
            }
        }
        return actions
    }
}

extension JobRuntime {
    /// The shards that wait on nothing but the job's encodings: its first block's.
    var firstShards: [ShardID] { plan.shards.filter { $0.block == 0 } }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
