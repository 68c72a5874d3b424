import Foundation
import ReelPlan

/// The farm's state in PostgreSQL: jobs, their shards and decode chunks, workers,
/// and the event log. Every operation is one statement or one transaction, with
/// all values passed as parameters; the schema's CHECKs and triggers refuse rows
/// that break the state rules, so a bug surfaces as an error, not as bad state.
///
/// Leases are fenced: each lease increments `attempt` (never reset), the worker
/// gets it as a token, and results or failure reports count only if they carry the
/// current token and come from the holder. Stale ones change nothing (the store
/// logs them as `*.stale` events and returns `false`).
///
/// Like its ``PostgresConnection``, a `FarmStore` is used from one thread or actor
/// at a time; open one per concurrent task.
public final class FarmStore {
    /// The connection every operation runs on.
    public let connection: PostgresConnection

    /// Uses `connection` as is (the schema must already be migrated).
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Connects to `url` and applies missing migrations (``Migration/farm``).
    public convenience init(url: String) throws(StoreError) {
        let connection = try PostgresConnection(url: url)
        try Migrator().migrate(connection)
        self.init(connection: connection)
    }

    /// Strings as a JSON array parameter; SQL expands it with `jsonb_array_elements_text`,
    /// so a list needs no SQL array syntax and no splicing.
    func jsonArray(_ strings: [String]) -> PostgresValue {
        let data = (try? JSONEncoder().encode(strings)) ?? Data("[]".utf8)
        return .json(String(decoding: data, as: UTF8.self))
    }

    /// Shards as a JSON parameter for `jsonb_to_recordset(…) AS x(region int, block int, ready boolean)`.
    func shardRecords(_ shards: [ShardID], ready: Set<ShardID> = []) -> PostgresValue {
        let records = shards.map { #"{"region":\#($0.region),"block":\#($0.block),"ready":\#(ready.contains($0))}"# }
        return .json("[" + records.joined(separator: ",") + "]")
    }

    /// `limit`, `maxTries` and similar counts must be positive (or, for `limit`, zero).
    func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(StoreError) {
        if !condition { throw .invalidArgument(message()) }
    }
}
