import Foundation
import ReelPlan
import ReelStore
import ReelTensor

/// The API's requests, answered on the loop.
extension Coordinator {
    /// Answers a request from the API: at once, or, for a submission (which
    /// writes blobs and a transaction), when the `records` lane has stored it.
    func receive(_ entry: CoordinatorMailbox.Entry) {
        switch entry.command {
        case .jobs, .job, .workers, .video, .health, .releaseWorker: return answerOffLoop(entry)
        case .metrics: return answerMetrics(entry)
        case .jobPage, .events, .shards: return answerPage(entry)
        case .previews, .preview: return answerPreviews(entry)
        case .retry, .cancel: return entry.reply(answer(entry.command))
        case .submit, .submitIdempotent: break
        }
        let submission: FarmAPI.SubmitRequest, key: String?
        switch entry.command {
        case .submit(let request): (submission, key) = (request, nil)
        case .submitIdempotent(let request, let idempotencyKey): (submission, key) = (request, idempotencyKey)
        default: return
        }
        do {
            try submit(submission, idempotencyKey: key, reply: entry.reply)
        } catch let error as APIError {
            entry.reply(.failure(error))
        } catch {
            entry.reply(.failure(.internalError("the coordinator failed: \(error)")))
        }
    }

    /// Commands that change the loop's state (retry, cancel) are answered here;
    /// reads go to the `queries` lane (``answerOffLoop(_:)``).
    func answer(_ command: CoordinatorMailbox.Command) -> Result<CoordinatorMailbox.Reply, APIError> {
        do {
            switch command {
            case .retry(let id): return .success(.job(try retry(id)))
            case .cancel(let id): return .success(.job(try cancel(id)))
            case .submit, .jobs, .job, .workers, .video, .health, .releaseWorker, .metrics, .submitIdempotent, .jobPage, .events, .shards,
                .previews, .preview:
                return .failure(.internalError("\(command) is not answered by the loop"))
            }
        } catch let error as APIError {
            return .failure(error)
        } catch {
            logger.error("API request failed", metadata: ["error": "\(error)"])
            return .failure(.internalError("the coordinator failed: \(error)"))
        }
    }

    /// Checks and plans a new job here (cheap, and refused at once if wrong), then
    /// stores its embeddings and rows on the `records` lane, whose fsyncs and
    /// transaction would otherwise hold up the loop; `reply` answers the client once
    /// the job is stored (``jobStored(_:reply:)``).
    func submit(
        _ submission: FarmAPI.SubmitRequest, idempotencyKey key: String? = nil,
        reply: @escaping @Sendable (Result<CoordinatorMailbox.Reply, APIError>) -> Void
    ) throws {
        let admitted = try AdmittedJob(submission, limits: config.admission, models: core.knownModels(), textEncoders: core.textEncoderModels())
        try checkSourcesUploaded(admitted.request)
        try Self.checkSourceLatentsFit(
            admitted.conditioning, stride: admitted.model.temporalStride, maxMessageBytes: config.maxMessageBytes)
        if admitted.encoding != nil { return try submitForEncoding(admitted, idempotencyKey: key, reply: reply) }
        let (request, model, plan, prompt, negative) = (admitted.request, admitted.model, admitted.plan, admitted.prompt, admitted.negative)
        let warmup = core.decodeWarmup(of: request.model)
        var stored = StoredJob(request: request, model: model, decodeWarmup: warmup)
        stored.embeddings = admitted.source
        let laterPrompts = admitted.laterPrompts, unstored = stored, conditioning = admitted.conditioning
        let blobs = blobs, store = recordStore, policy = config.policy, modelDigest = core.modelDigest(request.model)
        records.submit {
            do {
                // The lane is serial, so two submissions with one key cannot both miss here.
                if let key, let existing = try store.value.job(idempotencyKey: key) {
                    reply(Self.resubmission(existing, key: key, request: request))
                    return .none
                }
                let promptSHA = try blobs.putFloats(prompt)
                let negativeSHA = try negative.map { values throws(StoreError) in try blobs.putFloats(values) }
                // A timeline's later prompts are stored beside the first, and named in the spec.
                let laterSHAs = try laterPrompts.map { values throws(StoreError) in try blobs.putFloats(values) }
                var stored = unstored
                if !laterSHAs.isEmpty { stored.timelineEmbeds = laterSHAs }
                let spec = try stored.json()
                let shards = plan.shards
                let firstShards = shards.filter { $0.block == 0 }
                let sources = try Self.sourceEncodings(
                    conditioning, request: request, modelDigest: modelDigest, store: store.value, blobs: blobs)
                // Sources still to encode hold the first block back.
                let ready = sources.contains { $0.cachedLatentsSHA == nil } ? [] : Set(firstShards)
                let id = try store.value.creatingJob(idempotencyKey: key) { () throws(StoreError) -> Int64 in
                    try Self.createJob(
                        in: store.value, request: request, spec: spec, promptSHA: promptSHA, negativeSHA: negativeSHA, shards: shards,
                        firstShards: firstShards, promptEncoding: nil, sources: sources)
                }
                // createJob stored the job running with its block-0 shards ready:
                // what `start()`'s `startShards` asks for, already carried out.
                let machine = JobStateMachine(state: .running(attempt: 1))
                var records: [ShardID: ShardRecord] = [:]
                for shard in shards {
                    let shardMachine = ready.contains(shard) ? ShardStateMachine.ready(policy: policy) : ShardStateMachine(policy: policy)
                    records[shard] = ShardRecord(machine: shardMachine, token: 0, outputSHA: nil)
                }
                var job = JobRuntime(
                    id: id, request: request, model: model, plan: plan, promptSHA: promptSHA, negativeSHA: negativeSHA,
                    decodeWarmup: warmup, machine: machine, shards: records)
                job.timeline = try JobTimeline(request: request, plan: plan, laterSHAs: laterSHAs)
                job.conditioning = conditioning
                job.sources = Self.sourceProgress(sources, policy: policy)
                return .jobStored(.success(job), reply: reply)
            } catch {
                return .jobStored(.failure(OffLoopFailure("the coordinator could not store the job: \(error)", transient: true)), reply: reply)
            }
        }
    }

    /// The `records` lane stored a submitted job: it runs from now on.
    func jobStored(_ outcome: Result<JobRuntime, OffLoopFailure>, reply: @Sendable (Result<CoordinatorMailbox.Reply, APIError>) -> Void) {
        switch outcome {
        case .success(let job):
            perform(core.admitted(job))
            reply(.success(.submitted(job.id)))
        case .failure(let failure):
            logger.error("cannot store a submitted job", metadata: ["error": "\(failure)"])
            reply(.failure(.unavailable(failure.description)))
        }
    }


    func status(of id: Int64) throws -> FarmAPI.JobStatus {
        guard let row = try store.job(id: id) else { throw APIError.notFound("there is no job \(id); `reel status` lists the jobs") }
        return try Self.status(row, live: liveView(of: id), store: store, config: config)
    }

    func retry(_ id: Int64) throws -> FarmAPI.JobStatus {
        guard let row = try store.job(id: id) else { throw APIError.notFound("there is no job \(id)") }
        // The job's state machine decides, from the state the database holds.
        if let rejection = CoordinatorCore.retryRefusal(stored: JobState(row)) {
            throw APIError.conflict("job \(id) is \(row.state.rawValue): \(rejection.reason); only a failed job can be retried")
        }
        if let expired = row.expiredAt {
            throw APIError.gone("job \(id)'s stored inputs and outputs were deleted on \(expired.date) under the result retention policy (--keep-results-days); submit it again")
        }
        guard let reset = try store.retryJob(id: id) else { throw APIError.conflict("job \(id) is no longer failed") }
        guard let retried = try store.job(id: id) else { throw APIError.notFound("there is no job \(id)") }
        perform(try core.retried(Self.snapshot(of: retried, in: store), reset: reset.count))
        return try status(of: id)
    }

    func cancel(_ id: Int64) throws -> FarmAPI.JobStatus {
        guard let row = try store.job(id: id) else { throw APIError.notFound("there is no job \(id)") }
        if let rejection = core.cancelRefusal(id, stored: JobState(row)) {
            throw APIError.conflict("job \(id) has already finished (\(rejection.reason)); nothing to cancel")
        }
        // `cancelShards`: the store cancels the job and its unfinished rows in one
        // transaction, and the leases still out are revoked.
        guard try store.cancelJob(id: id) != nil else {
            throw APIError.conflict("job \(id) has already finished; nothing to cancel")
        }
        perform(core.cancelled(id))
        return try status(of: id)
    }
}

extension Timestamp {
    var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
