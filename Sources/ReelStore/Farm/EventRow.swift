import ReelPlan

/// An `events` row: one line of the farm's append-only log.
public struct EventRow: Hashable, Sendable {
    public var id: Int64
    /// When the database recorded it.
    public var at: Timestamp
    public var job: Int64?
    public var shard: ShardID?
    public var worker: String?
    public var kind: EventKind
    /// A readable sentence.
    public var detail: String?

    static let columns = """
        id, (extract(epoch FROM at) * 1000)::bigint AS at_ms, job_id, region, block, worker, kind, detail
        """

    init(row: PostgresRow) throws(StoreError) {
        id = try row.get("id")
        at = try row.get("at_ms")
        job = try row.get("job_id")
        let region: Int? = try row.get("region")
        let block: Int? = try row.get("block")
        shard = region.flatMap { region in block.map { ShardID(region: region, block: $0) } }
        worker = try row.get("worker")
        kind = EventKind(rawValue: try row.get("kind"))
        detail = try row.get("detail")
    }
}
