import Foundation
import ReelPlan
import ReelStore

/// A running job as the loop knows it, handed to the `queries` lane so that a
/// status answer needs nothing from the loop but this copy.
struct LiveJobView: Sendable {
    let state: JobState.Name
    let counts: [ShardState.Name: Int]
    let chunks: [ShardState.Name: Int]
    let plan: Plan
    let decodeWarmup: Int?
    /// Why the job is not moving, when the loop knows (a prompt no worker can encode).
    var waiting: String? = nil
}

/// The API's reads, answered on the `queries` lane with its own connection: the
/// loop copies what only it knows (live counts, connected workers, its own
/// statistics) and goes on; PostgreSQL's answer, however slow, holds up only
/// the client that asked.
extension Coordinator {
    func liveView(of id: Int64) -> LiveJobView? {
        guard let job = core.jobs[id] else { return nil }
        var decoded: [ShardState.Name: Int] = [:]
        for machine in job.decode?.machines ?? [] { decoded[machine.state.name, default: 0] += 1 }
        return LiveJobView(
            state: job.machine.state.name, counts: job.shardCounts, chunks: decoded, plan: job.plan, decodeWarmup: job.decodeWarmup,
            waiting: core.encodingWait(id))
    }

    func answerOffLoop(_ entry: CoordinatorMailbox.Entry) {
        let store = queryStore, config = config, blobs = blobs, reply = entry.reply
        let work: @Sendable () throws -> CoordinatorMailbox.Reply
        switch entry.command {
        case .job(let id):
            let live = liveView(of: id)
            let pools = connectedPools
            work = {
                guard let row = try store.value.job(id: id) else { throw APIError.notFound("there is no job \(id); `reel status` lists the jobs") }
                var status = try Self.status(row, live: live, store: store.value, config: config).waiting(pools: pools)
                status.history = try store.value.history(job: id).map(FarmAPI.History.init)
                return .job(status)
            }
        case .jobs:
            let live = Dictionary(uniqueKeysWithValues: core.jobs.keys.compactMap { id in liveView(of: id).map { (id, $0) } })
            let pools = connectedPools
            work = { .jobs(try store.value.jobs().map { try Self.status($0, live: live[$0.id], store: store.value, config: config).waiting(pools: pools) }) }
        case .releaseWorker(let name):
            // The claim reads the quarantine from the database; the loop's copy (which
            // invalidates late results and picks re-runs) lets the worker go at once.
            feed(.quarantineLifted(name))
            work = {
                guard try store.value.releaseWorker(name: name) else {
                    throw APIError.notFound("worker '\(name.prefix(80))' is not quarantined (or does not exist); `reel workers` lists them")
                }
                return .workers(try store.value.workers().filter { $0.name == name }.map { row in
                    FarmAPI.WorkerStatus(
                        name: row.name, host: row.host, state: row.state.rawValue, cores: row.cores, threads: row.threads, slots: row.slots,
                        running: [], models: row.models, lastSeenAt: row.lastSeenAt.date, shardsDone: 0, pools: row.pools)
                })
            }
        case .workers:
            let live = Dictionary(
                core.workers.values.map { ($0.name, (running: $0.running.keys.map(\.description).sorted(), done: $0.shardsDone, speed: $0.shardsPerMinute)) },
                uniquingKeysWith: { first, _ in first })
            work = {
                .workers(try store.value.workers().map { row in
                    FarmAPI.WorkerStatus(
                        name: row.name, host: row.host, state: row.state.rawValue, cores: row.cores, threads: row.threads, slots: row.slots,
                        running: live[row.name]?.running ?? [], models: row.models, lastSeenAt: row.lastSeenAt.date,
                        shardsDone: live[row.name]?.done ?? 0, pools: row.pools, quarantinedAt: row.quarantinedAt?.date,
                        quarantineReason: row.quarantineReason, shardsPerMinute: live[row.name]?.speed)
                })
            }
        case .video(let id):
            work = { .video(path: try Self.videoPath(id, store: store.value, blobs: blobs)) }
        case .health:
            // Answered only after a turn of the loop copied its figures, so an
            // answer still proves the loop turns.
            let loop = health(database: "ok")
            work = {
                var health = loop
                do { try store.value.connection.execute("SELECT 1", name: "health") } catch { health.database = "unreachable: \(error)" }
                health.ok = health.database == "ok"
                return .health(health)
            }
        case .submit, .retry, .cancel, .metrics, .submitIdempotent, .jobPage, .events, .shards, .previews, .preview:
            return entry.reply(.failure(.internalError("\(entry.command) changes the loop's state and is answered there")))
        }
        answerOnQueries(reply, work)
    }

    /// Runs `work` on the `queries` lane and answers with its reply or its error.
    func answerOnQueries(_ reply: @escaping @Sendable (Result<CoordinatorMailbox.Reply, APIError>) -> Void, _ work: @escaping @Sendable () throws -> CoordinatorMailbox.Reply) {
        let logger = logger
        queries.submit {
            do {
                reply(.success(try work()))
            } catch let error as APIError {
                reply(.failure(error))
            } catch StoreError.invalidArgument(let why) {
                // A value the database cannot take (a NUL in a filter or a name, …)
                // came from the request: the client's to fix, not a server error.
                reply(.failure(.badRequest("the request has a value the farm cannot store or search for: \(why)")))
            } catch {
                logger.error("API request failed", metadata: ["error": "\(error)"])
                reply(.failure(.internalError("the coordinator failed: \(error)")))
            }
            return .none
        }
    }

    /// The loop's figures for `/v1/health`, with `database` as given.
    func health(database: String) -> FarmAPI.Health {
        FarmAPI.Health(
            ok: database == "ok", database: database, workers: core.workers.count, activeJobs: core.jobs.count,
            longestLoopGapMs: statistics.longestGap.realSeconds * 1000, loopCpuMs: statistics.loopCPU.realSeconds * 1000,
            reregistrations: statistics.reregistrations,
            rejectedMessages: statistics.rejected, shardsCompleted: statistics.shardsCompleted, recordBacklog: records.backlog,
            resultsWaiting: statistics.resultsWaiting)
    }

    /// A job's status from its row, with the loop's live counts when it is running
    /// (they follow every commit within a turn), else the database's.
    static func status(_ row: JobRow, live: LiveJobView?, store: FarmStore, config: CoordinatorConfig) throws -> FarmAPI.JobStatus {
        let counts: [ShardState.Name: Int]
        let chunks: [ShardState.Name: Int]
        if let live, live.state == row.state {
            counts = live.counts
            chunks = live.chunks
        } else {
            counts = try store.shardCounts(job: row.id)
            chunks = try store.decodeChunkCounts(job: row.id)
        }
        // A running job's plan is in memory; finished ones are planned again from their spec.
        let stored = try? StoredJob.decode(row.spec)
        let plan = live?.plan ?? stored.flatMap { try? $0.request.makePlan(model: $0.model) }
        let total = counts.values.reduce(0, +)
        let chunkTotal = chunks.values.reduce(0, +)
        let done = Double(counts[.done] ?? 0) + Double(chunks[.done] ?? 0)
        let expectedChunks = plan.map { plan in
            let warmup = live?.decodeWarmup ?? config.decodeWarmup
            let size = DecodeChunk.size(warmup: warmup, minimum: config.decodeChunkFrames, maxOverhead: config.maxDecodeOverhead)
            return (plan.latent.frames + size - 1) / size
        } ?? 0
        let denominator = Double(total + max(chunkTotal, expectedChunks))
        return FarmAPI.JobStatus(
            id: row.id, name: row.name.isEmpty ? nil : row.name, model: row.model, state: row.state.rawValue, run: row.run,
            reason: row.reason, shards: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            shardTotal: total,
            decodeChunkStates: Dictionary(uniqueKeysWithValues: chunks.filter { $0.value > 0 }.map { ($0.key.rawValue, $0.value) }),
            progress: row.state == .succeeded ? 1 : denominator > 0 ? done / denominator : 0,
            frames: plan?.decodedFrames ?? 0, fps: plan?.geometry.job.fps ?? 0, width: plan?.geometry.job.width ?? 0,
            height: plan?.geometry.job.height ?? 0, windows: plan?.windows.count ?? 0, latentsSha256: row.latentsSHA,
            videoSha256: row.outputSHA, createdAt: row.createdAt.date, finishedAt: row.finishedAt?.date, expiredAt: row.expiredAt?.date,
            embeddings: stored?.embeddings?.rawValue, waiting: live?.waiting, pool: stored?.request.pool,
            still: stored?.request.isStill == true ? true : nil)
    }

    static func videoPath(_ id: Int64, store: FarmStore, blobs: BlobStore) throws -> String {
        guard let row = try store.job(id: id) else { throw APIError.notFound("there is no job \(id)") }
        guard row.state == .succeeded, let sha = row.outputSHA else {
            throw APIError.conflict("job \(id) is \(row.state.rawValue); its video exists once it has succeeded (`reel status \(id)`)")
        }
        if let expired = row.expiredAt {
            throw APIError.gone("job \(id)'s video was deleted on \(expired.date) under the result retention policy (--keep-results-days)")
        }
        return try blobs.path(of: sha).path
    }
}
