import Foundation
import ReelPlan
import ReelStore
import ReelTensor

/// The API's requests, answered on the loop.
extension Coordinator {
    /// Answers a request from the API: at once, or, for a submission (which
    /// writes blobs and a transaction), when the `records` lane has stored it.
    func receive(_ entry: CoordinatorMailbox.Entry) {
        guard case .submit(let submission) = entry.command else { return entry.reply(answer(entry.command)) }
        do {
            try submit(submission, reply: entry.reply)
        } catch let error as APIError {
            entry.reply(.failure(error))
        } catch {
            entry.reply(.failure(.internalError("the coordinator failed: \(error)")))
        }
    }

    func answer(_ command: CoordinatorMailbox.Command) -> Result<CoordinatorMailbox.Reply, APIError> {
        do {
            switch command {
            case .submit:
                return .failure(.internalError("a submission is answered by `receive(_:)`"))
            case .jobs: return .success(.jobs(try store.jobs().map(status)))
            case .job(let id): return .success(.job(try status(of: id)))
            case .workers: return .success(.workers(try workerStatuses()))
            case .retry(let id): return .success(.job(try retry(id)))
            case .cancel(let id): return .success(.job(try cancel(id)))
            case .video(let id): return .success(.video(path: try videoPath(id)))
            case .health: return .success(.health(health()))
            }
        } catch let error as APIError {
            return .failure(error)
        } catch {
            logger.error("API request failed", metadata: ["error": "\(error)"])
            return .failure(.internalError("the coordinator failed: \(error)"))
        }
    }

    /// The loop's and the database's state: answering at all proves the loop turns.
    func health() -> FarmAPI.Health {
        var database = "ok"
        do { try store.connection.execute("SELECT 1", name: "health") } catch { database = "unreachable: \(error)" }
        return FarmAPI.Health(
            ok: database == "ok", database: database, workers: workers.count, activeJobs: jobs.count,
            longestLoopGapMs: statistics.longestGap.realSeconds * 1000, loopCpuMs: statistics.loopCPU.realSeconds * 1000,
            reregistrations: statistics.reregistrations,
            rejectedMessages: statistics.rejected, shardsCompleted: statistics.shardsCompleted, recordBacklog: records.backlog)
    }

    /// Checks and plans a new job here (cheap, and refused at once if wrong), then
    /// stores its embeddings and rows on the `records` lane, whose fsyncs and
    /// transaction would otherwise hold up the loop; `reply` answers the client once
    /// the job is stored (``jobStored(_:reply:)``).
    func submit(_ submission: FarmAPI.SubmitRequest, reply: @escaping @Sendable (Result<CoordinatorMailbox.Reply, APIError>) -> Void) throws {
        let admitted = try AdmittedJob(submission, limits: config.admission, models: knownModels())
        let (request, model, plan, prompt, negative) = (admitted.request, admitted.model, admitted.plan, admitted.prompt, admitted.negative)
        let warmup = workers.values.compactMap { $0.decodeWarmup[request.model] }.max()
        let stored = StoredJob(request: request, model: model, decodeWarmup: warmup)
        let spec = try stored.json()
        let blobs = blobs, store = recordStore, policy = config.policy
        records.submit {
            do {
                let promptSHA = try blobs.putFloats(prompt)
                let negativeSHA = try negative.map { values throws(StoreError) in try blobs.putFloats(values) }
                let shards = plan.shards
                let ready = Set(shards.filter { $0.block == 0 })
                let id = try store.value.createJob(
                    name: request.name ?? "", model: request.model, spec: spec, promptEmbedsSHA: promptSHA,
                    negativeEmbedsSHA: negativeSHA, priority: request.priority, shards: shards, readyShards: ready)
                var machine = JobStateMachine()
                _ = machine.start()
                var records: [ShardID: ShardRecord] = [:]
                for shard in shards {
                    var shardMachine = ShardStateMachine(policy: policy)
                    if ready.contains(shard) { _ = shardMachine.dependenciesMet() }
                    records[shard] = ShardRecord(machine: shardMachine, token: 0, outputSHA: nil)
                }
                let job = JobRuntime(
                    id: id, request: request, model: model, plan: plan, promptSHA: promptSHA, negativeSHA: negativeSHA,
                    decodeWarmup: warmup, machine: machine, shards: records)
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
            jobs[job.id] = job
            logger.info(
                "job submitted",
                metadata: [
                    "job": "\(job.id)", "model": "\(job.request.model)", "latent": "\(job.plan.latent.dimensions)",
                    "windows": "\(job.plan.windows.count)", "shards": "\(job.plan.shardCount)",
                ])
            reply(.success(.submitted(job.id)))
        case .failure(let failure):
            logger.error("cannot store a submitted job", metadata: ["error": "\(failure)"])
            reply(.failure(.unavailable(failure.description)))
        }
    }

    /// Models offered by connected workers, by name.
    func knownModels() -> [String: ModelGeometry] {
        var models: [String: ModelGeometry] = [:]
        for worker in workers.values { models.merge(worker.models) { first, _ in first } }
        return models
    }

    func status(of id: Int64) throws -> FarmAPI.JobStatus {
        guard let row = try store.job(id: id) else { throw APIError.notFound("there is no job \(id); `reel status` lists the jobs") }
        return try status(row)
    }

    func status(_ row: JobRow) throws -> FarmAPI.JobStatus {
        // An active job's counts come from memory, which follows every commit within
        // a turn: a client polling progress costs the loop no queries beyond the row.
        let counts: [ShardState.Name: Int]
        let chunks: [ShardState.Name: Int]
        if let job = jobs[row.id], job.machine.state.name == row.state {
            counts = job.shardCounts
            var decoded: [ShardState.Name: Int] = [:]
            for machine in job.decode?.machines ?? [] { decoded[machine.state.name, default: 0] += 1 }
            chunks = decoded
        } else {
            counts = try store.shardCounts(job: row.id)
            chunks = try store.decodeChunkCounts(job: row.id)
        }
        // A running job's plan is in memory; finished ones are planned again from their spec.
        let plan = jobs[row.id]?.plan ?? (try? StoredJob.decode(row.spec)).flatMap { try? $0.request.makePlan(model: $0.model) }
        let total = counts.values.reduce(0, +)
        let chunkTotal = chunks.values.reduce(0, +)
        let done = Double(counts[.done] ?? 0) + Double(chunks[.done] ?? 0)
        let expectedChunks = plan.map { plan in
            let warmup = jobs[row.id]?.decodeWarmup ?? config.decodeWarmup
            let size = DecodeChunk.size(warmup: warmup, minimum: config.decodeChunkFrames, maxOverhead: config.maxDecodeOverhead)
            return (plan.latent.frames + size - 1) / size
        } ?? 0
        let denominator = Double(total + max(chunkTotal, expectedChunks))
        return FarmAPI.JobStatus(
            id: row.id, name: row.name.isEmpty ? nil : row.name, model: row.model, state: row.state.rawValue, run: row.run,
            reason: row.reason, shards: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            shardTotal: total,
            decodeChunkStates: Dictionary(uniqueKeysWithValues: chunks.filter { $0.value > 0 }.map { ($0.key.rawValue, $0.value) }),
            progress: row.state == .succeeded ? 1 : denominator > 0 ? done / denominator : 0,
            frames: plan?.geometry.job.frames ?? 0, fps: plan?.geometry.job.fps ?? 0, width: plan?.geometry.job.width ?? 0,
            height: plan?.geometry.job.height ?? 0, windows: plan?.windows.count ?? 0, latentsSha256: row.latentsSHA,
            videoSha256: row.outputSHA, createdAt: row.createdAt.date, finishedAt: row.finishedAt?.date, expiredAt: row.expiredAt?.date)
    }

    func workerStatuses() throws -> [FarmAPI.WorkerStatus] {
        let live = Dictionary(uniqueKeysWithValues: workers.values.map { ($0.name, $0) })
        return try store.workers().map { row in
            let worker = live[row.name]
            return FarmAPI.WorkerStatus(
                name: row.name, host: row.host, state: row.state.rawValue, cores: row.cores, threads: row.threads, slots: row.slots,
                running: worker?.running.keys.map(\.description).sorted() ?? [], models: row.models, lastSeenAt: row.lastSeenAt.date,
                shardsDone: worker?.shardsDone ?? 0)
        }
    }

    func retry(_ id: Int64) throws -> FarmAPI.JobStatus {
        guard let row = try store.job(id: id) else { throw APIError.notFound("there is no job \(id)") }
        guard row.state == .failed else {
            throw APIError.conflict("job \(id) is \(row.state.rawValue); only a failed job can be retried")
        }
        if let expired = row.expiredAt {
            throw APIError.gone("job \(id)'s stored inputs and outputs were deleted on \(expired.date) under the result retention policy (--keep-results-days); submit it again")
        }
        guard let reset = try store.retryJob(id: id) else { throw APIError.conflict("job \(id) is no longer failed") }
        // Rebuild from the database: the simplest way to agree with what the retry
        // changed. Resuming makes ready the reset shards whose inputs are done, and
        // moves on to decoding if every shard already is.
        jobs[id] = nil
        guard let retried = try store.job(id: id) else { throw APIError.notFound("there is no job \(id)") }
        try resume(retried)
        logger.info("job retried", metadata: ["job": "\(id)", "reset_shards": "\(reset.count)"])
        return try status(of: id)
    }

    func cancel(_ id: Int64) throws -> FarmAPI.JobStatus {
        guard try store.job(id: id) != nil else { throw APIError.notFound("there is no job \(id)") }
        guard try store.cancelJob(id: id) != nil else {
            throw APIError.conflict("job \(id) has already finished; nothing to cancel")
        }
        revokeWork(of: id, reason: "job \(id) cancelled")
        jobs[id] = nil
        logger.info("job cancelled", metadata: ["job": "\(id)"])
        return try status(of: id)
    }

    func videoPath(_ id: Int64) throws -> String {
        guard let row = try store.job(id: id) else { throw APIError.notFound("there is no job \(id)") }
        guard row.state == .succeeded, let sha = row.outputSHA else {
            throw APIError.conflict("job \(id) is \(row.state.rawValue); its video exists once it has succeeded (`reel status \(id)`)")
        }
        if let expired = row.expiredAt {
            throw APIError.gone("job \(id)'s video was deleted on \(expired.date) under the result retention policy (--keep-results-days)")
        }
        return try blobs.path(of: sha).path
    }
}

extension Timestamp {
    var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
