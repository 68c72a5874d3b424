import ReelPlan

/// The API's listings, a page at a time: keyset pagination on the row id
/// (`after` the last id of the previous page), so a page costs an index range
/// however many rows came before it, and rows added meanwhile are neither
/// skipped nor repeated.
extension FarmStore {
    /// Up to `limit` jobs with an id above `after`, by id, in any of `states`
    /// (all for nil) and of `model` (any for nil).
    public func jobPage(states: Set<JobState.Name>? = nil, model: String? = nil, after: Int64? = nil, limit: Int) throws(StoreError) -> [JobRow] {
        try require(limit >= 0, "jobPage: limit must be at least 0, got \(limit)")
        let names = states.map { jsonArray($0.map(\.rawValue).sorted()) } ?? .null
        return try connection.execute(
            """
            SELECT \(JobRow.columns) FROM jobs
            WHERE ($1::jsonb IS NULL OR state::text IN (SELECT jsonb_array_elements_text($1::jsonb)))
              AND ($2::text IS NULL OR model = $2) AND ($3::bigint IS NULL OR id > $3)
            ORDER BY id LIMIT $4
            """, [names, .optional(model), .optional(after), .int(limit)], name: "job page"
        ).map { row throws(StoreError) in try JobRow(row: row) }
    }

    /// Up to `limit` events with an id above `after`, oldest first, of one job or of all.
    public func eventPage(job: Int64? = nil, after: Int64? = nil, limit: Int) throws(StoreError) -> [EventRow] {
        try require(limit >= 0, "eventPage: limit must be at least 0, got \(limit)")
        return try connection.execute(
            """
            SELECT \(EventRow.columns) FROM events
            WHERE ($1::bigint IS NULL OR job_id = $1) AND ($2::bigint IS NULL OR id > $2)
            ORDER BY id LIMIT $3
            """, [.optional(job), .optional(after), .int(limit)], name: "event page"
        ).map { row throws(StoreError) in try EventRow(row: row) }
    }

    /// The job a submission with `key` created, if any.
    public func job(idempotencyKey key: String) throws(StoreError) -> JobRow? {
        try connection.execute("SELECT \(JobRow.columns) FROM jobs WHERE idempotency_key = $1", [.text(key)], name: "job by idempotency key")
            .first.map { row throws(StoreError) in try JobRow(row: row) }
    }

    /// Runs `create`, which creates one job and returns its id, in one transaction
    /// with storing the submission's idempotency key (if any) on that job, so a job
    /// never exists without the key its submission carried.
    public func creatingJob(idempotencyKey key: String?, _ create: () throws(StoreError) -> Int64) throws(StoreError) -> Int64 {
        guard let key else { return try create() }
        return try connection.transaction { () throws(StoreError) -> Int64 in
            let id = try create()
            try connection.execute("UPDATE jobs SET idempotency_key = $2 WHERE id = $1", [.int64(id), .text(key)], name: "job idempotency key")
            return id
        }
    }
}
