import ReelPlan

/// Quarantine: a worker whose result lost a verification ballot is never leased
/// to again (the claim statement checks it) until an operator releases it.
extension FarmStore {
    /// Quarantines `name` at `at` for `reason` and logs it; a worker already in
    /// quarantine keeps its first time and reason. `false` if there is no such worker.
    @discardableResult
    public func quarantineWorker(name: String, reason: String, at: Timestamp) throws(StoreError) -> Bool {
        try require(!reason.isEmpty, "quarantineWorker: the reason is empty")
        return try connection.transaction { () throws(StoreError) -> Bool in
            let rows = try connection.execute(
                """
                UPDATE workers SET quarantined_at = COALESCE(quarantined_at, to_timestamp($2::float8 / 1000)),
                    quarantine_reason = COALESCE(quarantine_reason, $3)
                WHERE name = $1
                """, [.text(name), .int64(at.milliseconds), .text(reason)], name: "quarantineWorker")
            guard rows.affectedRows == 1 else { return false }
            try appendEvent(kind: .workerQuarantined, worker: name, detail: reason)
            return true
        }
    }

    /// Lifts `name`'s quarantine (an operator's decision) and logs it; `false` if
    /// there is no such worker or it was not quarantined.
    @discardableResult
    public func releaseWorker(name: String) throws(StoreError) -> Bool {
        try connection.transaction { () throws(StoreError) -> Bool in
            let rows = try connection.execute(
                "UPDATE workers SET quarantined_at = NULL, quarantine_reason = NULL WHERE name = $1 AND quarantined_at IS NOT NULL",
                [.text(name)], name: "releaseWorker")
            guard rows.affectedRows == 1 else { return false }
            try appendEvent(kind: .workerReleased, worker: name, detail: "released from quarantine by an operator")
            return true
        }
    }

    /// The names of the quarantined workers.
    public func quarantinedWorkers() throws(StoreError) -> Set<String> {
        Set(try connection.execute("SELECT name FROM workers WHERE quarantined_at IS NOT NULL", name: "quarantinedWorkers")
            .map { row throws(StoreError) -> String in try row.get("name") })
    }
}

extension EventKind {
    public static let workerQuarantined: EventKind = "worker.quarantined"
    public static let workerReleased: EventKind = "worker.released"
}
