import Foundation
import ReelPlan
import ReelStore

/// The API's paginated listings (jobs with filters, events) and the answer to a
/// repeated idempotent submission: reads, answered on the `queries` lane like
/// the other reads (``answerOffLoop(_:)``).
extension Coordinator {
    func answerPage(_ entry: CoordinatorMailbox.Entry) {
        let store = queryStore, config = config, reply = entry.reply
        let work: @Sendable () throws -> CoordinatorMailbox.Reply
        switch entry.command {
        case .jobPage(let query):
            let live = Dictionary(uniqueKeysWithValues: core.jobs.keys.compactMap { id in liveView(of: id).map { (id, $0) } })
            work = {
                let rows = try store.value.jobPage(
                    states: query.states.isEmpty ? nil : query.states, model: query.model, after: query.after, limit: query.limit)
                return .jobs(try rows.map { try Self.status($0, live: live[$0.id], store: store.value, config: config) })
            }
        case .events(let job, let after, let limit):
            work = {
                if let job, try store.value.job(id: job) == nil {
                    throw APIError.notFound("there is no job \(job); `reel status` lists the jobs")
                }
                return .events(try store.value.eventPage(job: job, after: after, limit: limit).map(FarmAPI.Event.init))
            }
        case .shards(let id):
            work = {
                guard let row = try store.value.job(id: id) else { throw APIError.notFound("there is no job \(id); `reel status` lists the jobs") }
                // Regions are window-major; the tile count comes from the job's plan.
                let plan = (try? StoredJob.decode(row.spec)).flatMap { try? $0.request.makePlan(model: $0.model) }
                let tiles = max(1, plan?.tiles.count ?? 1)
                return .shards(try store.value.shards(job: id).map { shard in
                    FarmAPI.ShardCell(
                        region: shard.shard.region, block: shard.shard.block, window: shard.shard.region / tiles, tile: shard.shard.region % tiles,
                        state: shard.status.state.rawValue, worker: shard.status.worker ?? shard.status.lastWorker, tries: shard.status.tries)
                })
            }
        default:
            return entry.reply(.failure(.internalError("\(entry.command) is not a listing")))
        }
        answerOnQueries(reply, work)
    }

    /// A submission whose key already names `existing`: that job, if the request
    /// is the same one; a conflict if the key is being reused for another job.
    static func resubmission(_ existing: JobRow, key: String, request: JobRequest) -> Result<CoordinatorMailbox.Reply, APIError> {
        guard (try? StoredJob.decode(existing.spec))?.request == request else {
            return .failure(.conflict(
                "Idempotency-Key '\(key.prefix(64))' already created job \(existing.id) from a different request; use a new key for a new job"))
        }
        return .success(.resubmitted(existing.id))
    }
}
