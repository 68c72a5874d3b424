/// The PostgreSQL session advisory lock held by the one coordinator allowed to
/// dispatch from a database: two coordinators on one database would each rebuild
/// the running jobs into memory and hand out the same shards.
///
/// The key is fixed, ``key``: "reelcoor" in ASCII, `0x7265656C636F6F72`
/// (8243106209170681714), so any coordinator of any version finds it. (Migrations
/// take "reel", `0x7265656C`, for the length of their transaction.) The
/// lock lives as long as the session: ``hold(on:name:)`` takes it, and retakes it
/// whenever the connection reconnects.
public enum CoordinatorLock {
    /// The advisory lock's key.
    public static let key: Int64 = 0x7265_656C_636F_6F72

    /// Takes the lock for `connection`'s session, and again after each reconnect
    /// (a new session has lost it). If another coordinator took the lock while the
    /// connection was down, the connection closes rather than go on without it.
    ///
    /// `name` (e.g. "reel coordinator pid 4242 on render-01") becomes the session's
    /// `application_name`, so a refused coordinator can say who holds the lock.
    ///
    /// - Throws: ``StoreError/databaseInUse(url:holder:)`` when another session holds it.
    public static func hold(on connection: PostgresConnection, name: String) throws(StoreError) {
        try take(on: connection, name: name)
        connection.onReconnect = { connection throws(StoreError) in try take(on: connection, name: name) }
    }

    private static func take(on connection: PostgresConnection, name: String) throws(StoreError) {
        try connection.execute(
            "SELECT set_config('application_name', $1, false)", [.text(name)], name: "name the coordinator's session")
        let taken: Bool = try connection.execute(
            "SELECT pg_try_advisory_lock($1) AS taken", [.int64(key)], name: "take the coordinator lock"
        ).first().get("taken")
        guard taken else { throw .databaseInUse(url: connection.url.redacted, holder: holder(on: connection)) }
    }

    /// Who holds the lock: backend pid, application name and client address, as far
    /// as this session may see them (nil if it may not, or the holder just left).
    private static func holder(on connection: PostgresConnection) -> String? {
        // A bigint key is stored as two 32-bit halves: classid high, objid low.
        let rows = try? connection.execute(
            """
            SELECT a.pid, a.application_name, a.client_addr::text AS client
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """,
            [.int64(key >> 32), .int64(key & 0xFFFF_FFFF)], name: "find the coordinator lock's holder")
        guard let row = try? rows?.first(), let pid: Int64 = try? row.get("pid") else { return nil }
        var parts = ["backend pid \(pid)"]
        if let name: String = try? row.get("application_name"), !name.isEmpty { parts.append("'\(name)'") }
        if let client: String = try? row.get("client") { parts.append("from \(client)") }
        return parts.joined(separator: ", ")
    }
}
