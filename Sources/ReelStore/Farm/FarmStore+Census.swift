import ReelPlan

/// Counts over the whole farm, for the coordinator's `/metrics`: one small
/// aggregate statement each, so a scrape costs the database little however many
/// jobs it keeps.
extension FarmStore {
    /// How many jobs are in each state (every state present, zeros included).
    public func jobCensus() throws(StoreError) -> [JobState.Name: Int] {
        var counts = Dictionary(uniqueKeysWithValues: JobState.Name.allCases.map { ($0, 0) })
        let rows = try connection.execute("SELECT state, count(*) AS n FROM jobs GROUP BY state", name: "job census")
        for row in rows { counts[try row.get("state") as JobState.Name] = try row.get("n") }
        return counts
    }

    /// How many registered workers are in each state (every state present, zeros included).
    public func workerCensus() throws(StoreError) -> [WorkerStateName: Int] {
        var counts = Dictionary(uniqueKeysWithValues: WorkerStateName.allCases.map { ($0, 0) })
        let rows = try connection.execute("SELECT state, count(*) AS n FROM workers GROUP BY state", name: "worker census")
        for row in rows { counts[try row.get("state") as WorkerStateName] = try row.get("n") }
        return counts
    }
}
