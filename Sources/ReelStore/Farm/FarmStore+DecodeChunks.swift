import ReelPlan

extension FarmStore {
    /// Moves a running job to decoding with its blended latents and creates its
    /// decode chunks (ready; their frames and warm-up from the layout), in one transaction. Chunks that already exist (a job
    /// retried after a decode failure) are kept, so done chunks are not redone.
    /// `false`, changing nothing, if the job is not running.
    public func startDecoding(job: Int64, latentsSHA: String, chunks: [DecodeChunk]) throws(StoreError) -> Bool {
        try require(!chunks.isEmpty, "startDecoding: job \(job) needs at least one decode chunk")
        try require(Set(chunks.map(\.index)).count == chunks.count, "startDecoding: duplicate chunk indices for job \(job)")
        let records = chunks.map {
            #"{"chunk":\#($0.index),"frame_begin":\#($0.frames.lowerBound),"frame_end":\#($0.frames.upperBound),"warmup":\#($0.warmup)}"#
        }
        return try connection.transaction { () throws(StoreError) -> Bool in
            let moved = try connection.execute(
                """
                UPDATE jobs SET state = 'decoding', latents_sha256 = $2, updated_at = now()
                WHERE id = $1 AND state = 'running'
                """, [.int64(job), .text(latentsSHA)], name: "startDecoding")
            guard moved.affectedRows == 1 else { return false }
            let created = try connection.execute(
                """
                INSERT INTO decode_chunks (job_id, chunk, frame_begin, frame_end, warmup, state)
                SELECT $1, x.chunk, x.frame_begin, x.frame_end, x.warmup, 'ready'
                FROM jsonb_to_recordset($2) AS x(chunk int, frame_begin int, frame_end int, warmup int)
                ON CONFLICT (job_id, chunk) DO NOTHING
                """, [.int64(job), .json("[" + records.joined(separator: ",") + "]")], name: "create decode chunks")
            try appendEvent(
                kind: .jobDecoding, job: job,
                detail: "latents \(latentsSHA); \(created.affectedRows) new of \(chunks.count) decode chunks")
            return true
        }
    }

    /// Leases up to `limit` ready decode chunks of decoding jobs to `worker`; the
    /// same rules and order as ``claimShards(worker:limit:now:leaseDuration:maxTries:blocklistThreshold:)``.
    public func claimDecodeChunks(
        worker: String, models: [String]? = nil, limit: Int, now: Timestamp, leaseDuration: Duration, maxTries: Int,
        blocklistThreshold: Int = 2
    ) throws(StoreError) -> [ClaimedDecodeChunk] {
        try claim(
            .decodeChunks, worker: worker, models: models, limit: limit, now: now, leaseDuration: leaseDuration, maxTries: maxTries,
            blocklistThreshold: blocklistThreshold
        ).map { row throws(StoreError) in try ClaimedDecodeChunk(row: row) }
            .sorted { ($0.job, $0.chunk) < ($1.job, $1.chunk) }
    }

    /// Stores `worker`'s frames for `chunk` if it holds the current lease as
    /// `attempt`; `false`, changing nothing, for a stale one (logged as `chunk.stale`).
    public func completeDecodeChunk(
        job: Int64, chunk: Int, attempt: Int, worker: String, outputSHA: String, computeMilliseconds: Int64? = nil
    ) throws(StoreError) -> Bool {
        try complete(.decodeChunk(chunk), job: job, attempt: attempt, worker: worker, outputSHA: outputSHA, computeMilliseconds: computeMilliseconds)
    }

    /// The current lease on `chunk` failed: back to ready from `notBefore`.
    public func failDecodeChunk(
        job: Int64, chunk: Int, attempt: Int, worker: String, reason: String, notBefore: Timestamp
    ) throws(StoreError) -> Bool {
        try requeue(.decodeChunk(chunk), job: job, attempt: attempt, worker: worker, reason: reason, notBefore: notBefore)
    }

    /// The current lease on `chunk` failed with no tries left: the chunk and its job fail.
    public func failDecodeChunkForGood(job: Int64, chunk: Int, attempt: Int, worker: String, reason: String)
        throws(StoreError) -> Bool
    {
        try failForGood(.decodeChunk(chunk), job: job, attempt: attempt, worker: worker, reason: reason)
    }

    /// Every decode chunk of `job`, in chunk order.
    public func decodeChunks(job: Int64) throws(StoreError) -> [DecodeChunkRow] {
        try connection.execute(
            "SELECT * FROM decode_chunks WHERE job_id = $1 ORDER BY chunk", [.int64(job)], name: "decodeChunks"
        ).map { row throws(StoreError) in try DecodeChunkRow(row: row) }
    }

    /// How many decode chunks of `job` are in each state (zeros included).
    public func decodeChunkCounts(job: Int64) throws(StoreError) -> [ShardState.Name: Int] {
        try counts(.decodeChunks, job: job)
    }
}
