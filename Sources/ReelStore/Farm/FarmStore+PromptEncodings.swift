import ReelPlan

/// Prompts encoded on workers: a job waits on its encoding (its shards stay
/// pending), which is leased like a decode chunk; completing it stores the job's
/// embeddings, makes the first block's shards ready and fills the cache, in one
/// transaction.
extension FarmStore {
    /// Creates a running job whose shards all wait (pending) on a prompt encoding,
    /// and the encoding (ready), in one transaction. Returns the job's id.
    public func createJob(
        name: String, model: String, spec: String, priority: Int = 0, shards: [ShardID], encoding: PromptEncodingRequest
    ) throws(StoreError) -> Int64 {
        try connection.transaction { () throws(StoreError) -> Int64 in
            let id = try createJob(
                name: name, model: model, spec: spec, promptEmbedsSHA: nil, negativeEmbedsSHA: nil, priority: priority,
                shards: shards, readyShards: [])
            try insertPromptEncoding(job: id, encoding)
            return id
        }
    }

    /// The job's prompt encoding, ready to be claimed.
    func insertPromptEncoding(job id: Int64, _ encoding: PromptEncodingRequest) throws(StoreError) {
        try connection.execute(
            """
            INSERT INTO prompt_encodings (job_id, prompt, negative_prompt, cache_key, state, later_prompts)
            VALUES ($1, $2, $3, $4, 'ready', $5::jsonb)
            """,
            [.int64(id), .text(encoding.prompt), .optional(encoding.negativePrompt), .text(encoding.cacheKey), jsonArray(encoding.laterPrompts)],
            name: "create prompt encoding")
    }

    /// Leases up to `limit` ready prompt encodings of running jobs on `models` to
    /// `worker`; the same rules and order as the other claims.
    public func claimPromptEncodings(
        worker: String, models: [String], limit: Int, now: Timestamp, leaseDuration: Duration, maxTries: Int,
        blocklistThreshold: Int = 2
    ) throws(StoreError) -> [PromptEncodingRow] {
        try claim(
            .promptEncodings, worker: worker, models: models, limit: limit, now: now, leaseDuration: leaseDuration,
            maxTries: maxTries, blocklistThreshold: blocklistThreshold
        ).map { row throws(StoreError) in try PromptEncodingRow(row: row) }.sorted { $0.job < $1.job }
    }

    /// Stores `worker`'s embeddings for `job` if it holds the current lease as
    /// `attempt`: in the same transaction the job gets them, `readyShards` (the
    /// first block's) become ready and the cache remembers them under the
    /// encoding's key for `model` (the prompt and negative prompt's; a timeline's
    /// `laterSHAs`, one per later prompt, are stored on the encoding's row).
    /// `events` (kind and detail, e.g. a cut prompt's note) go on the job's event log in
    /// that transaction too: appended after it, a coordinator killed between the two
    /// lost them, and the encoding is never redone to say them again.
    /// `false`, changing nothing, for a stale lease.
    public func completePromptEncoding(
        job: Int64, attempt: Int, worker: String, model: String, promptSHA: String, negativeSHA: String?, laterSHAs: [String] = [],
        readyShards: [ShardID], events: [(kind: EventKind, detail: String)] = []
    ) throws(StoreError) -> Bool {
        try connection.transaction { () throws(StoreError) -> Bool in
            // Before the lease completes: the schema refuses a done row without the
            // negative (or later prompts') embeddings it was asked for. Only the current lease's row.
            try connection.execute(
                """
                UPDATE prompt_encodings SET negative_sha256 = $2, later_sha256 = $5::jsonb
                WHERE job_id = $1 AND state = 'leased' AND attempt = $3 AND worker = $4
                """, [.int64(job), .optional(negativeSHA), .int(attempt), .text(worker), jsonArray(laterSHAs)], name: "store negative embeddings")
            let completed = try completeEncodingLease(
                job: job, attempt: attempt, worker: worker, model: model, promptSHA: promptSHA, negativeSHA: negativeSHA, readyShards: readyShards)
            if completed {
                for event in events { try appendEvent(kind: event.kind, job: job, worker: worker, detail: event.detail) }
            }
            return completed
        }
    }

    private func completeEncodingLease(
        job: Int64, attempt: Int, worker: String, model: String, promptSHA: String, negativeSHA: String?, readyShards: [ShardID]
    ) throws(StoreError) -> Bool {
        try complete(.promptEncoding, job: job, attempt: attempt, worker: worker, outputSHA: promptSHA) { () throws(StoreError) in
            let key: String = try connection.execute(
                "SELECT cache_key FROM prompt_encodings WHERE job_id = $1", [.int64(job)], name: "prompt encoding's cache key"
            ).first().get("cache_key")
            try connection.execute(
                """
                UPDATE jobs SET prompt_embeds_sha256 = $2, negative_embeds_sha256 = $3, updated_at = now() WHERE id = $1
                """, [.int64(job), .text(promptSHA), .optional(negativeSHA)], name: "store job embeddings")
            // A job with conditioning sources also waits for their encodings.
            try readyFirstBlockIfEncoded(job: job, firstShards: readyShards)
            try connection.execute(
                """
                INSERT INTO prompt_embeddings_cache (cache_key, model, prompt_embeds_sha256, negative_embeds_sha256)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT (cache_key) DO UPDATE
                SET prompt_embeds_sha256 = EXCLUDED.prompt_embeds_sha256, negative_embeds_sha256 = EXCLUDED.negative_embeds_sha256
                """, [.text(key), .text(model), .text(promptSHA), .optional(negativeSHA)], name: "cache embeddings")
        }
    }

    /// The current lease on the job's encoding failed: back to ready from `notBefore`.
    public func failPromptEncoding(job: Int64, attempt: Int, worker: String, reason: String, notBefore: Timestamp)
        throws(StoreError) -> Bool
    {
        try requeue(.promptEncoding, job: job, attempt: attempt, worker: worker, reason: reason, notBefore: notBefore)
    }

    /// The current lease on the job's encoding failed with no tries left: it and its job fail.
    public func failPromptEncodingForGood(job: Int64, attempt: Int, worker: String, reason: String) throws(StoreError) -> Bool {
        try failForGood(.promptEncoding, job: job, attempt: attempt, worker: worker, reason: reason)
    }

    /// The job's encoding, if it has one.
    public func promptEncoding(job: Int64) throws(StoreError) -> PromptEncodingRow? {
        try connection.execute("SELECT * FROM prompt_encodings WHERE job_id = $1", [.int64(job)], name: "promptEncoding")
            .first.map { row throws(StoreError) in try PromptEncodingRow(row: row) }
    }

    /// Embeddings stored under `key`, if any.
    public func cachedEmbeddings(key: String) throws(StoreError) -> CachedEmbeddings? {
        try connection.execute(
            "SELECT prompt_embeds_sha256, negative_embeds_sha256 FROM prompt_embeddings_cache WHERE cache_key = $1",
            [.text(key)], name: "cachedEmbeddings"
        ).first.map { row throws(StoreError) in
            CachedEmbeddings(promptSHA: try row.get("prompt_embeds_sha256"), negativeSHA: try row.get("negative_embeds_sha256"))
        }
    }

    /// Forgets `key` (its blobs were deleted under the retention policy).
    public func forgetCachedEmbeddings(key: String) throws(StoreError) {
        try connection.execute("DELETE FROM prompt_embeddings_cache WHERE cache_key = $1", [.text(key)], name: "forgetCachedEmbeddings")
    }
}
