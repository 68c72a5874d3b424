import ReelPlan

extension FarmStore {
    /// Appends one line to the event log.
    public func appendEvent(
        kind: EventKind, job: Int64? = nil, shard: ShardID? = nil, worker: String? = nil, detail: String? = nil
    ) throws(StoreError) {
        try connection.execute(
            "INSERT INTO events (job_id, region, block, worker, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            [.optional(job), .optional(shard.map { Int64($0.region) }), .optional(shard.map { Int64($0.block) }),
             .optional(worker), .text(kind.rawValue), .optional(detail)],
            name: "appendEvent")
    }

    /// The latest `limit` events, of one job or of all, oldest first.
    public func events(job: Int64? = nil, limit: Int = 100) throws(StoreError) -> [EventRow] {
        try require(limit >= 0, "events: limit must be at least 0, got \(limit)")
        let rows = try connection.execute(
            """
            SELECT * FROM (
                SELECT \(EventRow.columns) FROM events WHERE $1::bigint IS NULL OR job_id = $1
                ORDER BY id DESC LIMIT $2) latest
            ORDER BY id
            """, [.optional(job), .int(limit)], name: "events")
        return try rows.map { row throws(StoreError) in try EventRow(row: row) }
    }

    /// An event about a shard or decode chunk (a chunk is named in the detail, as the
    /// log has region/block columns only).
    func appendEvent(kind: EventKind, job: Int64, item: WorkItem, worker: String?, detail: String) throws(StoreError) {
        let text = item.shard == nil ? "\(item): \(detail)" : detail
        try appendEvent(kind: kind, job: job, shard: item.shard, worker: worker, detail: text)
    }
}
