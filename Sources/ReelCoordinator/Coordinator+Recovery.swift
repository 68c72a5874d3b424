import Foundation
import ReelPlan
import ReelStore

/// Reading jobs back from PostgreSQL, for the core to resume after a (re)start
/// and to compare memory with (the decisions are in `CoordinatorCore+Recovery.swift`).
extension Coordinator {
    /// Resumes every job that is queued, running or decoding.
    func recover() throws {
        // First the quarantine, so each resumed job is cleared of its unconfirmed results.
        feed(.quarantineLoaded(try store.quarantinedWorkers()))
        feed(.recovered(try Self.activeJobs(in: store)))
    }

    /// Every job that is queued, running or decoding, with its rows. One
    /// unreadable job makes the whole read fail: a partial answer would make
    /// the reconciler take the missing jobs for ended.
    static func activeJobs(in store: FarmStore) throws(StoreError) -> [JobSnapshot] {
        try store.jobs(states: [.queued, .running, .decoding]).map { row throws(StoreError) in try snapshot(of: row, in: store) }
    }

    /// One job's rows as the core takes them.
    static func snapshot(of row: JobRow, in store: FarmStore) throws(StoreError) -> JobSnapshot {
        let shards = try store.shards(job: row.id).map { (shard: $0.shard, row: snapshot($0.status)) }
        let chunks =
            row.state == .decoding
            ? try store.decodeChunks(job: row.id).map { StoredChunk(index: $0.chunk, frames: $0.frames, warmup: $0.warmup, row: snapshot($0.status)) }
            : []
        let state: JobState
        switch row.state {
        case .running: state = .running(attempt: max(1, row.run))
        case .decoding: state = .decoding(attempt: max(1, row.run))
        default: state = JobState(row)
        }
        // A job without embeddings waits on a worker to encode its prompt; a
        // timeline's later prompts encoded on a worker have their blobs on that row.
        let encoding =
            row.promptEmbedsSHA == nil || Self.hasEncodedTimeline(spec: row.spec)
            ? try store.promptEncoding(job: row.id).map {
                StoredEncoding(
                    prompt: $0.prompt, negativePrompt: $0.negativePrompt, row: snapshot($0.status), laterPrompts: $0.laterPrompts,
                    laterSHAs: $0.laterSHAs)
            }
            : nil
        var stored = JobSnapshot(
            id: row.id, state: state, spec: row.spec, promptSHA: row.promptEmbedsSHA, negativeSHA: row.negativeEmbedsSHA,
            latentsSHA: row.latentsSHA, shards: shards, chunks: chunks, encoding: encoding,
            checks: row.state == .running ? try store.openChecks(job: row.id) : [], confirmed: try store.confirmedShards(job: row.id))
        // Its sources' encodings: their latents are what its shards pin.
        for source in try store.sourceEncodings(job: row.id) { stored.sources[source.encoding] = Self.snapshot(source.status) }
        return stored
    }

    /// Whether the spec is of a timeline whose later prompts a worker encodes
    /// (their blobs are not in the spec); an unreadable spec is left to `resume`.
    private static func hasEncodedTimeline(spec: String) -> Bool {
        guard let stored = try? StoredJob.decode(spec) else { return false }
        return stored.embeddings == .worker && stored.timelineEmbeds == nil && !(stored.request.prompts ?? []).isEmpty
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
