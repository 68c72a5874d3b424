import ReelPlan
import ReelWire

/// A job leaving memory: failed, cancelled or ended elsewhere.
extension CoordinatorCore {
    /// The job fails with `reason` (already recorded in the database when
    /// `persisted`, else recorded now); its workers are told to stop and their
    /// slots are free again.
    mutating func failJob(_ id: Int64, reason: String, persisted: Bool = false) -> [CoordinatorAction] {
        guard var job = jobs[id], case .abort = job.machine.fail(reason: reason) else { return [] }
        job.decode = nil
        jobs[id] = job
        var actions: [CoordinatorAction] = persisted ? [] : [.setJobFailed(id, reason: reason)]
        actions += endJob(id, reason: "job \(id) failed")
        actions.append(.log(.error, "job failed", ["job": "\(id)", "reason": "\(reason)"]))
        return actions
    }

    func jobFailureRecorded(_ id: Int64, outcome: StoreOutcome) -> [CoordinatorAction] {
        switch outcome {
        case .committed: return []
        case .stale: return [.log(.warning, "job was not running in the database when it failed", ["job": "\(id)"])]
        case .failed(let error), .unknown(let error):
            // The reconciler compares the job with the database again: a job still
            // running there is resumed, one that failed stays gone.
            return [.log(.error, "cannot record job failure", ["job": "\(id)", "error": "\(error)"])]
        }
    }

    /// The job leaves memory: everything of it that workers hold is cancelled and
    /// their slots freed here (the coordinator no longer counts on those results).
    mutating func endJob(_ id: Int64, reason: String) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        for (peer, worker) in workers {
            for work in worker.running.keys where work.job == id {
                actions.append(.cancel(peer, work: work, token: token(of: work) ?? 0, reason: reason))
                workers[peer]?.running[work] = nil
            }
        }
        jobs[id] = nil
        return actions
    }
}

/// The API's commands that change jobs: the job's state machine decides, and
/// memory changes once the database has carried the command out.
extension CoordinatorCore {
    /// Why job `id` cannot be cancelled, if it cannot: its machine here, or the
    /// state the database holds for a job not running here.
    func cancelRefusal(_ id: Int64, stored: JobState) -> Rejection? {
        var machine = jobs[id]?.machine ?? JobStateMachine(state: stored)
        if case .rejected(let rejection) = machine.cancel() { return rejection }
        return nil
    }

    /// The database cancelled job `id` and its unfinished rows: the leases still
    /// out are revoked and the workers' slots freed.
    mutating func cancelled(_ id: Int64) -> [CoordinatorAction] {
        endJob(id, reason: "job \(id) cancelled") + [.log(.info, "job cancelled", ["job": "\(id)"])]
    }

    /// Why a job in state `stored` cannot be retried, if it cannot.
    static func retryRefusal(stored: JobState) -> Rejection? {
        var machine = JobStateMachine(state: stored)
        if case .rejected(let rejection) = machine.retry() { return rejection }
        return nil
    }

    /// The database reset a failed job (`reset` shards): it is rebuilt from its
    /// rows, the simplest way to agree with what the retry changed. Resuming makes
    /// ready the reset shards whose inputs are done, and moves on to decoding if
    /// every shard already is.
    mutating func retried(_ stored: JobSnapshot, reset: Int) throws -> [CoordinatorAction] {
        try resume(stored) + [.log(.info, "job retried", ["job": "\(stored.id)", "reset_shards": "\(reset)"])]
    }
}

/// What a submission is admitted and planned against.
extension CoordinatorCore {
    /// Models offered by connected workers, by name. (Workers serving one name
    /// share one digest: a worker with another is refused at hello.)
    func knownModels() -> [String: ModelGeometry] {
        var models: [String: ModelGeometry] = [:]
        for worker in workers.values { models.merge(worker.models) { first, _ in first } }
        return models
    }

    /// The warm-up latent frames decode chunks of `model` need: the most any
    /// connected worker's VAE asks for.
    func decodeWarmup(of model: String) -> Int? {
        workers.values.compactMap { $0.decodeWarmup[model] }.max()
    }
}
