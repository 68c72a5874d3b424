import ReelPlan
import ReelStore
import ReelWire

/// Leases that end without a result (expiry, a lost worker, a failed attempt),
/// and memory following the database's answer.
extension CoordinatorCore {
    /// Leases past their expiry (a worker alive but stuck) are lost; results being
    /// recorded are not, since their output may yet commit.
    mutating func checkLeases(at time: LoopTime) -> [CoordinatorAction] {
        let now = time.stamp
        var expired: [(WorkRef, String)] = []
        for (id, job) in jobs {
            for (shard, record) in job.shards {
                if case .leased(let holder, _, let expiresAt) = record.machine.state, expiresAt <= now { expired.append((.shard(job: id, shard), holder)) }
            }
            if case .leased(let holder, _, let expiresAt)? = job.encoding?.machine.state, expiresAt <= now { expired.append((.encoding(job: id), holder)) }
            for (index, source) in job.sources {
                if case .leased(let holder, _, let expiresAt) = source.machine.state, expiresAt <= now { expired.append((.source(job: id, index), holder)) }
            }
            guard let decode = job.decode else { continue }
            for (index, machine) in decode.machines.enumerated() {
                if case .leased(let holder, _, let expiresAt) = machine.state, expiresAt <= now { expired.append((.chunk(job: id, index), holder)) }
            }
        }
        var actions: [CoordinatorAction] = []
        for (work, holder) in expired where !persisting.contains(work) {
            freeSlots(of: work, heldBy: holder)
            actions += lose(work, worker: holder, reason: "lease of \(holder) expired", counting: .leaseExpired) { $0.leaseExpired(now: now) }
        }
        return actions
    }

    /// `worker` no longer runs `work` (disconnected, gone, or it lost the item).
    /// A result being recorded is left to its outcome.
    mutating func loseWork(_ work: WorkRef, worker: String, reason: String, at time: LoopTime) -> [CoordinatorAction] {
        guard !persisting.contains(work) else { return [] }
        return lose(work, worker: worker, reason: reason, counting: .workerLost) { $0.workerLost(worker, now: time.stamp) }
    }

    /// Applies a losing event to the item's machine and asks the database to
    /// follow: back to the queue after a backoff, or the job fails when out of
    /// attempts. Memory changes when the database answers (``requeued(_:token:reason:then:outcome:)``).
    mutating func lose(
        _ work: WorkRef, worker: String, reason: String, _ event: (inout ShardStateMachine) -> ShardStateMachine.Action
    ) -> [CoordinatorAction] {
        guard !settling.contains(work), var machine = machine(of: work), let token = token(of: work) else { return [] }
        switch event(&machine) {
        case .retry(_, _, let notBefore):
            settling.insert(work)
            return [.requeue(work, token: token, worker: worker, reason: reason, notBefore: notBefore, then: machine)]
        case .failJob(let why):
            settling.insert(work)
            return [.failForGood(work, token: token, worker: worker, reason: why, then: machine)]
        case .rejected(let why):
            return [.log(.debug, "losing event refused", ["work": "\(work)", "why": "\(why)"])]
        default:
            setMachine(machine, of: work)
            return []
        }
    }

    /// ``lose(_:worker:reason:_:)``, counted in `reel_failures_total` under
    /// `counting` when it asks the database to requeue or fail the item (an item
    /// already being settled is not counted twice).
    mutating func lose(
        _ work: WorkRef, worker: String, reason: String, counting: FailureReason, _ event: (inout ShardStateMachine) -> ShardStateMachine.Action
    ) -> [CoordinatorAction] {
        let actions = lose(work, worker: worker, reason: reason, event)
        let asked = actions.contains { action in
            switch action {
            case .requeue, .failForGood: return true
            default: return false
            }
        }
        return asked ? [.tally(.failure(counting))] + actions : actions
    }

    /// The database answered a requeue.
    mutating func requeued(_ work: WorkRef, token: Int, reason: String, then machine: ShardStateMachine, outcome: StoreOutcome) -> [CoordinatorAction] {
        settling.remove(work)
        guard self.token(of: work) == token else { return [] }
        switch outcome {
        case .committed:
            setMachine(machine, of: work)
            return [.tally(.retry), .log(.info, "requeued", ["work": "\(work)", "reason": "\(reason)"])]
        case .stale:
            // The lease was not current in the database: memory takes what it holds.
            return [.readBack(work, fallback: nil)]
        case .failed(let error), .unknown(let error):
            return [.log(.error, "cannot requeue; reading the row again", ["work": "\(work)", "error": "\(error)"]), .readBack(work, fallback: machine)]
        }
    }

    /// The database answered a final failure of an item (which fails its job in
    /// the same transaction).
    mutating func failedForGood(_ work: WorkRef, token: Int, reason: String, then machine: ShardStateMachine, outcome: StoreOutcome) -> [CoordinatorAction] {
        settling.remove(work)
        guard self.token(of: work) == token else { return [] }
        switch outcome {
        case .committed:
            setMachine(machine, of: work)
            return failJob(work.job, reason: "\(work) failed \(config.policy.maxAttempts) times; last: \(reason)", persisted: true)
        case .stale:
            return [.readBack(work, fallback: nil)]
        case .failed(let error), .unknown(let error):
            // If the row turns out failed, reading it fails the job (``adopt(_:work:)``).
            return [.log(.error, "cannot fail work; reading the row again", ["work": "\(work)", "error": "\(error)"]), .readBack(work, fallback: nil)]
        }
    }

    /// The database answered a release (a claim given back without charging a try).
    func released(_ work: WorkRef, token: Int, why: String, outcome: StoreOutcome, readBack: Bool) -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        switch outcome {
        case .committed:
            actions.append(.log(.debug, "claim released", ["job": "\(work.job)", "item": "\(work.item)", "why": "\(why)"]))
        case .stale:
            actions.append(.log(.warning, "a refused claim was already gone", ["job": "\(work.job)", "item": "\(work.item)"]))
        case .failed(let error), .unknown(let error):
            // Settled by reading the row: a lease left in the database becomes a
            // lease in memory, which expires and is requeued like any other.
            actions.append(.log(.error, "cannot release a claim", ["job": "\(work.job)", "item": "\(work.item)", "error": "\(error)"]))
            return actions + [.readBack(work, fallback: nil)]
        }
        if readBack { actions.append(.readBack(work, fallback: nil)) }
        return actions
    }

    /// The row was read again: memory takes what the database holds, or
    /// `fallback` if it could not be read (the reconciler reads it later).
    ///
    /// The I/O layer reads the row on the loop's own turn and feeds it back at once,
    /// so no event reaches the core between the read and this adoption. The row can
    /// still be newer than an answer on its way: a claim the statements lane commits
    /// between a release (or a stale requeue) and this read makes the row leased to
    /// the claim's worker at the claim's attempt, and memory takes that lease here.
    /// The claim handlers (``shardsClaimed(peer:worker:claims:at:chunkLimit:)`` and
    /// the like) then dispatch a claim memory already holds at its attempt
    /// (``ShardStateMachine/take(claimOf:attempt:now:)``) instead of giving it back as stale.
    mutating func readBack(_ work: WorkRef, row: Result<ItemSnapshot?, StoreFailure>, fallback: ShardStateMachine?) -> [CoordinatorAction] {
        switch row {
        case .success(let snapshot?):
            return adopt(snapshot, work: work)
        case .success(nil):
            return []
        case .failure(let error):
            if let fallback { setMachine(fallback, of: work) }
            return [.log(.error, "cannot read back an item; the reconciler will", ["job": "\(work.job)", "item": "\(work.item)", "error": "\(error)"])]
        }
    }

    /// Memory takes what the database holds for one item: the database decides
    /// every transition. A worker that no longer holds the lease gets its slot
    /// back; an item the database failed for good fails its job.
    mutating func adopt(_ snapshot: ItemSnapshot, work: WorkRef) -> [CoordinatorAction] {
        let machine = ShardStateMachine(state: snapshot.state, policy: config.policy)
        switch work {
        case .shard(let id, let shard):
            guard jobs[id]?.shards[shard] != nil else { return [] }
            jobs[id]?.shards[shard]?.adopt(machine: machine, token: snapshot.token, outputSHA: snapshot.outputSHA)
        case .chunk(let id, let chunk):
            guard let decode = jobs[id]?.decode, decode.chunks.indices.contains(chunk) else { return [] }
            jobs[id]?.decode?.machines[chunk] = machine
            jobs[id]?.decode?.tokens[chunk] = snapshot.token
            jobs[id]?.decode?.segments[chunk] = snapshot.state.name == .done ? snapshot.outputSHA : nil
        case .encoding(let id):
            guard jobs[id]?.encoding != nil else { return [] }
            jobs[id]?.encoding?.machine = machine
            jobs[id]?.encoding?.token = snapshot.token
        case .source(let id, let index):
            guard jobs[id]?.sources[index] != nil else { return [] }
            // Changed in place: the item keeps whether its latents go into the cache
            // (`caches`), which the row does not say.
            jobs[id]?.sources[index]?.machine = machine
            jobs[id]?.sources[index]?.token = snapshot.token
            jobs[id]?.sources[index]?.latentsSHA = snapshot.state.name == .done ? snapshot.outputSHA : nil
        }
        for peer in workers.keys where workers[peer]?.running[work] != nil && snapshot.worker != workers[peer]?.name {
            workers[peer]?.running[work] = nil
        }
        if case .failed(_, let reason) = snapshot.state {
            return failJob(work.job, reason: "\(work) failed \(config.policy.maxAttempts) times; last: \(reason)", persisted: true)
        }
        return []
    }
}
