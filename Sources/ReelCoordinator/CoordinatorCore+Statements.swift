import ReelPlan
import ReelStore
import ReelWire

/// Statements whose answers come back later.
///
/// The loop's frequent statements (claims, lease extensions, worker states, the
/// reconciler's read) run on a lane of their own, so a slow PostgreSQL (a busy
/// machine, a disk shared with fsyncs) delays only their answers, never the turn
/// that serves sockets and heartbeats. The core then has to know two things the
/// synchronous loop could take for granted:
/// - a worker with a claim in flight gets no other claim or re-run until the
///   claim is answered (its free slots were promised to that claim);
/// - the reconciler's snapshot may be older than memory: only what memory has
///   not changed since it asked for the snapshot is compared with it.
extension CoordinatorCore {
    /// Whether a claim for `peer` is waiting for its answer.
    func isClaiming(_ peer: PeerID) -> Bool { (claiming[peer] ?? 0) > 0 }

    /// Counts the claims among `actions` as in flight.
    mutating func noteClaims(_ actions: [CoordinatorAction]) {
        for action in actions {
            switch action {
            case .claimShards(let peer, _, _, _, _, _), .claimChunks(let peer, _, _, _, _), .claimEncodings(let peer, _, _, _, _),
                .claimSources(let peer, _, _, _, _):
                claiming[peer, default: 0] += 1
            default:
                continue
            }
        }
    }

    /// A claim for `peer` was answered.
    mutating func claimAnswered(_ peer: PeerID) {
        let left = (claiming[peer] ?? 0) - 1
        claiming[peer] = left > 0 ? left : nil
    }

    /// Asks for the reconciler's snapshot, remembering what memory held when it
    /// asked; nothing while an earlier read is unanswered (a slow database would
    /// otherwise queue reads behind each other).
    mutating func reconcileDue() -> [CoordinatorAction] {
        guard reconcileBaseline == nil else { return [] }
        reconcileBaseline = ReconcileBaseline(jobs)
        return [.readActiveJobs]
    }

    /// The snapshot arrived (or could not be read): compared with what memory has
    /// not changed since asking.
    mutating func databaseRead(_ outcome: Result<[JobSnapshot], StoreFailure>) -> [CoordinatorAction] {
        let baseline = reconcileBaseline
        reconcileBaseline = nil
        switch outcome {
        case .success(let active): return reconcile(with: active, baseline: baseline)
        case .failure(let error): return [.log(.error, "cannot reconcile with the database", ["error": "\(error)"])]
        }
    }
}

/// What memory held of each job when the reconciler asked for its snapshot: the
/// revision of the job and of each of its items. A revision moves on with every
/// change of what the snapshot is compared on (a state's name, a token, an output)
/// and is never reused (``Revision``), so an equal revision is an unchanged value —
/// where state and token alone cannot tell an item that went pending → ready →
/// pending meanwhile, when the snapshot may have read it ready, nor a job retried
/// (running → failed → running, rebuilt with new records) from the one that was.
///
/// A difference between the snapshot and memory is only evidence of drift where
/// memory has not moved since: a result recorded, a claim answered or a job
/// admitted after the read was asked for is newer than the snapshot, and must
/// not be "repaired" back to it.
struct ReconcileBaseline: Sendable {
    struct Job: Sendable {
        /// ``JobRuntime/revision``.
        let revision: Int
        /// Each item's revision (``ShardRecord/revision`` and the like).
        var items: [WorkRef: Int] = [:]
    }

    private(set) var jobs: [Int64: Job] = [:]

    init(_ running: [Int64: JobRuntime]) {
        for (id, job) in running {
            var entry = Job(revision: job.revision)
            for (shard, record) in job.shards {
                entry.items[.shard(job: id, shard)] = record.revision
            }
            if let decode = job.decode {
                for (index, revision) in decode.revisions.enumerated() {
                    entry.items[.chunk(job: id, index)] = revision
                }
            }
            if let encoding = job.encoding {
                entry.items[.encoding(job: id)] = encoding.revision
            }
            for (index, source) in job.sources {
                entry.items[.source(job: id, index)] = source.revision
            }
            jobs[id] = entry
        }
    }

    /// Whether memory had job `id` when the snapshot was asked for.
    func had(_ id: Int64) -> Bool { jobs[id] != nil }

    /// Whether `job` is the same runtime in the same state now as when the
    /// snapshot was asked for.
    func jobUnchanged(_ job: JobRuntime) -> Bool { jobs[job.id]?.revision == job.revision }

    /// Whether `work`, at `revision` now, is as it was when the snapshot was asked for.
    func itemUnchanged(_ work: WorkRef, revision: Int) -> Bool { jobs[work.job]?.items[work] == revision }
}
