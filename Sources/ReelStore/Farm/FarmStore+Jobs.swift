import ReelPlan

extension FarmStore {
    /// Creates a running job (run 1) with one row per shard (ready if in
    /// `readyShards`, pending otherwise) and logs it, in one transaction. `spec` is
    /// the job request as JSON. Returns the new job's id.
    public func createJob(
        name: String, model: String, spec: String, promptEmbedsSHA: String?, negativeEmbedsSHA: String?,
        priority: Int = 0, shards: [ShardID], readyShards: Set<ShardID>
    ) throws(StoreError) -> Int64 {
        try require(!shards.isEmpty, "createJob: job '\(name)' has no shards")
        try require(Set(shards).count == shards.count, "createJob: job '\(name)' lists a shard twice")
        let unknown = readyShards.subtracting(shards)
        try require(unknown.isEmpty, "createJob: ready shards \(unknown.sorted()) are not among job '\(name)''s shards")
        return try connection.transaction { () throws(StoreError) -> Int64 in
            let id: Int64 = try connection.execute(
                """
                INSERT INTO jobs (name, model, spec, prompt_embeds_sha256, negative_embeds_sha256, state, run, priority)
                VALUES ($1, $2, $3, $4, $5, 'running', 1, $6) RETURNING id
                """,
                [.text(name), .text(model), .json(spec), .optional(promptEmbedsSHA), .optional(negativeEmbedsSHA),
                 .int(priority)], name: "createJob"
            ).first().get("id")
            try connection.execute(
                """
                INSERT INTO shards (job_id, region, block, state)
                SELECT $1, x.region, x.block, CASE WHEN x.ready THEN 'ready' ELSE 'pending' END::reel_shard_state
                FROM jsonb_to_recordset($2) AS x(region int, block int, ready boolean)
                """, [.int64(id), shardRecords(shards, ready: readyShards)], name: "create shards")
            try appendEvent(
                kind: .jobCreated, job: id, detail: "\(shards.count) shards, \(readyShards.count) ready, model \(model)")
            return id
        }
    }

    /// The job with this id, if any.
    public func job(id: Int64) throws(StoreError) -> JobRow? {
        try connection.execute("SELECT \(JobRow.columns) FROM jobs WHERE id = $1", [.int64(id)], name: "job")
            .first.map { row throws(StoreError) in try JobRow(row: row) }
    }

    /// Jobs in any of `states` (all jobs for `nil`), by id.
    public func jobs(states: Set<JobState.Name>? = nil) throws(StoreError) -> [JobRow] {
        let names = states.map { jsonArray($0.map(\.rawValue).sorted()) } ?? .null
        return try connection.execute(
            """
            SELECT \(JobRow.columns) FROM jobs
            WHERE $1::jsonb IS NULL OR state::text IN (SELECT jsonb_array_elements_text($1::jsonb))
            ORDER BY id
            """, [names], name: "jobs"
        ).map { row throws(StoreError) in try JobRow(row: row) }
    }

    /// Moves `id` to `state` if it is in one of `from`; `reason` replaces the job's
    /// reason (required by the schema for failed). Keeps `finished_at` in step (set
    /// on succeeded, failed, cancelled; cleared otherwise) and logs the change.
    /// `false`, changing nothing, if the job is not in `from`.
    @discardableResult
    public func setJobState(id: Int64, to state: JobState.Name, from: Set<JobState.Name>, reason: String? = nil)
        throws(StoreError) -> Bool
    {
        try connection.transaction { () throws(StoreError) -> Bool in
            let rows = try connection.execute(
                """
                UPDATE jobs j SET state = $2::reel_job_state, reason = $3, updated_at = now(),
                    run = CASE WHEN $2::reel_job_state IN ('running', 'decoding') THEN GREATEST(j.run, 1) ELSE j.run END,
                    finished_at = CASE WHEN $2::reel_job_state IN ('succeeded', 'failed', 'cancelled')
                                       THEN coalesce(j.finished_at, now()) END
                FROM (SELECT id, state AS old_state FROM jobs WHERE id = $1 FOR UPDATE) old
                WHERE j.id = old.id AND old.old_state::text IN (SELECT jsonb_array_elements_text($4::jsonb))
                RETURNING old.old_state
                """, [.int64(id), .text(state.rawValue), .optional(reason), jsonArray(from.map(\.rawValue).sorted())],
                name: "setJobState")
            guard let row = rows.first else { return false }
            let old: JobState.Name = try row.get("old_state")
            try appendEvent(
                kind: .jobState, job: id,
                detail: "\(old.rawValue) → \(state.rawValue)" + (reason.map { ": \($0)" } ?? ""))
            return true
        }
    }

    /// A decoding job succeeded: records its latents and video blobs. `false`,
    /// changing nothing, if the job is not decoding.
    @discardableResult
    public func finishJob(id: Int64, latentsSHA: String, outputSHA: String) throws(StoreError) -> Bool {
        try connection.transaction { () throws(StoreError) -> Bool in
            let rows = try connection.execute(
                """
                UPDATE jobs SET state = 'succeeded', latents_sha256 = $2, output_sha256 = $3,
                    finished_at = now(), updated_at = now()
                WHERE id = $1 AND state = 'decoding'
                """, [.int64(id), .text(latentsSHA), .text(outputSHA)], name: "finishJob")
            guard rows.affectedRows == 1 else { return false }
            try appendEvent(kind: .jobSucceeded, job: id, detail: "video \(outputSHA)")
            return true
        }
    }

    /// Cancels a job that is not yet succeeded or cancelled, and every shard and
    /// decode chunk of it that is not done, in one transaction. Returns the leases
    /// that were cancelled (their workers should be told to stop), or `nil` if the
    /// job does not exist or is already final.
    public func cancelJob(id: Int64) throws(StoreError) -> [Lease]? {
        try connection.transaction { () throws(StoreError) -> [Lease]? in
            let cancelled = try connection.execute(
                """
                UPDATE jobs SET state = 'cancelled', finished_at = now(), updated_at = now()
                WHERE id = $1 AND state NOT IN ('succeeded', 'cancelled')
                """, [.int64(id)], name: "cancelJob")
            guard cancelled.affectedRows == 1 else { return nil }
            var revoked: [Lease] = []
            for table in LeaseTable.all {
                let keys = table.keyColumns
                let rows = try connection.execute(
                    """
                    UPDATE \(table.table) t
                    SET state = 'cancelled', worker = NULL, lease_expires_at_ms = NULL, not_before_ms = NULL
                    FROM (SELECT job_id, \(keys.joined(separator: ", ")), state AS old_state, worker AS old_worker
                          FROM \(table.table) WHERE job_id = $1 AND state NOT IN ('done', 'cancelled') FOR UPDATE) old
                    WHERE t.job_id = old.job_id AND \(keys.map { "t.\($0) = old.\($0)" }.joined(separator: " AND "))
                    RETURNING t.job_id, \(keys.map { "t.\($0)" }.joined(separator: ", ")), t.attempt, t.tries,
                        old.old_worker AS worker, old.old_state
                    """, [.int64(id)], name: "cancel \(table.table)")
                for row in rows where try row.get("old_state") as ShardState.Name == .leased {
                    revoked.append(try table.lease(row))
                }
            }
            try appendEvent(kind: .jobCancelled, job: id, detail: "\(revoked.count) leases revoked")
            return revoked
        }
    }

    /// Runs a failed job again, in one transaction: the job goes back to running
    /// with run + 1; its failed shards go back to pending and failed decode chunks to
    /// ready; every shard and chunk not leased or done starts the run with 0 tries
    /// (`attempt`, the fencing token, is kept); the job's blocklist is cleared.
    /// Returns the shards that were reset (pending: make those whose inputs are done
    /// ready with ``markReadyIfInputsDone(job:candidates:)``), or `nil` if the job is
    /// not failed or has expired (its stored inputs and outputs are gone).
    public func retryJob(id: Int64) throws(StoreError) -> [ShardID]? {
        try connection.transaction { () throws(StoreError) -> [ShardID]? in
            let retried = try connection.execute(
                """
                UPDATE jobs SET state = 'running', run = run + 1, finished_at = NULL, updated_at = now()
                WHERE id = $1 AND state = 'failed' AND expired_at IS NULL RETURNING run
                """, [.int64(id)], name: "retryJob")
            guard let run: Int = try retried.first?.get("run") else { return nil }
            let reset = try connection.execute(
                """
                UPDATE shards SET state = 'pending', tries = 0 WHERE job_id = $1 AND state = 'failed'
                RETURNING region, block
                """, [.int64(id)], name: "reset failed shards"
            ).map { row throws(StoreError) in ShardID(region: try row.get("region"), block: try row.get("block")) }
            try connection.execute(
                """
                UPDATE decode_chunks SET state = 'ready', tries = 0 WHERE job_id = $1 AND state = 'failed'
                """, [.int64(id)], name: "reset failed decode chunks")
            try connection.execute(
                "UPDATE prompt_encodings SET state = 'ready', tries = 0 WHERE job_id = $1 AND state = 'failed'",
                [.int64(id)], name: "reset a failed prompt encoding")
            try connection.execute(
                "UPDATE source_encodings SET state = 'ready', tries = 0 WHERE job_id = $1 AND state = 'failed'",
                [.int64(id)], name: "reset failed source encodings")
            for table in LeaseTable.all {
                try connection.execute(
                    "UPDATE \(table.table) SET tries = 0 WHERE job_id = $1 AND state IN ('pending', 'ready') AND tries > 0",
                    [.int64(id)], name: "reset \(table.table) tries")
            }
            try connection.execute("DELETE FROM worker_job_failures WHERE job_id = $1", [.int64(id)], name: "clear blocklist")
            try appendEvent(kind: .jobRetried, job: id, detail: "run \(run): \(reset.count) failed shards reset")
            return reset.sorted()
        }
    }
}
