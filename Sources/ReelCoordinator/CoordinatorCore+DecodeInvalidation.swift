import Logging
import ReelPlan
import ReelStore

/// Invalidation reaching a job past its shards. A lost ballot's cone that reaches
/// the last block of a job whose clip was already blended makes the blend wrong,
/// and every decode chunk cut from it: the decode is abandoned (the job back to
/// running, its chunks back to ready, their segments, previews and the blended
/// latents deleted), the cone redone, and the clip blended and decoded again. One
/// transaction in the database
/// (``FarmStore/invalidateDecodingJob(job:shards:candidates:reason:)``); memory
/// follows its answer.
///
/// A job whose blend is in flight, or whose decode reset is, waits for that
/// answer: the invalidation is deferred (``JobRuntime/deferredInvalidation``) and
/// decided again on the job as it is then.
extension CoordinatorCore {
    /// Each shard of `id` a worker in `losers` produced or holds that no check confirmed.
    func unconfirmedResults(of losers: Set<String>, in id: Int64) -> Set<ShardID> {
        guard let job = jobs[id] else { return [] }
        return Set(
            job.shards.compactMap { shard, record -> ShardID? in
                guard !job.confirmed.contains(shard) else { return nil }
                switch record.machine.state {
                case .done(let worker, _), .leased(let worker, _, _): return losers.contains(worker) ? shard : nil
                default: return nil
                }
            })
    }

    /// Invalidates `roots` in job `id`, which is past its shards: its final blend
    /// runs (deferred), it decodes (the decode is abandoned if the cone reaches the
    /// last block), or its video is being joined (too late: logged).
    mutating func invalidatePastShards(job id: Int64, roots: Set<ShardID>, reason: String) -> [CoordinatorAction] {
        guard let job = jobs[id], !roots.isEmpty else { return [] }
        let fields: Logger.Metadata = ["job": "\(id)", "shards": "\(roots.count)", "state": "\(job.machine.state.name.rawValue)"]
        switch job.machine.state.name {
        case .running where job.finishing, .decoding where job.invalidating > 0:
            jobs[id]?.deferredInvalidation = reason
            return [.log(.info, "a quarantined worker's results are in a job being blended or reset; invalidated once that answers", fields)]
        case .decoding where job.finishing:
            return [.log(.warning, "a quarantined worker's results are in a job whose video is being joined; they stay", fields)]
        case .decoding:
            break
        case .running:
            return invalidate(job: id, roots: roots, reason: reason)
        default:
            return [.log(.warning, "a quarantined worker's results are in a job that is not running; they stay", fields)]
        }
        // The last block's blobs went when the clip was blended: computed again (the
        // engine is deterministic), with whatever collected inputs they need.
        var collected = Set(job.shards.keys.filter { blobCollected($0, in: job) })
        if config.collectBlobs { collected.formUnion(job.plan.finalShards) }
        let cone = InvalidationCone.reach(from: roots, in: job.plan)
        guard job.plan.finalShards.contains(where: cone.contains) else {
            // Cannot happen in a plan whose every shard reaches the last block; kept
            // so that a cone short of it never abandons a correct decode.
            return invalidate(job: id, roots: roots, reason: reason)
        }
        let redo = InvalidationCone.redo(
            from: roots.union(job.plan.finalShards.filter { collected.contains($0) }), in: job.plan,
            states: job.shards.mapValues { $0.machine.state.name }, collected: collected)
        jobs[id]?.invalidating += 1
        let candidates = redo.sorted().map { ($0, job.plan.dependencies(of: $0)) }.filter { _, inputs in
            inputs.allSatisfy { !redo.contains($0) && settled(job: id, $0) }
        }
        return [
            .log(.warning, "abandoning a decode: its clip was blended from a disproved result",
                 ["job": "\(id)", "roots": "\(roots.sorted())", "shards": "\(redo.count)", "why": "\(reason)"]),
            .invalidateDecode(job: id, shards: redo.sorted(), candidates: candidates.map { (shard: $0.0, inputs: $0.1) }, reason: reason),
        ]
    }

    /// The database abandoned the decode (or could not, or the job had moved on):
    /// chunk leases are revoked, the old segments, previews and latents go, the job
    /// runs again, and the shards follow as in ``shardsInvalidated(job:reason:outcome:)``.
    mutating func decodeInvalidated(job id: Int64, reason: String, outcome: Result<InvalidatedDecode?, StoreFailure>) -> [CoordinatorAction] {
        guard jobs[id] != nil else { return [] }
        let reset: InvalidatedDecode
        switch outcome {
        case .failure(let error):
            jobs[id]?.invalidating -= 1
            // Memory stays as the database is; the quarantine stands.
            return [.log(.error, "cannot abandon a decode", ["job": "\(id)", "error": "\(error)", "why": "\(reason)"])]
                + startJoin(id) + resumeDeferredInvalidation(id)
        case .success(nil):
            jobs[id]?.invalidating -= 1
            return [.log(.warning, "a decode to abandon had ended", ["job": "\(id)", "why": "\(reason)"])]
        case .success(let moved?):
            reset = moved
        }
        var actions: [CoordinatorAction] = []
        for chunk in reset.chunks where chunk.previous == .leased {
            let work = WorkRef.chunk(job: id, chunk.chunk)
            guard let holder = chunk.worker else { continue }
            freeSlots(of: work, heldBy: holder)
            for (peer, worker) in workers where worker.name == holder {
                actions.append(.cancel(peer, work: work, token: chunk.attempt, reason: "decode abandoned: \(reason)"))
            }
        }
        jobs[id]?.decode = nil
        if case .rejected(let why) = jobs[id]?.machine.invalidateDecode() {
            actions.append(.log(.error, "memory disagreed with an abandoned decode", ["job": "\(id)", "why": "\(why)"]))
        }
        // Each is checked like any blob: deleted only if no row names it any more.
        let abandoned = reset.chunks.flatMap { chunk in [chunk.segmentSHA, chunk.previewSHA].compactMap { $0.map { (chunk.chunk, $0) } } }
            + (reset.latentsSHA.map { [(0, $0)] } ?? [])
        if !abandoned.isEmpty { actions.append(.collectBlobs(job: id, shards: [], chunks: abandoned)) }
        actions.append(
            .log(.warning, "decode abandoned", [
                "job": "\(id)", "chunks_reset": "\(reset.chunks.count)", "shards": "\(reset.shards.count)",
                "latents_sha256": "\(reset.latentsSHA ?? "none")",
            ]))
        return actions + shardsInvalidated(job: id, reason: reason, outcome: .success(reset.shards)) + resumeDeferredInvalidation(id)
    }

    /// A deferred invalidation of job `id` is decided again, on the job as it is now.
    mutating func resumeDeferredInvalidation(_ id: Int64) -> [CoordinatorAction] {
        guard let reason = jobs[id]?.deferredInvalidation, jobs[id]?.finishing == false, jobs[id]?.invalidating == 0 else { return [] }
        jobs[id]?.deferredInvalidation = nil
        return invalidatePastShards(job: id, roots: unconfirmedResults(of: quarantined, in: id), reason: reason)
    }
}

/// The quarantine across restarts and retries: a quarantine commits before the
/// reset it orders, so a coordinator that stopped in between, or a job that failed
/// before the ballot and is retried, still holds results of a quarantined worker
/// that no check confirmed. A resumed job is cleared of them.
extension CoordinatorCore {
    /// The workers quarantined in the database, read at start.
    mutating func quarantineLoaded(_ names: Set<String>) -> [CoordinatorAction] {
        quarantined.formUnion(names)
        return names.isEmpty ? [] : [.log(.info, "quarantined workers", ["workers": "\(names.sorted())"])]
    }

    /// Invalidates the unconfirmed results of quarantined workers in resumed job `id`.
    mutating func invalidateQuarantinedResults(in id: Int64) -> [CoordinatorAction] {
        let roots = unconfirmedResults(of: quarantined, in: id)
        guard !roots.isEmpty else { return [] }
        return invalidatePastShards(job: id, roots: roots, reason: "\(quarantined.sorted().joined(separator: ", ")) quarantined; found on resuming the job")
    }

    /// `actions` less the readiness of shards that `resets` send back to pending.
    static func sparing(_ actions: [CoordinatorAction], resetBy resets: [CoordinatorAction]) -> [CoordinatorAction] {
        let resetting = Set(
            resets.flatMap { action -> [ShardID] in
                switch action {
                case .invalidateShards(_, let shards, _, _), .invalidateDecode(_, let shards, _, _): return shards
                default: return []
                }
            })
        guard !resetting.isEmpty else { return actions }
        return actions.compactMap { action in
            guard case .markReady(let job, let candidates, let cause) = action else { return action }
            let kept = candidates.filter { !resetting.contains($0.shard) }
            return kept.isEmpty ? nil : .markReady(job: job, candidates: kept, because: cause)
        }
    }
}
