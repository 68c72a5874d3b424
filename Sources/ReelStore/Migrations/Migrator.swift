/// Brings a database's schema up to a list of ``Migration``s.
///
/// Applied versions live in `reel_schema_migrations`. Each missing migration runs in
/// its own transaction holding a transaction-scoped advisory lock, so coordinators
/// starting at once apply each migration exactly once. The migrator refuses to run
/// (and changes nothing) if an applied migration's checksum differs from the code's
/// or the database has a version the code does not know.
public struct Migrator: Sendable {
    /// The migrations, in version order.
    public let migrations: [Migration]

    /// Key of the advisory lock every migration transaction takes ("reel" in ASCII).
    static let lockKey: Int64 = 0x7265_656C

    /// Checks that versions run 1, 2, 3, … without gaps.
    public init(migrations: [Migration] = Migration.farm) throws(StoreError) {
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw .invalidMigrations(
                "migration '\(migration.name)' has version \(migration.version) at position \(index + 1); "
                    + "versions must run 1, 2, 3, … in order")
        }
        self.migrations = migrations
    }

    /// Applies the missing migrations in order and returns their versions (empty when
    /// the schema is current).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) throws(StoreError) -> [Int] {
        try connection.transaction { () throws(StoreError) in
            try lock(connection)
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS reel_schema_migrations (
                    version int PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, name: "create reel_schema_migrations")
        }
        var applied: [Int] = []
        while let version = try applyNext(connection) { applied.append(version) }
        return applied
    }

    /// Verifies what is applied and applies the first missing migration, all in one
    /// transaction under the lock; `nil` when nothing is missing.
    private func applyNext(_ connection: PostgresConnection) throws(StoreError) -> Int? {
        try connection.transaction { () throws(StoreError) -> Int? in
            try lock(connection)
            let rows = try connection.execute(
                "SELECT version, name, checksum FROM reel_schema_migrations ORDER BY version",
                name: "read reel_schema_migrations")
            var appliedVersions: Set<Int> = []
            for row in rows {
                let version: Int = try row.get("version")
                guard version >= 1, version <= migrations.count else {
                    throw .databaseNewer(version: version, newestKnown: migrations.count)
                }
                let migration = migrations[version - 1]
                let checksum: String = try row.get("checksum")
                guard checksum == migration.checksum else {
                    throw .migrationChanged(
                        version: version, name: migration.name, applied: checksum, code: migration.checksum)
                }
                appliedVersions.insert(version)
            }
            guard let next = migrations.first(where: { !appliedVersions.contains($0.version) }) else { return nil }
            for (index, statement) in SQLScript.statements(next.sql).enumerated() {
                try connection.execute(statement, name: "migration \(next.version) (\(next.name)) statement \(index + 1)")
            }
            try connection.execute(
                "INSERT INTO reel_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                [.int(next.version), .text(next.name), .text(next.checksum)], name: "record migration \(next.version)")
            return next.version
        }
    }

    private func lock(_ connection: PostgresConnection) throws(StoreError) {
        try connection.execute("SELECT pg_advisory_xact_lock($1)", [.int64(Self.lockKey)], name: "migration lock")
    }
}
