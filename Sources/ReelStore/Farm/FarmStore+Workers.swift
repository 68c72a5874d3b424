import ReelPlan

extension FarmStore {
    /// Registers `name` (or re-registers it after a restart), active, seen at `at`.
    public func registerWorker(
        name: String, host: String, cores: Int, threads: Int, slots: Int, models: [String], pools: [String] = [], at: Timestamp
    ) throws(StoreError) {
        try connection.transaction { () throws(StoreError) in
            try connection.execute(
                """
                INSERT INTO workers (name, host, cores, threads, slots, models, state, registered_at, last_seen_at, pools)
                VALUES ($1, $2, $3, $4, $5, ARRAY(SELECT jsonb_array_elements_text($6)), 'active',
                        to_timestamp($7::float8 / 1000), to_timestamp($7::float8 / 1000),
                        ARRAY(SELECT jsonb_array_elements_text($8)))
                ON CONFLICT (name) DO UPDATE SET
                    host = EXCLUDED.host, cores = EXCLUDED.cores, threads = EXCLUDED.threads, slots = EXCLUDED.slots,
                    models = EXCLUDED.models, state = 'active', registered_at = EXCLUDED.registered_at,
                    last_seen_at = EXCLUDED.last_seen_at, pools = EXCLUDED.pools
                """,
                [.text(name), .text(host), .int(cores), .int(threads), .int(slots), jsonArray(models),
                 .int64(at.milliseconds), jsonArray(pools)], name: "registerWorker")
            try appendEvent(
                kind: .workerRegistered, worker: name,
                detail: "\(host): \(cores) cores, \(threads) threads, \(slots) slots, models \(models.joined(separator: ", "))"
                    + (pools.isEmpty ? "" : ", pools \(pools.joined(separator: ", "))"))
        }
    }

    /// Records a heartbeat at `at` from each of `names` (never moving `last_seen_at`
    /// back); returns how many workers were found.
    @discardableResult
    public func touchWorkers(names: [String], at: Timestamp) throws(StoreError) -> Int {
        guard !names.isEmpty else { return 0 }
        return try connection.execute(
            """
            UPDATE workers SET last_seen_at = GREATEST(last_seen_at, to_timestamp($2::float8 / 1000))
            WHERE name IN (SELECT jsonb_array_elements_text($1))
            """, [jsonArray(names), .int64(at.milliseconds)], name: "touchWorkers"
        ).affectedRows
    }

    /// Sets a worker's state and logs it; `false` if there is no such worker.
    @discardableResult
    public func setWorkerState(name: String, to state: WorkerStateName) throws(StoreError) -> Bool {
        try connection.transaction { () throws(StoreError) -> Bool in
            let rows = try connection.execute(
                "UPDATE workers SET state = $2 WHERE name = $1", [.text(name), .text(state.rawValue)],
                name: "setWorkerState")
            guard rows.affectedRows == 1 else { return false }
            try appendEvent(kind: .workerState, worker: name, detail: state.rawValue)
            return true
        }
    }

    /// Every registered worker, by name.
    public func workers() throws(StoreError) -> [WorkerRow] {
        try connection.execute("SELECT \(WorkerRow.columns) FROM workers ORDER BY name", name: "workers")
            .map { row throws(StoreError) in try WorkerRow(row: row) }
    }
}
