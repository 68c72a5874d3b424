import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelWire

/// Recording results: the commit, retried while the database is away, and what
/// memory does with each outcome.
extension Coordinator {
    /// Commits a stored result, riding out a database that is down or restarting:
    /// the output is already on disk, so the commit is retried (with backoff, up to
    /// `window`) rather than charging anybody a try. An error that leaves the
    /// outcome unknown is settled by reading the row back.
    static func recordWithRetry(
        store: FarmStore, window: Duration, logger: Logger, item: WorkItem, job: Int64, sha: String,
        commit: () throws -> [ShardID]?, settle: (WorkStatus) throws -> [ShardID]?
    ) -> RecordOutcome {
        let attempt = retrying(window: window, logger: logger, what: "record the result of \(item) of job \(job)") { () throws -> RecordOutcome in
            guard let ready = try commit() else {
                let now = try? store.status(of: item, job: job)
                return .stale("the database holds \(now.map { "\($0.state.rawValue) at attempt \($0.attempt)" } ?? "no such item")")
            }
            return .committed(sha: sha, ready: ready)
        } settle: { _ in
            // The commit's answer was lost, or the database is away: the row, if it
            // can be read, says whether to stop.
            guard let status = try? store.status(of: item, job: job) else { return nil }
            if let ready = try? settle(status) { return .committed(sha: sha, ready: ready) }
            return status.state != .leased ? .stale("the database holds \(status.state.rawValue) at attempt \(status.attempt)") : nil
        }
        switch attempt {
        case .success(let outcome): return outcome
        case .failure(let error): return .unrecorded("the database did not take the result within \(window): \(error)")
        }
    }

    /// What the `records` lane says became of a shard result.
    func shardRecorded(peer: PeerID, worker: String, job id: Int64, shard: ShardID, attempt: Int, outcome: RecordOutcome) {
        persisting.remove(.shard(job: id, shard))
        pull(intake.settled(.shard(job: id, shard), now: .now))
        guard var job = jobs[id], var record = job.shards[shard] else { return }
        switch outcome {
        case .committed(let sha, let ready):
            let action = record.machine.complete(by: worker, attempt: attempt)
            if case .rejected(let why) = action {
                // The database committed it, so memory follows the database.
                logger.warning("memory disagreed with a committed result", metadata: ["shard": "\(shard)", "why": "\(why)"])
                record.machine = ShardStateMachine(state: .done(worker: worker, attempt: attempt), policy: config.policy)
            }
            record.outputSHA = sha
            job.shards[shard] = record
            for dependent in ready {
                if case .rejected(let why) = job.shards[dependent]?.machine.dependenciesMet() {
                    logger.warning("memory disagreed with a newly ready shard", metadata: ["shard": "\(dependent)", "why": "\(why)"])
                }
            }
            jobs[id] = job
            for peer in workers.keys where workers[peer]?.name == worker { workers[peer]?.shardsDone += 1 }
            statistics.shardsCompleted += 1
            collectInputs(of: shard, job: id)
            if job.allShardsDone { startFinalBlend(id) }
        case .stale(let why):
            reject(peer: peer, job: id, shard: shard, "stale result from \(worker): \(why)")
            adoptDatabaseState(job: id, item: .shard(shard))
        case .invalid(let why):
            reject(peer: peer, job: id, shard: shard, "\(worker): \(why)")
            recordWorkerFailure(job: id, worker: worker)
            lose(job: id, shard: shard, worker: worker, reason: "\(worker): \(why)") {
                $0.fail(by: worker, attempt: attempt, reason: why, now: self.clock.now)
            }
        case .unrecorded(let why):
            logger.error("result not recorded", metadata: ["job": "\(id)", "shard": "\(shard)", "why": "\(why)"])
            // Not the worker's fault: back to the queue with the try given back.
            release(.shard(shard), job: id, attempt: attempt, worker: worker, why: why)
            adoptDatabaseState(job: id, item: .shard(shard))
        }
    }
}
