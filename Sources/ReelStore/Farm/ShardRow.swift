import ReelPlan

/// A `shards` row.
public struct ShardRow: Hashable, Sendable {
    /// The job's id.
    public var job: Int64
    /// Region and step block.
    public var shard: ShardID
    /// State, lease and result.
    public var status: WorkStatus

    init(row: PostgresRow) throws(StoreError) {
        job = try row.get("job_id")
        shard = ShardID(region: try row.get("region"), block: try row.get("block"))
        status = try WorkStatus(row: row)
    }
}
