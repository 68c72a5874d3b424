import Foundation
import ReelPlan
import ReelWire

/// Prompt encodings: a job on a model with a real text encoder waits (its shards
/// pending) until a worker that can encode prompts for that model has encoded
/// them; the commit stores the embeddings, makes the first block ready and fills
/// the embeddings cache.
extension CoordinatorCore {
    /// Models of running jobs whose prompt encoding is ready to lease at `now`.
    func readyEncodingModels(now: Timestamp) -> Set<String> {
        var models: Set<String> = []
        for job in jobs.values where job.machine.state.name == .running && (job.encoding?.isReady(now: now) ?? false) {
            models.insert(job.request.model)
        }
        return models
    }

    /// A claim of one prompt encoding for `worker`, if it encodes prompts for a
    /// model with one waiting. One at a time: the encoder is large, and a job's
    /// shards all wait on its encoding, so it should not queue behind others.
    func encodingClaim(for worker: ConnectedWorker, now: Timestamp, at time: LoopTime) -> CoordinatorAction? {
        guard worker.canEncode, !worker.running.keys.contains(where: { if case .encoding = $0 { return true } else { return false } }) else {
            return nil
        }
        let models = readyEncodingModels(now: now).intersection(worker.textEncoders)
        guard !models.isEmpty else { return nil }
        return .claimEncodings(peer: worker.peer, worker: worker.name, models: models.sorted(), limit: 1, at: time)
    }

    /// The database leased prompt encodings to a worker: memory leases them too
    /// and sends the assignments; a claim memory refuses goes back at once.
    mutating func encodingsClaimed(peer: PeerID, worker name: String, claims: Result<[EncodingClaim], StoreFailure>, at time: LoopTime) -> [CoordinatorAction] {
        let claimed: [EncodingClaim]
        switch claims {
        case .success(let granted): claimed = granted
        case .failure(let error): return [.log(.error, "claim of prompt encodings failed", ["worker": "\(name)", "error": "\(error)"])]
        }
        var actions: [CoordinatorAction] = []
        for claim in claimed {
            let work = WorkRef.encoding(job: claim.job)
            guard workers[peer]?.name == name, var job = jobs[claim.job], var encoding = job.encoding else {
                actions.append(.release(work, token: claim.attempt, worker: name, why: "its job is not waiting on an encoding here", readBack: false))
                continue
            }
            let action = encoding.machine.take(claimOf: name, attempt: claim.attempt, now: time.stamp)
            guard case .dispatch = action else {
                actions.append(.release(work, token: claim.attempt, worker: name, why: "\(action)", readBack: false))
                continue
            }
            encoding.token = claim.attempt
            job.encoding = encoding
            jobs[claim.job] = job
            workers[peer]?.running[work] = time.instant
            var assignment = Reel_V1_PromptAssignment()
            assignment.jobID = UInt64(claim.job)
            assignment.attempt = UInt32(clamping: claim.attempt)
            assignment.model = job.request.model
            assignment.prompt = encoding.prompt
            if let negative = encoding.negativePrompt {
                assignment.negative = true
                assignment.negativePrompt = negative
            }
            assignment.maxTokens = UInt32(clamping: job.model.textTokens)
            assignment.laterPrompts = encoding.laterPrompts
            actions.append(.sendPromptAssignment(peer, assignment))
            actions.append(.log(.info, "prompt encoding leased", ["job": "\(claim.job)", "worker": "\(name)", "attempt": "\(claim.attempt)"]))
        }
        return actions
    }

    /// A worker's encoded prompt arrived. A current one is ordered recorded.
    mutating func promptResult(peer: PeerID, job id: Int64, token: Int, frames: [Data], at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.encoding(job: id)
        let pulled = intake.arrived(work, attempt: token, from: peer)
        let actions = acceptPromptResult(peer: peer, job: id, token: token, frames: frames)
        return pulled ? actions + settleIfNotRecording(work, at: time) : actions
    }

    private mutating func acceptPromptResult(peer: PeerID, job id: Int64, token: Int, frames: [Data]) -> [CoordinatorAction] {
        guard let worker = workers[peer] else {
            return [.refuse(peer, .notRegistered, "unknown worker: send hello again"), reject(peer, "prompt result from an unregistered peer")]
        }
        let work = WorkRef.encoding(job: id)
        workers[peer]?.running[work] = nil
        guard let job = jobs[id], let encoding = job.encoding else {
            return [reject(peer, job: id, "prompt result for job \(id), which is not waiting on an encoding here")]
        }
        guard case .leased(let holder, _, _) = encoding.machine.state, holder == worker.name, encoding.token == token, !persisting.contains(work) else {
            return [reject(peer, job: id, "stale prompt result: attempt \(token) from \(worker.name), the encoding is \(encoding.machine.state.name.rawValue) at attempt \(encoding.token)")]
        }
        persisting.insert(work)
        return [
            .recordPromptResult(
                PromptResultOrder(
                    peer: peer, worker: worker.name, job: id, token: token, model: job.request.model,
                    textTokens: job.model.textTokens, textDim: job.model.textDim, negative: encoding.negativePrompt != nil,
                    firstShards: job.plan.shards.filter { $0.block == 0 }, frames: frames,
                    laterLabels: encoding.laterPrompts.isEmpty ? [] : JobTimeline.laterLabels(of: job.request),
                    promptLabel: job.request.prompts == nil ? "prompt" : "first prompt (from 0 s)"))
        ]
    }

    /// What the `records` lane made of an encoded prompt.
    mutating func promptRecorded(peer: PeerID, worker: String, job id: Int64, attempt: Int, outcome: PromptRecordOutcome, at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.encoding(job: id)
        persisting.remove(work)
        let pulls = pull(intake.settled(work, now: time.instant), at: time)
        let tries = leaseTries(of: work, worker: worker, token: attempt)
        guard var job = jobs[id], var encoding = job.encoding else { return pulls }
        switch outcome {
        case .committed(let promptSHA, let negativeSHA, let laterSHAs):
            var actions = pulls
            if case .rejected(let why) = encoding.machine.complete(by: worker, attempt: tries ?? -1) {
                actions.append(.log(.warning, "memory disagreed with a committed prompt encoding", ["job": "\(id)", "why": "\(why)"]))
                encoding.machine = ShardStateMachine(state: .done(worker: worker, attempt: attempt), policy: config.policy)
            }
            encoding.token = attempt
            job.encoding = encoding
            job.promptSHA = promptSHA
            job.negativeSHA = negativeSHA
            jobs[id] = job
            // The commit made the first block ready in the database unless source
            // encodings are left (CoordinatorCore+Sources.swift); memory follows.
            actions += readyFirstBlockIfEncoded(id)
            actions.append(.log(.info, "prompt encoded", ["job": "\(id)", "worker": "\(worker)", "prompt_embeds": "\(promptSHA)"]))
            return actions + adoptEncodedTimeline(id, texts: encoding.laterPrompts, shas: laterSHAs)
        case .stale(let why):
            return pulls + [.reject(peer: peer, worker: worker, job: id, shard: nil, reason: "stale prompt result from \(worker): \(why)"), .readBack(work, fallback: nil)]
        case .invalid(let why):
            return pulls + [
                .reject(peer: peer, worker: worker, job: id, shard: nil, reason: "\(worker), prompt encoding: \(why)"),
                .recordWorkerFailure(job: id, worker: worker),
            ] + lose(work, worker: worker, reason: "\(worker): \(why)") { $0.fail(by: worker, attempt: tries ?? -1, reason: why, now: time.stamp) }
        case .unrecorded(let why):
            return pulls + [
                .log(.error, "prompt result not recorded", ["job": "\(id)", "why": "\(why)"]),
                .release(work, token: attempt, worker: worker, why: why, readBack: true),
            ]
        }
    }

    /// Why job `id` waits on its prompt encoding, or nil: no connected worker
    /// encodes prompts for its model (`reel status` shows this).
    func encodingWait(_ id: Int64) -> String? {
        guard let job = jobs[id], let encoding = job.encoding, !encoding.isDone else { return sourceWait(id) }
        let model = job.request.model
        if workers.values.contains(where: { $0.canEncode && $0.textEncoders.contains(model) }) {
            return encoding.machine.state.name == .leased ? "its prompt is being encoded on a worker" : "waiting for a worker to encode its prompt"
        }
        return "waiting for a worker that can encode prompts for model '\(model)' (its folder has a text encoder, so the stand-in embedder is not used): start a worker with that folder"
    }

    /// Logs, once a tick, each job that waits on an encoding no connected worker can do.
    func checkEncoders() -> [CoordinatorAction] {
        jobs.keys.sorted().compactMap { id in
            guard let why = encodingWait(id), why.hasPrefix("waiting for a worker that can") else { return nil }
            return .log(.debug, "job waits on its prompt encoding", ["job": "\(id)", "why": "\(why)"])
        }
    }
}

extension CoordinatorCore {
    /// Models some connected worker's folder has a real text encoder for.
    func textEncoderModels() -> Set<String> {
        workers.values.reduce(into: Set<String>()) { $0.formUnion($1.textEncoders) }
    }

    /// The digest of `model`'s folder as the workers report it (empty if none does).
    func modelDigest(_ model: String) -> String {
        workers.values.compactMap { $0.modelDigests[model] }.first { !$0.isEmpty } ?? ""
    }
}

extension CoordinatorCore {
    /// The reconciler's part for a job's prompt encoding: a commit whose answer
    /// memory never had (the job has embeddings in the database) gives memory the
    /// embeddings before its first block is adopted as ready; a lease whose state
    /// differs takes the database's.
    mutating func reconcileEncoding(_ job: JobRuntime, with stored: JobSnapshot) -> [CoordinatorAction] {
        guard let encoding = job.encoding else { return [] }
        let work = WorkRef.encoding(job: job.id)
        if job.promptSHA.isEmpty, let promptSHA = stored.promptSHA {
            jobs[job.id]?.promptSHA = promptSHA
            jobs[job.id]?.negativeSHA = stored.negativeSHA
            let repaired = stored.encoding.map { adoptEncodedTimeline(job.id, texts: $0.laterPrompts, shas: $0.laterSHAs ?? []) } ?? []
            if !encoding.isDone {
                let holder = encoding.machine.state.holder ?? "", policy = config.policy
                jobs[job.id]?.encoding?.machine = ShardStateMachine(state: .done(worker: holder, attempt: encoding.token), policy: policy)
            }
            freeSlots(of: work)
            return repaired + [.log(.warning, "repaired: the prompt encoding had committed", ["job": "\(job.id)", "prompt_embeds": "\(promptSHA)"])]
        }
        guard let row = stored.encoding?.row, encoding.machine.state.name != row.state.name || encoding.token != row.token else { return [] }
        return [
            .log(
                .warning, "repaired: prompt encoding state differs",
                ["job": "\(job.id)", "memory": "\(encoding.machine.state.name)@\(encoding.token)", "database": "\(row.state.name)@\(row.token)"])
        ] + adopt(row, work: work)
    }
}
