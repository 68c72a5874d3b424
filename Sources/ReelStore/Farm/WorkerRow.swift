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
    /// The pools it belongs to.
    public var pools: [String] = []
    /// Since when it is quarantined (never leased to), and why; nil when it is not.
    public var quarantinedAt: Timestamp?
    public var quarantineReason: String?

    static let columns = """
        name, host, cores, threads, slots, array_to_json(models)::text AS models, state,
        (extract(epoch FROM registered_at) * 1000)::bigint AS registered_at_ms,
        (extract(epoch FROM last_seen_at) * 1000)::bigint AS last_seen_at_ms,
        array_to_json(pools)::text AS pools, (extract(epoch FROM quarantined_at) * 1000)::bigint AS quarantined_at_ms,
        quarantine_reason
        """

    init(row: PostgresRow) throws(StoreError) {
        name = try row.get("name")
        host = try row.get("host")
        cores = try row.get("cores")
        threads = try row.get("threads")
        slots = try row.get("slots")
        models = try Self.strings(row, "models")
        state = try row.get("state")
        registeredAt = try row.get("registered_at_ms")
        lastSeenAt = try row.get("last_seen_at_ms")
        pools = try Self.strings(row, "pools")
        quarantinedAt = try row.get("quarantined_at_ms")
        quarantineReason = try row.get("quarantine_reason")
    }

    /// A `text[]` column selected as `array_to_json(…)::text`.
    private static func strings(_ row: PostgresRow, _ column: String) throws(StoreError) -> [String] {
        let json: String = try row.get(column)
        guard let strings = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
            throw .badValue(column: column, expected: "a JSON array of strings", found: json)
        }
        return strings
    }
}
