import ReelPlan
import ReelStore

/// Invalidation after a lost ballot: a quarantined worker's results that no check
/// confirmed, and everything blended from them, are computed again
/// (``InvalidationCone/redo(from:in:states:collected:)``). The core decides which
/// shards; the database moves them in one transaction
/// (``FarmStore/invalidateShards(job:shards:candidates:reason:)``) and memory
/// follows its answer.
extension CoordinatorCore {
    /// Invalidates, in every running job, each result of `losers` not confirmed
    /// by a check (and each lease they hold), with its cone.
    ///
    /// A job past its shards abandons its decode when the cone reaches its last
    /// block (``invalidatePastShards(job:roots:reason:)``).
    mutating func invalidateResults(of losers: Set<String>, reason: String) -> [CoordinatorAction] {
        guard !losers.isEmpty else { return [] }
        var actions: [CoordinatorAction] = []
        for id in jobs.keys.sorted() {
            guard let job = jobs[id] else { continue }
            let roots = Set(
                job.shards.compactMap { shard, record -> ShardID? in
                    guard !job.confirmed.contains(shard) else { return nil }
                    switch record.machine.state {
                    case .done(let worker, _), .leased(let worker, _, _): return losers.contains(worker) ? shard : nil
                    default: return nil
                    }
                })
            guard !roots.isEmpty else { continue }
            guard job.machine.state.name == .running, !job.finishing else {
                actions += invalidatePastShards(job: id, roots: roots, reason: reason)
                continue
            }
            actions += invalidate(job: id, roots: roots, reason: reason)
        }
        return actions
    }

    /// Whether `shard`'s output blob was (or is being) deleted: the criterion of
    /// ``garbage(after:job:)`` — every reader done with no check open.
    func blobCollected(_ shard: ShardID, in job: JobRuntime) -> Bool {
        guard config.collectBlobs, job.shards[shard]?.machine.state.name == .done else { return false }
        let readers = job.plan.dependents(of: shard)
        return !readers.isEmpty && readers.allSatisfy { job.shards[$0]?.machine.state.name == .done && job.checks[$0] == nil }
    }

    /// Orders the reset of `roots`' cone in `job`: one transaction; shards whose
    /// inputs are all outside the redo set and settled are made ready in it.
    mutating func invalidate(job id: Int64, roots: Set<ShardID>, reason: String) -> [CoordinatorAction] {
        guard let job = jobs[id], !roots.isEmpty else { return [] }
        let redo = InvalidationCone.redo(
            from: roots, in: job.plan, states: job.shards.mapValues { $0.machine.state.name },
            collected: Set(job.shards.keys.filter { blobCollected($0, in: job) }))
        guard !redo.isEmpty else { return [] }
        jobs[id]?.invalidating += 1
        let candidates = redo.sorted().map { ($0, job.plan.dependencies(of: $0)) }.filter { _, inputs in
            inputs.allSatisfy { !redo.contains($0) && settled(job: id, $0) }
        }
        return [
            .log(.warning, "invalidating results", ["job": "\(id)", "roots": "\(roots.sorted())", "shards": "\(redo.count)", "why": "\(reason)"]),
            .invalidateShards(job: id, shards: redo.sorted(), candidates: candidates.map { (shard: $0.0, inputs: $0.1) }, reason: reason),
        ]
    }

    /// The database moved `rows` back (or could not): memory follows, leases
    /// are revoked, open checks on moved shards are dropped.
    mutating func shardsInvalidated(job id: Int64, reason: String, outcome: Result<[InvalidatedShard], StoreFailure>) -> [CoordinatorAction] {
        guard jobs[id] != nil else { return [] }
        jobs[id]?.invalidating -= 1
        let rows: [InvalidatedShard]
        switch outcome {
        case .success(let moved): rows = moved
        case .failure(let error):
            // Nothing moved; memory stays as the database is. The quarantine stands
            // (no new lease goes to the worker), and its next result is invalidated.
            return [.log(.error, "cannot invalidate shards", ["job": "\(id)", "error": "\(error)", "why": "\(reason)"])]
                + (jobs[id]?.allShardsDone == true ? startFinalBlend(id) : [])
        }
        var actions: [CoordinatorAction] = []
        for row in rows {
            let work = WorkRef.shard(job: id, row.shard)
            jobs[id]?.checks[row.shard] = nil
            jobs[id]?.confirmed.remove(row.shard)
            jobs[id]?.shards[row.shard]?.outputSHA = nil
            var machine = ShardStateMachine(state: .pending, policy: config.policy)
            if row.ready { _ = machine.dependenciesMet() }
            jobs[id]?.shards[row.shard]?.machine = machine
            // A lease memory had not heard of yet (its claim's answer is on the way)
            // was revoked too: the row's token is the newer.
            if let token = jobs[id]?.shards[row.shard]?.token, row.attempt > token { jobs[id]?.shards[row.shard]?.token = row.attempt }
            if row.previous == .leased, let holder = row.worker {
                freeSlots(of: work, heldBy: holder)
                for (peer, worker) in workers where worker.name == holder {
                    actions.append(.cancel(peer, work: work, token: row.attempt, reason: "invalidated: \(reason)"))
                }
            }
        }
        if !rows.isEmpty {
            actions.append(.tally(.invalidated(rows.count)))
            actions.append(
                .log(.warning, "shards invalidated", [
                    "job": "\(id)", "shards": "\(rows.count)", "ready": "\(rows.filter(\.ready).count)",
                    "revoked": "\(rows.filter { $0.previous == .leased }.count)",
                ]))
        }
        // Nothing of the final block moved (the reset reached no final shard): the clip may blend.
        if jobs[id]?.allShardsDone == true { actions += startFinalBlend(id) }
        return actions
    }
}
