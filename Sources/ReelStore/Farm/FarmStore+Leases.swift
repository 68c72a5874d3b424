import ReelPlan

/// The lease operations shards and decode chunks share, written once against a
/// ``LeaseTable``.
extension FarmStore {
    /// Leases up to `limit` ready items of jobs in the table's job state to `worker`,
    /// in one statement; returns the updated rows.
    ///
    /// `FOR UPDATE SKIP LOCKED` makes concurrent claims take disjoint rows without
    /// waiting. Candidates: ready, past their backoff, fewer than `maxTries` tries,
    /// job not blocklisted for `worker`, `worker` not quarantined, and the job's
    /// required pool (if any) one of `worker`'s. Order: job priority (highest first), then
    /// items `worker` did not hold last (a retry goes to another worker if one asks),
    /// then job id and key.
    func claim(
        _ table: LeaseTable, worker: String, models: [String]? = nil, limit: Int, now: Timestamp, leaseDuration: Duration,
        maxTries: Int, blocklistThreshold: Int
    ) throws(StoreError) -> PostgresRows {
        try require(!worker.isEmpty, "claim: the worker name is empty")
        try require(limit >= 0, "claim: limit must be at least 0, got \(limit)")
        try require(maxTries >= 1, "claim: maxTries must be at least 1, got \(maxTries)")
        try require(blocklistThreshold >= 1, "claim: blocklistThreshold must be at least 1, got \(blocklistThreshold)")
        let keys = table.keyColumns
        return try connection.execute(
            """
            UPDATE \(table.table) t
            SET state = 'leased', attempt = t.attempt + 1, tries = t.tries + 1, worker = $1, last_worker = $1,
                lease_expires_at_ms = $3, not_before_ms = NULL, leased_at_ms = \(Self.databaseMilliseconds)
            FROM (
                SELECT s.job_id, \(keys.map { "s.\($0)" }.joined(separator: ", "))
                FROM \(table.table) s JOIN jobs j ON j.id = s.job_id
                WHERE s.state = 'ready' AND j.state = $7
                  AND (s.not_before_ms IS NULL OR s.not_before_ms <= $2)
                  AND s.tries < $5
                  AND ($8::jsonb IS NULL OR j.model IN (SELECT jsonb_array_elements_text($8::jsonb)))
                  AND NOT EXISTS (
                      SELECT 1 FROM worker_job_failures f
                      WHERE f.job_id = s.job_id AND f.worker = $1 AND f.failures >= $6)
                  AND NOT EXISTS (SELECT 1 FROM workers q WHERE q.name = $1 AND q.quarantined_at IS NOT NULL)
                  AND (j.pool IS NULL OR EXISTS (SELECT 1 FROM workers p WHERE p.name = $1 AND j.pool = ANY (p.pools)))
                ORDER BY j.priority DESC, s.last_worker IS NOT DISTINCT FROM $1, s.job_id,
                         \(keys.map { "s.\($0)" }.joined(separator: ", "))
                LIMIT $4
                FOR UPDATE OF s SKIP LOCKED
            ) picked
            WHERE t.job_id = picked.job_id AND \(keys.map { "t.\($0) = picked.\($0)" }.joined(separator: " AND "))
            RETURNING t.*
            """,
            [.text(worker), .int64(now.milliseconds), .int64(now.advanced(by: leaseDuration).milliseconds),
             .int(limit), .int(maxTries), .int(blocklistThreshold), .text(table.jobState.rawValue),
             models.map { jsonArray($0) } ?? .null],
            name: "claim \(table.table)")
    }

    /// The database's clock now, in milliseconds: `leased_at_ms` comes from one
    /// clock whichever coordinator wrote it, the one `jobs.created_at` uses
    /// (`clock_timestamp()`, not the transaction's start).
    static let databaseMilliseconds = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

    /// Runs `UPDATE … SET assignments` on `item` only if it is leased to `worker` as
    /// `attempt`; returns the row's `tries` after the update, or `nil` if the lease
    /// is not current. In `assignments`, `$4, $5, …` are `values`.
    private func updateLease(
        _ item: WorkItem, job: Int64, attempt: Int, worker: String,
        set assignments: String, _ values: [PostgresValue], name: String
    ) throws(StoreError) -> Int? {
        let table = item.table
        let rows = try connection.execute(
            """
            UPDATE \(table.table) t SET \(assignments)
            WHERE t.job_id = $1 AND \(table.keyMatch(alias: "t", firstParameter: 4 + values.count))
              AND t.state = 'leased' AND t.attempt = $2 AND t.worker = $3
            RETURNING t.tries
            """, [.int64(job), .int(attempt), .text(worker)] + values + table.key(item), name: name)
        return try rows.first?.get("tries")
    }

    /// Stores the result of the current lease on `item` (with the worker's
    /// `computeMilliseconds`, if it said), then runs `afterwards` in the same
    /// transaction. A stale lease changes nothing and is logged.
    func complete(
        _ item: WorkItem, job: Int64, attempt: Int, worker: String, outputSHA: String, computeMilliseconds: Int64? = nil,
        afterwards: () throws(StoreError) -> Void = {}
    ) throws(StoreError) -> Bool {
        try connection.transaction { () throws(StoreError) -> Bool in
            guard try updateLease(
                item, job: job, attempt: attempt, worker: worker,
                set: "state = 'done', output_sha256 = $4, lease_expires_at_ms = NULL, compute_ms = $5",
                [.text(outputSHA), computeMilliseconds.map { .int64($0) } ?? .null],
                name: "complete \(item)") != nil
            else {
                try logStale(item, job: job, attempt: attempt, worker: worker, report: "result")
                return false
            }
            try afterwards()
            try appendEvent(
                kind: .done(item.table), job: job, item: item, worker: worker,
                detail: "attempt \(attempt) stored \(outputSHA)")
            return true
        }
    }

    /// Puts `item` back to ready from `notBefore` after a failed current lease.
    func requeue(
        _ item: WorkItem, job: Int64, attempt: Int, worker: String, reason: String, notBefore: Timestamp
    ) throws(StoreError) -> Bool {
        try connection.transaction { () throws(StoreError) -> Bool in
            guard let tries = try updateLease(
                item, job: job, attempt: attempt, worker: worker,
                set: "state = 'ready', worker = NULL, lease_expires_at_ms = NULL, not_before_ms = $4, reason = $5",
                [.int64(notBefore.milliseconds), .text(reason)], name: "requeue \(item)")
            else {
                try logStale(item, job: job, attempt: attempt, worker: worker, report: "failure")
                return false
            }
            try appendEvent(
                kind: .retry(item.table), job: job, item: item, worker: worker,
                detail: "attempt \(attempt) (try \(tries)) failed: \(reason); ready again at \(notBefore.milliseconds) ms")
            return true
        }
    }

    /// Fails `item` for good after a failed current lease, and its job with it.
    func failForGood(_ item: WorkItem, job: Int64, attempt: Int, worker: String, reason: String) throws(StoreError)
        -> Bool
    {
        try connection.transaction { () throws(StoreError) -> Bool in
            guard let tries = try updateLease(
                item, job: job, attempt: attempt, worker: worker,
                set: "state = 'failed', worker = NULL, lease_expires_at_ms = NULL, not_before_ms = NULL, reason = $4",
                [.text(reason)], name: "fail \(item)")
            else {
                try logStale(item, job: job, attempt: attempt, worker: worker, report: "failure")
                return false
            }
            try appendEvent(
                kind: .failed(item.table), job: job, item: item, worker: worker,
                detail: "attempt \(attempt) failed, no tries left: \(reason)")
            let jobReason = "\(item) failed after \(tries) \(tries == 1 ? "try" : "tries"): \(reason)"
            let failed = try connection.execute(
                """
                UPDATE jobs SET state = 'failed', reason = $2, finished_at = now(), updated_at = now()
                WHERE id = $1 AND state IN ('running', 'decoding')
                """, [.int64(job), .text(jobReason)], name: "fail job")
            if failed.affectedRows == 1 { try appendEvent(kind: .jobFailed, job: job, detail: jobReason) }
            return true
        }
    }

    /// Undoes a claim the coordinator could not act on (its memory had not yet seen
    /// the item become ready, or the assignment could not be built): the item goes
    /// back to ready and the try is given back, so a refused claim never burns one.
    /// The attempt stays bumped, so anything sent for it is stale. `false`, changing
    /// nothing, if `worker` does not hold `attempt`.
    public func releaseClaim(_ item: WorkItem, job: Int64, attempt: Int, worker: String) throws(StoreError) -> Bool {
        try updateLease(
            item, job: job, attempt: attempt, worker: worker,
            set: "state = 'ready', worker = NULL, lease_expires_at_ms = NULL, tries = GREATEST(t.tries - 1, 0)", [],
            name: "release \(item)") != nil
    }

    /// One item's state, lease and result; `nil` if it does not exist. What an
    /// outcome that never arrived (a lost COMMIT answer) is settled by.
    public func status(of item: WorkItem, job: Int64) throws(StoreError) -> WorkStatus? {
        let table = item.table
        let rows = try connection.execute(
            "SELECT * FROM \(table.table) t WHERE t.job_id = $1 AND \(table.keyMatch(alias: "t", firstParameter: 2))",
            [.int64(job)] + table.key(item), name: "status of \(item)")
        return try rows.first.map { row throws(StoreError) in try WorkStatus(row: row) }
    }

    /// Logs that a report from `worker` for `attempt` was dropped, saying what holds the item now.
    private func logStale(_ item: WorkItem, job: Int64, attempt: Int, worker: String, report: String) throws(StoreError) {
        let table = item.table
        let rows = try connection.execute(
            "SELECT state, attempt, worker FROM \(table.table) t WHERE t.job_id = $1 AND \(table.keyMatch(alias: "t", firstParameter: 2))",
            [.int64(job)] + table.key(item), name: "read \(item)")
        var now = "it does not exist"
        if let row = rows.first {
            let state: ShardState.Name = try row.get("state")
            let current: Int = try row.get("attempt")
            let holder: String? = try row.get("worker")
            now = "it is \(state.rawValue) at attempt \(current)" + (holder.map { " (\($0))" } ?? "")
        }
        try appendEvent(
            kind: .stale(table), job: job, item: item, worker: worker,
            detail: "\(report) of attempt \(attempt) rejected: \(now)")
    }

    /// Extends `worker`'s unexpired leases to `until` (never shortening one); returns
    /// how many. A heartbeat after expiry extends nothing: expiry decides.
    @discardableResult
    public func extendLeases(worker: String, now: Timestamp, until: Timestamp) throws(StoreError) -> Int {
        try connection.transaction { () throws(StoreError) -> Int in
            var count = 0
            for table in LeaseTable.all {
                count += try connection.execute(
                    """
                    UPDATE \(table.table) SET lease_expires_at_ms = GREATEST(lease_expires_at_ms, $3)
                    WHERE state = 'leased' AND worker = $1 AND lease_expires_at_ms > $2
                    """, [.text(worker), .int64(now.milliseconds), .int64(until.milliseconds)],
                    name: "extend \(table.table) leases"
                ).affectedRows
            }
            return count
        }
    }

    /// Current leases (shards and decode chunks), of one worker or of all.
    public func leases(worker: String? = nil) throws(StoreError) -> [Lease] {
        var leases: [Lease] = []
        for table in LeaseTable.all {
            let rows = try connection.execute(
                """
                SELECT * FROM \(table.table) WHERE state = 'leased' AND ($1::text IS NULL OR worker = $1)
                ORDER BY job_id, \(table.keyColumns.joined(separator: ", "))
                """, [.optional(worker)], name: "\(table.table) leases")
            for row in rows { leases.append(try table.lease(row)) }
        }
        return leases
    }

    /// How many items of `job` are in each state (every state present, zeros included).
    func counts(_ table: LeaseTable, job: Int64) throws(StoreError) -> [ShardState.Name: Int] {
        var counts = Dictionary(uniqueKeysWithValues: ShardState.Name.allCases.map { ($0, 0) })
        let rows = try connection.execute(
            "SELECT state, count(*) AS n FROM \(table.table) WHERE job_id = $1 GROUP BY state",
            [.int64(job)], name: "count \(table.table)")
        for row in rows { counts[try row.get("state") as ShardState.Name] = try row.get("n") }
        return counts
    }
}
