import ReelPlan

/// Results a check confirmed (migration 13's `shards.confirmed`): a re-run
/// agreed with them, or a ballot decided them. A confirmed result is not
/// invalidated when its worker later loses a ballot, so a restarted coordinator
/// reads the set back instead of taking every result of that worker for suspect.
extension FarmStore {
    /// Marks `shard`'s result confirmed if the shard is done at `attempt` (the
    /// result the check compared); `false`, changing nothing, otherwise.
    @discardableResult
    public func confirmShard(job: Int64, shard: ShardID, attempt: Int) throws(StoreError) -> Bool {
        try connection.execute(
            "UPDATE shards SET confirmed = true WHERE job_id = $1 AND region = $2 AND block = $3 AND state = 'done' AND attempt = $4",
            [.int64(job), .int64(Int64(shard.region)), .int64(Int64(shard.block)), .int64(Int64(attempt))], name: "confirmShard"
        ).affectedRows == 1
    }

    /// The shards of `job` whose result a check confirmed.
    public func confirmedShards(job: Int64) throws(StoreError) -> Set<ShardID> {
        var shards: Set<ShardID> = []
        for row in try connection.execute(
            "SELECT region, block FROM shards WHERE job_id = $1 AND confirmed", [.int64(job)], name: "confirmedShards")
        {
            shards.insert(ShardID(region: try row.get("region"), block: try row.get("block")))
        }
        return shards
    }
}
