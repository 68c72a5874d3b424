import Foundation
import ReelPlan
import ReelStore

/// Rebuilding running jobs from PostgreSQL after a (re)start.
extension Coordinator {
    /// Loads every job that is queued, running or decoding.
    func recover() throws {
        let rows = try store.jobs(states: [.queued, .running, .decoding])
        for row in rows {
            do {
                try resume(row)
            } catch {
                logger.error("cannot resume job", metadata: ["job": "\(row.id)", "error": "\(error)"])
                _ = try? store.setJobState(id: row.id, to: .failed, from: [.queued, .running, .decoding], reason: "cannot resume: \(error)")
            }
        }
        if !rows.isEmpty { logger.info("resumed jobs", metadata: ["count": "\(jobs.count)"]) }
    }

    /// Rebuilds one job's runtime from its rows; finished shards keep their stored
    /// outputs, so nothing done is redone.
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
        case .running: state = .running(attempt: row.run)
        case .decoding: state = .decoding(attempt: row.run)
        case .failed: state = .failed(attempt: row.run, reason: row.reason ?? "")
        case .succeeded: state = .succeeded
        case .cancelled: state = .cancelled
        }
        jobs[row.id] = JobRuntime(
            id: row.id, request: stored.request, model: stored.model, plan: plan, promptSHA: promptSHA,
            negativeSHA: row.negativeEmbedsSHA, decodeWarmup: stored.decodeWarmup, machine: JobStateMachine(state: state),
            shards: records)
        if row.state == .decoding { restartDecode(row.id) }
    }

    /// The decode stage starts over: decoded frames are streamed, not stored, so
    /// after a restart every chunk runs again (the shards are not redone).
    func restartDecode(_ id: Int64) {
        guard var job = jobs[id] else { return }
        do {
            try store.resetDecodeChunks(job: id)
            job.machine = JobStateMachine(state: .running(attempt: max(1, job.machine.state.run)))
            jobs[id] = job
            try store.setJobState(id: id, to: .running, from: [.decoding, .running])
            startDecode(id)
        } catch {
            logger.error("cannot restart decoding", metadata: ["job": "\(id)", "error": "\(error)"])
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
    /// The run number, where the state has one.
    var run: Int {
        switch self {
        case .running(let attempt), .decoding(let attempt), .failed(let attempt, _): return attempt
        case .queued, .succeeded, .cancelled: return 0
        }
    }
}
