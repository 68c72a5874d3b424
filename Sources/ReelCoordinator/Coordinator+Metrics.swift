import Foundation
import ReelStore

/// `/metrics`: the loop copies its counts and totals into the registry (cheap:
/// one pass over the running jobs' shards, at scrape time only), then the
/// `queries` lane counts jobs and workers in the database, and the HTTP side
/// writes the registry out.
extension Coordinator {
    var metrics: FarmMetrics { mailbox.metrics }

    /// Times every statement on the four connections, by connection.
    func timeStatements() {
        let histograms = metrics.statementDuration
        for (connection, store) in [("loop", store), ("records", recordStore.value), ("queries", queryStore.value), ("statements", statementStore.value)] {
            guard let histogram = histograms[connection] else { continue }
            store.connection.onStatement = { histogram.record($0) }
        }
    }

    func answerMetrics(_ entry: CoordinatorMailbox.Entry) {
        var census = core.census()
        census.recordBacklog = records.backlog
        metrics.update(census)
        metrics.sync(statistics)
        let store = queryStore, metrics = metrics, logger = logger, reply = entry.reply
        queries.submit {
            do {
                metrics.update(jobs: try store.value.jobCensus(), workers: try store.value.workerCensus())
            } catch {
                // The loop's series are still worth serving; the database's keep their last values.
                logger.warning("metrics: cannot count jobs and workers", metadata: ["error": "\(error)"])
            }
            reply(.success(.metrics))
            return .none
        }
    }
}
