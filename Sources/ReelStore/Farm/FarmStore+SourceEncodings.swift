import ReelPlan

/// Conditioning sources encoded on workers (issue 16): a job's shards wait
/// (pending) until its prompt encoding, if any, and every source encoding are done.
/// Each source encoding is leased like a prompt encoding; completing the last one
/// readies the first block's shards and fills the latents cache, in one transaction.
extension FarmStore {
    /// Creates a running job whose shards all wait on its conditioning sources (and
    /// on `promptEncoding`, if given), in one transaction. A source whose latents are
    /// cached (``SourceEncodingRequest/cachedLatentsSHA``) is created done, so it
    /// creates no work; when nothing is left to encode, `firstShards` are ready at once.
    public func createJob(
        name: String, model: String, spec: String, promptEmbedsSHA: String?, negativeEmbedsSHA: String?, priority: Int = 0,
        shards: [ShardID], firstShards: [ShardID], promptEncoding: PromptEncodingRequest?, sources: [SourceEncodingRequest]
    ) throws(StoreError) -> Int64 {
        try require(!sources.isEmpty, "createJob: job '\(name)' has no conditioning sources")
        try require(Set(sources.map(\.encoding)).count == sources.count, "createJob: job '\(name)' lists a source encoding twice")
        let waits = promptEncoding != nil || sources.contains { $0.cachedLatentsSHA == nil }
        return try connection.transaction { () throws(StoreError) -> Int64 in
            let id = try createJob(
                name: name, model: model, spec: spec, promptEmbedsSHA: promptEmbedsSHA, negativeEmbedsSHA: negativeEmbedsSHA,
                priority: priority, shards: shards, readyShards: waits ? [] : Set(firstShards))
            if let promptEncoding { try insertPromptEncoding(job: id, promptEncoding) }
            for source in sources {
                try connection.execute(
                    """
                    INSERT INTO source_encodings (job_id, encoding, source_sha256, cache_key, state, output_sha256)
                    VALUES ($1, $2, $3, $4, CASE WHEN $5::text IS NULL THEN 'ready' ELSE 'done' END::reel_shard_state, $5)
                    """,
                    [.int64(id), .int(source.encoding), .text(source.sourceSHA), .text(source.cacheKey), .optional(source.cachedLatentsSHA)],
                    name: "create source encoding")
            }
            return id
        }
    }

    /// Leases up to `limit` ready source encodings of running jobs on `models` to
    /// `worker`, in one statement (`FOR UPDATE SKIP LOCKED`); the same rules and order
    /// as the other claims.
    public func claimSourceEncodings(
        worker: String, models: [String], limit: Int, now: Timestamp, leaseDuration: Duration, maxTries: Int,
        blocklistThreshold: Int = 2
    ) throws(StoreError) -> [SourceEncodingRow] {
        try claim(
            .sourceEncodings, worker: worker, models: models, limit: limit, now: now, leaseDuration: leaseDuration,
            maxTries: maxTries, blocklistThreshold: blocklistThreshold
        ).map { row throws(StoreError) in try SourceEncodingRow(row: row) }.sorted { ($0.job, $0.encoding) < ($1.job, $1.encoding) }
    }

    /// Stores `worker`'s latents for source `encoding` of `job` if it holds the current
    /// lease as `attempt`. In the same transaction the cache remembers them under the
    /// encoding's key for `model` (unless `cache` is false: the row's key is not this
    /// encoding's), and, when no encoding of the job (prompt or source) is left,
    /// `firstShards` become ready. `false`, changing nothing, for a stale lease.
    public func completeSourceEncoding(
        job: Int64, encoding: Int, attempt: Int, worker: String, model: String, latentsSHA: String, computeMilliseconds: Int64? = nil,
        firstShards: [ShardID], cache: Bool = true
    ) throws(StoreError) -> Bool {
        try complete(
            .sourceEncoding(encoding), job: job, attempt: attempt, worker: worker, outputSHA: latentsSHA,
            computeMilliseconds: computeMilliseconds
        ) { () throws(StoreError) in
            if cache { try cacheSourceLatents(job: job, encoding: encoding, model: model, latentsSHA: latentsSHA) }
            try readyFirstBlockIfEncoded(job: job, firstShards: firstShards)
        }
    }

    /// Remembers source `encoding` of `job`'s latents under its row's cache key.
    private func cacheSourceLatents(job: Int64, encoding: Int, model: String, latentsSHA: String) throws(StoreError) {
        try connection.execute(
            """
            INSERT INTO source_latents_cache (cache_key, model, source_sha256, latents_sha256)
            SELECT cache_key, $3, source_sha256, $4 FROM source_encodings WHERE job_id = $1 AND encoding = $2
            ON CONFLICT (cache_key) DO UPDATE SET latents_sha256 = EXCLUDED.latents_sha256
            """, [.int64(job), .int(encoding), .text(model), .text(latentsSHA)], name: "cache source latents")
    }

    /// Makes `firstShards` ready if none of `job`'s prompt and source encodings is
    /// still to be done (the last encoding to finish starts the job).
    func readyFirstBlockIfEncoded(job: Int64, firstShards: [ShardID]) throws(StoreError) {
        try connection.execute(
            """
            UPDATE shards s SET state = 'ready'
            FROM jsonb_to_recordset($2) AS x(region int, block int, ready boolean)
            WHERE s.job_id = $1 AND s.region = x.region AND s.block = x.block AND s.state = 'pending'
              AND NOT EXISTS (SELECT 1 FROM source_encodings e WHERE e.job_id = $1 AND e.state <> 'done')
              AND NOT EXISTS (SELECT 1 FROM prompt_encodings p WHERE p.job_id = $1 AND p.state <> 'done')
            """, [.int64(job), shardRecords(firstShards)], name: "ready first block once encoded")
    }

    /// The current lease on the source encoding failed: back to ready from `notBefore`.
    public func failSourceEncoding(job: Int64, encoding: Int, attempt: Int, worker: String, reason: String, notBefore: Timestamp)
        throws(StoreError) -> Bool
    {
        try requeue(.sourceEncoding(encoding), job: job, attempt: attempt, worker: worker, reason: reason, notBefore: notBefore)
    }

    /// The current lease on the source encoding failed with no tries left: it and its job fail.
    public func failSourceEncodingForGood(job: Int64, encoding: Int, attempt: Int, worker: String, reason: String) throws(StoreError)
        -> Bool
    {
        try failForGood(.sourceEncoding(encoding), job: job, attempt: attempt, worker: worker, reason: reason)
    }

    /// The job's source encodings, by index.
    public func sourceEncodings(job: Int64) throws(StoreError) -> [SourceEncodingRow] {
        try connection.execute(
            "SELECT * FROM source_encodings WHERE job_id = $1 ORDER BY encoding", [.int64(job)], name: "sourceEncodings"
        ).map { row throws(StoreError) in try SourceEncodingRow(row: row) }
    }

    /// Latents stored under `key`, if any.
    public func cachedSourceLatents(key: String) throws(StoreError) -> String? {
        try connection.execute(
            "SELECT latents_sha256 FROM source_latents_cache WHERE cache_key = $1", [.text(key)], name: "cachedSourceLatents"
        ).first?.get("latents_sha256")
    }

    /// Forgets `key` (its blob was deleted under the retention policy).
    public func forgetCachedSourceLatents(key: String) throws(StoreError) {
        try connection.execute("DELETE FROM source_latents_cache WHERE cache_key = $1", [.text(key)], name: "forgetCachedSourceLatents")
    }
}
