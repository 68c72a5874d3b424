import Foundation

extension CoordinatorClient {
    /// A page of the event log after `after`: one job's (`GET /v1/jobs/:id/events`) or the farm's.
    public func events(job: Int64? = nil, after: Int64? = nil, limit: Int = FarmAPI.maxPageLimit) async throws -> [FarmAPI.Event] {
        let path = job.map { "/v1/jobs/\($0)/events" } ?? "/v1/events"
        return try await call("GET", path + "?limit=\(limit)" + (after.map { "&after=\($0)" } ?? ""), as: [FarmAPI.Event].self)
    }
}
