import Foundation
import ReelPlan
import ReelStore
import ReelWire

/// Shard results: checked against the lease, recorded on the `records` lane,
/// and memory following what the database made of them.
extension CoordinatorCore {
    /// A shard result arrived. Whatever happens, the worker's slot is freed; a
    /// current one is ordered recorded, and until that answers neither lease
    /// expiry nor a lost worker may requeue the shard.
    mutating func shardResult(peer: PeerID, job id: Int64, shard: ShardID, token: Int, frames: [Data], at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.shard(job: id, shard)
        let pulled = intake.arrived(work, attempt: token, from: peer)
        let actions = acceptShardResult(peer: peer, job: id, shard: shard, token: token, frames: frames)
        // A pulled result that is not being recorded left memory: its place goes to the next.
        return pulled ? actions + settleIfNotRecording(work, at: time) : actions
    }

    private mutating func acceptShardResult(peer: PeerID, job id: Int64, shard: ShardID, token: Int, frames: [Data]) -> [CoordinatorAction] {
        guard let worker = workers[peer] else {
            return [.refuse(peer, .notRegistered, "unknown worker: send hello again"), reject(peer, "result from an unregistered peer")]
        }
        let work = WorkRef.shard(job: id, shard)
        workers[peer]?.running[work] = nil
        guard let job = jobs[id] else { return [reject(peer, "result for unknown job \(id) (not running here)")] }
        guard let record = job.shards[shard] else { return [reject(peer, job: id, "result for unknown shard \(shard) of job \(id)")] }
        if holdsRerun(work, worker: worker.name, token: token) { return acceptRerun(worker: worker.name, job: id, shard: shard, token: token, frames: frames) }
        guard case .leased(let holder, _, _) = record.machine.state, holder == worker.name, token == record.token, !persisting.contains(work) else {
            return [
                reject(
                    peer, job: id, shard: shard,
                    "stale result: attempt \(token) from \(worker.name), shard is \(record.machine.state.name.rawValue) at attempt \(record.token)")
            ]
        }
        persisting.insert(work)
        let box = job.plan.regions[shard.region].box
        return [
            .recordShardResult(
                ShardResultOrder(
                    peer: peer, worker: worker.name, job: id, shard: shard, token: token,
                    expectedShape: [box.channels, box.frames.length, box.rows.length, box.columns.length],
                    // A checked shard's dependents wait for its check (``closeCheck(job:shard:)``).
                    dependents: verifies(job: id, shard: shard) ? [] : releasable(job: id, after: shard), frames: frames,
                    openCheck: verifies(job: id, shard: shard) && job.checks[shard] == nil))
        ]
    }

    /// What the `records` lane made of a shard result (it settles a lost COMMIT
    /// answer by reading the row itself, see ``Coordinator/recordWithRetry``).
    mutating func shardRecorded(peer: PeerID, worker: String, job id: Int64, shard: ShardID, attempt: Int, outcome: RecordOutcome, at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.shard(job: id, shard)
        persisting.remove(work)
        let pulls = pull(intake.settled(work, now: time.instant), at: time)
        return pulls + applyRecorded(peer: peer, worker: worker, job: id, shard: shard, attempt: attempt, outcome: outcome, at: time)
    }

    private mutating func applyRecorded(peer: PeerID, worker: String, job id: Int64, shard: ShardID, attempt: Int, outcome: RecordOutcome, at time: LoopTime) -> [CoordinatorAction] {
        let work = WorkRef.shard(job: id, shard)
        let tries = leaseTries(of: work, worker: worker, token: attempt)
        guard var job = jobs[id], var record = job.shards[shard] else { return [] }
        switch outcome {
        case .committed(let sha, let ready):
            var actions: [CoordinatorAction] = []
            if case .rejected(let why) = record.machine.complete(by: worker, attempt: tries ?? -1) {
                // The database committed it, so memory follows the database.
                actions.append(.log(.warning, "memory disagreed with a committed result", ["shard": "\(shard)", "why": "\(why)"]))
                record.machine = ShardStateMachine(state: .done(worker: worker, attempt: attempt), policy: config.policy)
            }
            record.token = attempt
            record.outputSHA = sha
            job.shards[shard] = record
            for dependent in ready {
                if case .rejected(let why) = job.shards[dependent]?.machine.dependenciesMet() {
                    actions.append(.log(.warning, "memory disagreed with a newly ready shard", ["shard": "\(dependent)", "why": "\(why)"]))
                }
            }
            jobs[id] = job
            for peer in workers.keys where workers[peer]?.name == worker { workers[peer]?.countDone(at: time.instant) }
            actions.append(.tally(.shardCompleted))
            // A result that commits after its worker was quarantined is never used.
            if quarantined.contains(worker) {
                return actions + invalidate(job: id, roots: [shard], reason: "\(worker) is quarantined; its result for shard \(shard) came after")
            }
            // A checked shard keeps its inputs until its re-run has read them.
            if !openCheck(job: id, shard: shard, worker: worker, sha: sha, token: attempt, at: time) {
                actions += owedReadiness(job: id, after: shard, made: ready)
                actions.append(.collectBlobs(job: id, shards: garbage(after: shard, job: id), chunks: []))
            }
            if job.allShardsDone { actions += startFinalBlend(id) }
            return actions
        case .stale(let why):
            return [
                .reject(peer: peer, worker: worker, job: id, shard: shard, reason: "stale result from \(worker): \(why)"),
                .readBack(work, fallback: nil),
            ]
        case .invalid(let why):
            // A lease that ended meanwhile (expired, worker lost) was left to this
            // outcome: this is its one charge.
            return [
                .reject(peer: peer, worker: worker, job: id, shard: shard, reason: "\(worker): \(why)"),
                .recordWorkerFailure(job: id, worker: worker),
            ] + lose(work, worker: worker, reason: "\(worker): \(why)", counting: .invalidResult) { $0.fail(by: worker, attempt: tries ?? -1, reason: why, now: time.stamp) }
        case .unrecorded(let why):
            // Not the worker's fault: back to the queue with the try given back.
            return [
                .log(.error, "result not recorded", ["job": "\(id)", "shard": "\(shard)", "why": "\(why)"]),
                .release(work, token: attempt, worker: worker, why: why, readBack: true),
            ]
        }
    }
}
