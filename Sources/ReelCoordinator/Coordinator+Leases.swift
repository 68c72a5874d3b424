import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelWire

/// Leases that end without a result: expiry, a lost worker, a failed attempt.
/// The database's answer decides what memory becomes.
extension Coordinator {
    /// Leases past their expiry (a worker alive but stuck) are lost; results being
    /// recorded are not, since their output may yet commit.
    func checkLeases() {
        let now = clock.now
        for (id, job) in jobs {
            for (shard, record) in job.shards {
                guard case .leased(let holder, _, let expiresAt) = record.machine.state, expiresAt <= now,
                    !persisting.contains(.shard(job: id, shard))
                else { continue }
                for peer in workers.keys where workers[peer]?.name == holder { workers[peer]?.running[.shard(job: id, shard)] = nil }
                lose(.shard(job: id, shard), worker: holder, reason: "lease of \(holder) expired") { $0.leaseExpired(now: now) }
            }
            guard let decode = job.decode else { continue }
            for (index, machine) in decode.machines.enumerated() {
                guard case .leased(let holder, _, let expiresAt) = machine.state, expiresAt <= now,
                    !persisting.contains(.chunk(job: id, index))
                else { continue }
                for peer in workers.keys where workers[peer]?.name == holder { workers[peer]?.running[.chunk(job: id, index)] = nil }
                lose(.chunk(job: id, index), worker: holder, reason: "lease of \(holder) expired") { $0.leaseExpired(now: now) }
            }
        }
    }

    /// `worker` no longer runs `work` (disconnected or gone).
    func loseWork(_ work: WorkRef, worker: String, reason: String) {
        guard !persisting.contains(work) else { return }
        let now = clock.now
        lose(work, worker: worker, reason: reason) { $0.workerLost(worker, now: now) }
    }

    func lose(job id: Int64, shard: ShardID, worker: String, reason: String, _ event: (inout ShardStateMachine) -> ShardStateMachine.Action) {
        lose(.shard(job: id, shard), worker: worker, reason: reason, event)
    }

    /// Applies a losing event to the item's machine and has the database follow:
    /// back to the queue after a backoff, or the job fails when out of attempts.
    /// The database's answer decides: if it says the lease was not current, memory
    /// adopts what the database holds instead.
    func lose(_ work: WorkRef, worker: String, reason: String, _ event: (inout ShardStateMachine) -> ShardStateMachine.Action) {
        guard var machine = machine(of: work), let token = token(of: work) else { return }
        let action = event(&machine)
        let item = Self.item(work)
        switch action {
        case .retry(_, _, let notBefore):
            let persisted: Bool
            do {
                switch work {
                case .shard(let job, let shard):
                    persisted = try store.failShard(job: job, shard: shard, attempt: token, worker: worker, reason: reason, notBefore: notBefore)
                case .chunk(let job, let chunk):
                    persisted = try store.failDecodeChunk(job: job, chunk: chunk, attempt: token, worker: worker, reason: reason, notBefore: notBefore)
                }
            } catch {
                logger.error("cannot requeue", metadata: ["work": "\(work)", "error": "\(error)"])
                // Unknown: the reconciler reads the row back and repairs memory.
                setMachine(machine, of: work)
                return
            }
            if persisted {
                setMachine(machine, of: work)
                logger.info("requeued", metadata: ["work": "\(work)", "reason": "\(reason)"])
            } else {
                adoptDatabaseState(job: work.job, item: item)
            }
        case .failJob(let why):
            let persisted: Bool
            do {
                switch work {
                case .shard(let job, let shard):
                    persisted = try store.failShardForGood(job: job, shard: shard, attempt: token, worker: worker, reason: why)
                case .chunk(let job, let chunk):
                    persisted = try store.failDecodeChunkForGood(job: job, chunk: chunk, attempt: token, worker: worker, reason: why)
                }
            } catch {
                logger.error("cannot fail work", metadata: ["work": "\(work)", "error": "\(error)"])
                setMachine(machine, of: work)
                return
            }
            guard persisted else {
                adoptDatabaseState(job: work.job, item: item)
                return
            }
            setMachine(machine, of: work)
            failJob(work.job, reason: "\(work) failed \(config.policy.maxAttempts) times; last: \(why)", persisted: true)
        case .rejected(let why):
            logger.debug("losing event refused", metadata: ["work": "\(work)", "why": "\(why)"])
        default:
            setMachine(machine, of: work)
        }
    }

    func machine(of work: WorkRef) -> ShardStateMachine? {
        switch work {
        case .shard(let job, let shard): return jobs[job]?.shards[shard]?.machine
        case .chunk(let job, let chunk):
            guard let decode = jobs[job]?.decode, decode.machines.indices.contains(chunk) else { return nil }
            return decode.machines[chunk]
        }
    }

    func token(of work: WorkRef) -> Int? {
        switch work {
        case .shard(let job, let shard): return jobs[job]?.shards[shard]?.token
        case .chunk(let job, let chunk):
            guard let decode = jobs[job]?.decode, decode.tokens.indices.contains(chunk) else { return nil }
            return decode.tokens[chunk]
        }
    }

    func setMachine(_ machine: ShardStateMachine, of work: WorkRef) {
        switch work {
        case .shard(let job, let shard): jobs[job]?.shards[shard]?.machine = machine
        case .chunk(let job, let chunk): jobs[job]?.decode?.machines[chunk] = machine
        }
    }

    static func item(_ work: WorkRef) -> WorkItem {
        switch work {
        case .shard(_, let shard): return .shard(shard)
        case .chunk(_, let chunk): return .decodeChunk(chunk)
        }
    }
}

extension ShardState {
    /// Who holds the lease, if leased.
    var holder: String? {
        if case .leased(let worker, _, _) = self { return worker }
        return nil
    }
}
