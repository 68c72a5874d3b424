import ReelPlan

/// What may be deleted: blobs no row still needs, and old events.
extension FarmStore {
    /// Whether any row other than the given ones of `job` refers to blob `sha`: a
    /// shard or decode chunk output, or a job's prompt embeddings, finished latents
    /// or video. Blobs are content-addressed, so two jobs (or two chunks of one
    /// job) can share one; a blob is deleted only when the rows being let go are
    /// the last that name it.
    public func blobIsReferenced(
        _ sha: String, besides job: Int64, shards: [ShardID] = [], chunks: [Int] = []
    ) throws(StoreError) -> Bool {
        let rows = try connection.execute(
            """
            SELECT EXISTS (
                SELECT 1 FROM shards s WHERE s.output_sha256 = $1
                  AND NOT (s.job_id = $2 AND EXISTS (
                      SELECT 1 FROM jsonb_to_recordset($3) AS x(region int, block int, ready boolean)
                      WHERE x.region = s.region AND x.block = s.block))
            ) OR EXISTS (
                SELECT 1 FROM decode_chunks c WHERE c.output_sha256 = $1
                  AND NOT (c.job_id = $2 AND c.chunk IN (SELECT jsonb_array_elements_text($4::jsonb)::int))
            ) OR EXISTS (
                SELECT 1 FROM jobs j
                WHERE $1 IN (j.prompt_embeds_sha256, j.negative_embeds_sha256, j.latents_sha256, j.output_sha256)
            ) AS referenced
            """, [.text(sha), .int64(job), shardRecords(shards), jsonArray(chunks.map(String.init))], name: "blobIsReferenced")
        return try rows.first().get("referenced")
    }

    /// Deletes events older than `days` days; returns how many.
    @discardableResult
    public func pruneEvents(olderThanDays days: Int) throws(StoreError) -> Int {
        try require(days >= 1, "pruneEvents: days must be at least 1, got \(days)")
        return try connection.execute(
            "DELETE FROM events WHERE at < now() - make_interval(days => $1::int)", [.int(days)], name: "pruneEvents"
        ).affectedRows
    }
}
