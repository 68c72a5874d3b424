import Foundation
import ReelPlan
import ReelStore

/// Rebuilding running jobs from PostgreSQL after a (re)start, and repairing
/// memory wherever it drifted from the database since.
extension Coordinator {
    /// Loads every job that is queued, running or decoding.
    func recover() throws {
        let rows = try store.jobs(states: [.queued, .running, .decoding])
        for row in rows {
            do {
                try resume(row)
            } catch {
                logger.error("cannot resume job", metadata: ["job": "\(row.id)", "error": "\(error)"])
                do {
                    try store.setJobState(id: row.id, to: .failed, from: [.queued, .running, .decoding], reason: "cannot resume: \(error)")
                } catch {
                    logger.error("cannot record that a job cannot resume", metadata: ["job": "\(row.id)", "error": "\(error)"])
                }
            }
        }
        if !rows.isEmpty { logger.info("resumed jobs", metadata: ["count": "\(jobs.count)"]) }
    }

    /// Rebuilds one job's runtime from its rows; finished shards and stored
    /// segments keep their blobs, so nothing done is redone. A running job whose
    /// shards are all done goes on to its final blend; a decoding job whose
    /// segments are all stored, to joining them.
    func resume(_ row: JobRow) throws {
        let stored = try StoredJob.decode(row.spec)
        let plan = try stored.request.makePlan(model: stored.model)
        guard let promptSHA = row.promptEmbedsSHA else {
            throw CoordinatorError.storedJob(id: row.id, reason: "it has no prompt embeddings")
        }
        var records: [ShardID: ShardRecord] = [:]
        for shard in try store.shards(job: row.id) {
            guard plan.contains(shard.shard) else {
                throw CoordinatorError.storedJob(id: row.id, reason: "shard \(shard.shard) is not in its plan")
            }
            records[shard.shard] = ShardRecord(
                machine: ShardStateMachine(state: Self.state(shard.status), policy: config.policy),
                token: shard.status.attempt, outputSHA: shard.status.outputSHA)
        }
        guard records.count == plan.shardCount else {
            throw CoordinatorError.storedJob(id: row.id, reason: "\(records.count) shard rows for \(plan.shardCount) shards")
        }
        let state: JobState
        switch row.state {
        case .queued: state = .queued
        case .running: state = .running(attempt: max(1, row.run))
        case .decoding: state = .decoding(attempt: max(1, row.run))
        case .failed: state = .failed(attempt: row.run, reason: row.reason ?? "")
        case .succeeded: state = .succeeded
        case .cancelled: state = .cancelled
        }
        var job = JobRuntime(
            id: row.id, request: stored.request, model: stored.model, plan: plan, promptSHA: promptSHA,
            negativeSHA: row.negativeEmbedsSHA, decodeWarmup: stored.decodeWarmup, machine: JobStateMachine(state: state),
            shards: records)
        if row.state == .decoding {
            guard let latentsSHA = row.latentsSHA else {
                throw CoordinatorError.storedJob(id: row.id, reason: "it is decoding without finished latents")
            }
            let rows = try store.decodeChunks(job: row.id)
            let chunks = rows.map { $0.decodeChunk(temporalStride: stored.model.temporalStride) }
            guard !chunks.isEmpty, chunks.map(\.index) == Array(chunks.indices) else {
                throw CoordinatorError.storedJob(id: row.id, reason: "its decode chunks are not numbered 0..<\(chunks.count)")
            }
            var decode = DecodeProgress(chunks: chunks, latentsSHA: latentsSHA, policy: config.policy)
            for (index, chunkRow) in rows.enumerated() {
                decode.machines[index] = ShardStateMachine(state: Self.state(chunkRow.status), policy: config.policy)
                decode.tokens[index] = chunkRow.status.attempt
                decode.segments[index] = chunkRow.status.state == .done ? chunkRow.status.outputSHA : nil
            }
            job.decode = decode
        }
        jobs[row.id] = job
        continueJob(row.id)
    }

    /// Moves a job along whatever was interrupted: shards whose inputs are done
    /// become ready, a running job with every shard done is blended, a decoding job
    /// with every segment stored is joined.
    func continueJob(_ id: Int64) {
        guard let job = jobs[id] else { return }
        switch job.machine.state.name {
        case .running:
            if job.allShardsDone {
                startFinalBlend(id)
                return
            }
            let waiting = job.shards.filter { $0.value.machine.state.name == .pending }.map(\.key).sorted()
            let candidates = waiting.compactMap { shard -> (shard: ShardID, inputs: [ShardID])? in
                let inputs = job.plan.dependencies(of: shard)
                return inputs.allSatisfy({ job.shards[$0]?.machine.state.name == .done }) ? (shard, inputs) : nil
            }
            guard !candidates.isEmpty else { return }
            do {
                let ready = try store.markReadyIfInputsDone(job: id, candidates: candidates)
                for shard in ready {
                    // `enqueue` needs nothing more: dispatch takes ready machines from memory.
                    if case .rejected(let rejection)? = jobs[id]?.shards[shard]?.machine.dependenciesMet() {
                        logger.warning("repair refused by the shard's state machine", metadata: ["job": "\(id)", "shard": "\(shard)", "reason": "\(rejection.reason)"])
                    }
                }
                if !ready.isEmpty { logger.warning("repaired: shards with every input done were pending", metadata: ["job": "\(id)", "shards": "\(ready)"]) }
            } catch {
                logger.error("cannot make ready shards ready", metadata: ["job": "\(id)", "error": "\(error)"])
            }
        case .decoding:
            if job.decode?.isFinished ?? false { startJoin(id) }
        default:
            break
        }
    }

    /// Memory takes what the database holds for one item (a stale answer, an
    /// unknown outcome): the database decides every transition.
    func adoptDatabaseState(job id: Int64, item: WorkItem) {
        let status: WorkStatus?
        do { status = try store.status(of: item, job: id) } catch {
            logger.error("cannot read back an item; the reconciler will", metadata: ["job": "\(id)", "item": "\(item)", "error": "\(error)"])
            return
        }
        guard let status else { return }
        adopt(status, job: id, item: item)
    }

    private func adopt(_ status: WorkStatus, job id: Int64, item: WorkItem) {
        let machine = ShardStateMachine(state: Self.state(status), policy: config.policy)
        switch item {
        case .shard(let shard):
            guard jobs[id]?.shards[shard] != nil else { return }
            jobs[id]?.shards[shard] = ShardRecord(machine: machine, token: status.attempt, outputSHA: status.outputSHA)
        case .decodeChunk(let chunk):
            guard let decode = jobs[id]?.decode, decode.chunks.indices.contains(chunk) else { return }
            jobs[id]?.decode?.machines[chunk] = machine
            jobs[id]?.decode?.tokens[chunk] = status.attempt
            jobs[id]?.decode?.segments[chunk] = status.state == .done ? status.outputSHA : nil
        }
        let work: WorkRef = {
            switch item {
            case .shard(let shard): return .shard(job: id, shard)
            case .decodeChunk(let chunk): return .chunk(job: id, chunk)
            }
        }()
        // A worker that no longer holds the lease has a free slot for it.
        for peer in workers.keys where workers[peer]?.running[work] != nil && status.worker != workers[peer]?.name {
            workers[peer]?.running[work] = nil
        }
    }

    /// Compares memory with the database and repairs every difference, logging
    /// each: jobs finished or cancelled elsewhere leave memory, running jobs the
    /// database has that memory lacks are resumed, items whose state differs take
    /// the database's, and interrupted steps are continued.
    func reconcileWithDatabase() {
        let rows: [JobRow]
        do { rows = try store.jobs(states: [.queued, .running, .decoding]) } catch {
            logger.error("cannot reconcile with the database", metadata: ["error": "\(error)"])
            return
        }
        let active = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
        for id in Array(jobs.keys) where active[id] == nil {
            logger.warning("repaired: job is no longer active in the database", metadata: ["job": "\(id)"])
            revokeWork(of: id, reason: "job \(id) ended")
            jobs[id] = nil
        }
        for row in rows {
            guard let job = jobs[row.id] else {
                logger.warning("repaired: resuming a job memory did not have", metadata: ["job": "\(row.id)"])
                do { try resume(row) } catch { logger.error("cannot resume job", metadata: ["job": "\(row.id)", "error": "\(error)"]) }
                continue
            }
            if job.machine.state.name != row.state {
                logger.warning(
                    "repaired: job state differs", metadata: ["job": "\(row.id)", "memory": "\(job.machine.state.name)", "database": "\(row.state)"])
                jobs[row.id] = nil
                do { try resume(row) } catch { logger.error("cannot resume job", metadata: ["job": "\(row.id)", "error": "\(error)"]) }
                continue
            }
            do {
                for shard in try store.shards(job: row.id) {
                    let work = WorkRef.shard(job: row.id, shard.shard)
                    guard !persisting.contains(work), let record = job.shards[shard.shard] else { continue }
                    // An input still being recorded may have made this shard ready in the
                    // database already; memory learns both at once (`shardRecorded`).
                    // Adopted before that, it would be leased with its input's output
                    // unknown, and its job failed for want of it.
                    if job.plan.dependencies(of: shard.shard).contains(where: { persisting.contains(.shard(job: row.id, $0)) }) { continue }
                    if record.machine.state.name != shard.status.state || record.token != shard.status.attempt {
                        logger.warning(
                            "repaired: shard state differs",
                            metadata: ["job": "\(row.id)", "shard": "\(shard.shard)", "memory": "\(record.machine.state.name)@\(record.token)",
                                       "database": "\(shard.status.state)@\(shard.status.attempt)"])
                        adopt(shard.status, job: row.id, item: .shard(shard.shard))
                    }
                }
                if let decode = job.decode {
                    for chunk in try store.decodeChunks(job: row.id) where decode.chunks.indices.contains(chunk.chunk) {
                        let index = chunk.chunk
                        guard !persisting.contains(.chunk(job: row.id, index)) else { continue }
                        if decode.machines[index].state.name != chunk.status.state || decode.tokens[index] != chunk.status.attempt {
                            logger.warning("repaired: decode chunk state differs", metadata: ["job": "\(row.id)", "chunk": "\(index)"])
                            adopt(chunk.status, job: row.id, item: .decodeChunk(index))
                        }
                    }
                }
            } catch {
                logger.error("cannot reconcile a job", metadata: ["job": "\(row.id)", "error": "\(error)"])
                continue
            }
            if !(jobs[row.id]?.finishing ?? true) { continueJob(row.id) }
        }
    }

    static func state(_ status: WorkStatus) -> ShardState {
        switch status.state {
        case .pending: return .pending
        case .ready: return .ready(attempts: status.tries, notBefore: status.notBefore)
        case .leased:
            return .leased(
                worker: status.worker ?? "", attempt: status.tries, expiresAt: status.leaseExpiresAt ?? Timestamp(milliseconds: 0))
        case .done: return .done(worker: status.worker ?? status.lastWorker ?? "", attempt: status.tries)
        case .failed: return .failed(attempts: status.tries, reason: status.reason ?? "")
        case .cancelled: return .cancelled
        }
    }
}

extension JobState {
    /// The state a `jobs` row holds.
    init(_ row: JobRow) {
        switch row.state {
        case .queued: self = .queued
        case .running: self = .running(attempt: row.run)
        case .decoding: self = .decoding(attempt: row.run)
        case .succeeded: self = .succeeded
        case .failed: self = .failed(attempt: row.run, reason: row.reason ?? "")
        case .cancelled: self = .cancelled
        }
    }

    /// The run number, where the state has one.
    var run: Int {
        switch self {
        case .running(let attempt), .decoding(let attempt), .failed(let attempt, _): return attempt
        case .queued, .succeeded, .cancelled: return 0
        }
    }
}
