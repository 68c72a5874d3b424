import Foundation
import ReelPlan

/// A `workers` row.
public struct WorkerRow: Hashable, Sendable {
    /// Unique worker name (the identity leases are held under).
    public var name: String
    public var host: String
    public var cores: Int
    /// Compute threads it runs with.
    public var threads: Int
    /// Items it works on at once.
    public var slots: Int
    /// Models it can run.
    public var models: [String]
    public var state: WorkerStateName
    /// Its latest registration.
    public var registeredAt: Timestamp
    /// Its latest heartbeat.
    public var lastSeenAt: Timestamp

    static let columns = """
        name, host, cores, threads, slots, array_to_json(models)::text AS models, state,
        (extract(epoch FROM registered_at) * 1000)::bigint AS registered_at_ms,
        (extract(epoch FROM last_seen_at) * 1000)::bigint AS last_seen_at_ms
        """

    init(row: PostgresRow) throws(StoreError) {
        name = try row.get("name")
        host = try row.get("host")
        cores = try row.get("cores")
        threads = try row.get("threads")
        slots = try row.get("slots")
        let json: String = try row.get("models")
        guard let models = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
            throw .badValue(column: "models", expected: "a JSON array of strings", found: json)
        }
        self.models = models
        state = try row.get("state")
        registeredAt = try row.get("registered_at_ms")
        lastSeenAt = try row.get("last_seen_at_ms")
    }
}
