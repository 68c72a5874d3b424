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
                SELECT 1 FROM decode_chunks c WHERE c.preview_sha256 = $1
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

    /// Marks up to `limit` jobs that finished more than `days` days ago as expired
    /// and returns, per job, every blob its rows name: its embeddings, finished
    /// latents and video, its segments' previews, and its shard outputs and segments (a failed job keeps
    /// those for a retry). The caller deletes the ones ``blobIsKept(_:)`` says no
    /// unexpired job needs. Oldest first, and skipping rows another transaction holds.
    public func expireFinishedJobs(olderThanDays days: Int, limit: Int) throws(StoreError) -> [(job: Int64, blobs: Set<String>)] {
        try require(days >= 1, "expireFinishedJobs: days must be at least 1, got \(days)")
        try require(limit >= 1, "expireFinishedJobs: limit must be at least 1, got \(limit)")
        // One statement: the jobs are marked and their blobs listed atomically.
        let rows = try connection.execute(
                """
                WITH expired AS (
                    UPDATE jobs SET expired_at = now(), updated_at = now()
                    WHERE id IN (
                        SELECT id FROM jobs
                        WHERE expired_at IS NULL AND finished_at < now() - make_interval(days => $1::int)
                        ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                    RETURNING id, prompt_embeds_sha256, negative_embeds_sha256, latents_sha256, output_sha256
                )
                SELECT e.id, b.sha FROM expired e,
                    LATERAL (
                        SELECT unnest(ARRAY[e.prompt_embeds_sha256, e.negative_embeds_sha256, e.latents_sha256, e.output_sha256])
                        UNION SELECT output_sha256 FROM shards WHERE job_id = e.id
                        UNION SELECT output_sha256 FROM decode_chunks WHERE job_id = e.id
                        UNION SELECT preview_sha256 FROM decode_chunks WHERE job_id = e.id
                    ) AS b(sha)
                WHERE b.sha IS NOT NULL
                """, [.int(days), .int(limit)], name: "expireFinishedJobs")
        var blobs: [Int64: Set<String>] = [:]
        for row in rows {
            let id: Int64 = try row.get("id")
            let sha: String = try row.get("sha")
            blobs[id, default: []].insert(sha)
        }
        return blobs.keys.sorted().map { ($0, blobs[$0] ?? []) }
    }

    /// Whether any row of a job that has not expired names blob `sha`: such a blob
    /// is kept when a job that shares it (blobs are content-addressed) expires.
    public func blobIsKept(_ sha: String) throws(StoreError) -> Bool {
        let rows = try connection.execute(
            """
            SELECT EXISTS (
                SELECT 1 FROM shards s JOIN jobs j ON j.id = s.job_id WHERE s.output_sha256 = $1 AND j.expired_at IS NULL
            ) OR EXISTS (
                SELECT 1 FROM decode_chunks c JOIN jobs j ON j.id = c.job_id
                WHERE $1 IN (c.output_sha256, c.preview_sha256) AND j.expired_at IS NULL
            ) OR EXISTS (
                SELECT 1 FROM jobs j WHERE j.expired_at IS NULL
                  AND $1 IN (j.prompt_embeds_sha256, j.negative_embeds_sha256, j.latents_sha256, j.output_sha256)
            ) AS kept
            """, [.text(sha)], name: "blobIsKept")
        return try rows.first().get("kept")
    }
}
