import Foundation
import ReelPlan
import ReelStore

extension FarmAPI {
    /// Listings return at most this many items a page unless `limit` says fewer.
    public static let defaultPageLimit = 100
    /// The most items a page may hold.
    public static let maxPageLimit = 1000
    /// The longest `Idempotency-Key` accepted.
    public static let maxIdempotencyKeyLength = 255

    /// `GET /v1/jobs?state=…&model=…&after=…&limit=…`: keyset pagination on the
    /// job id; the next page starts after the last id of this one (the `Link:
    /// <…>; rel="next"` header names it while a page is full).
    public struct JobQuery: Sendable, Equatable {
        /// Jobs in any of these states (all jobs when empty).
        public var states: Set<JobState.Name>
        public var model: String?
        public var after: Int64?
        public var limit: Int

        public init(states: Set<JobState.Name> = [], model: String? = nil, after: Int64? = nil, limit: Int = FarmAPI.defaultPageLimit) {
            self.states = states
            self.model = model
            self.after = after
            self.limit = limit
        }
    }

    /// One shard of a job (`GET /v1/jobs/:id/shards`): a cell of the dashboard's
    /// grid, windows × tiles across, step blocks down.
    public struct ShardCell: Codable, Sendable, Equatable {
        public var region: Int
        public var block: Int
        public var window: Int
        public var tile: Int
        /// pending, ready, leased, done, failed, cancelled.
        public var state: String
        /// Who holds it, or last held it.
        public var worker: String?
        public var tries: Int
    }

    /// One line of the farm's event log (`GET /v1/events`, `GET /v1/jobs/:id/events`).
    public struct Event: Codable, Sendable, Equatable {
        public var id: Int64
        public var at: Date
        public var job: Int64?
        /// The shard it is about, if any.
        public var region: Int?
        public var block: Int?
        public var worker: String?
        /// What happened: `job.created`, `shard.done`, `rejected`, `worker.state`, …
        public var kind: String
        public var detail: String?

        init(_ row: EventRow) {
            id = row.id
            at = row.at.date
            job = row.job
            region = row.shard?.region
            block = row.shard?.block
            worker = row.worker
            kind = row.kind.rawValue
            detail = row.detail
        }
    }
}
