import Foundation
import Logging
import ReelPlan
import ReelStore
import ReelWire

/// Recording results: the commit, retried while the database is away (what
/// memory does with each outcome is decided in `CoordinatorCore+Results.swift`).
extension Coordinator {
    /// Commits a stored result, riding out a database that is down or restarting:
    /// the output is already on disk, so the commit is retried (with backoff, up to
    /// `window`) rather than charging anybody a try. An error that leaves the
    /// outcome unknown is settled by reading the row back.
    static func recordWithRetry(
        store: FarmStore, window: Duration, logger: Logger, item: WorkItem, job: Int64, sha: String,
        commit: () throws -> [ShardID]?, settle: (WorkStatus) throws -> [ShardID]?
    ) -> RecordOutcome {
        let attempt = retrying(window: window, logger: logger, what: "record the result of \(item) of job \(job)") { () throws -> RecordOutcome in
            guard let ready = try commit() else {
                let now = try? store.status(of: item, job: job)
                return .stale("the database holds \(now.map { "\($0.state.rawValue) at attempt \($0.attempt)" } ?? "no such item")")
            }
            return .committed(sha: sha, ready: ready)
        } settle: { _ in
            // The commit's answer was lost, or the database is away: the row, if it
            // can be read, says whether to stop.
            guard let status = try? store.status(of: item, job: job) else { return nil }
            if let ready = try? settle(status) { return .committed(sha: sha, ready: ready) }
            return status.state != .leased ? .stale("the database holds \(status.state.rawValue) at attempt \(status.attempt)") : nil
        }
        switch attempt {
        case .success(let outcome): return outcome
        case .failure(let error): return .unrecorded("the database did not take the result within \(window): \(error)")
        }
    }
}
