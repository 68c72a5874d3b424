import ReelPlan

/// An `api_tokens` row: never the token, only its SHA-256.
public struct APITokenRow: Hashable, Sendable {
    public var id: Int64
    public var name: String
    /// `read`, `submit` or `admin`.
    public var scope: String
    public var sha256: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    static let columns = """
        id, name, scope, sha256, (extract(epoch FROM created_at) * 1000)::bigint AS created_ms,
        (extract(epoch FROM revoked_at) * 1000)::bigint AS revoked_ms
        """

    init(row: PostgresRow) throws(StoreError) {
        id = try row.get("id")
        name = try row.get("name")
        scope = try row.get("scope")
        sha256 = try row.get("sha256")
        createdAt = try row.get("created_ms")
        revokedAt = try row.get("revoked_ms")
    }
}

extension FarmStore {
    /// Stores a new token's hash; returns its row. A live token with the same name
    /// is a ``StoreError`` (names are unique among live tokens).
    public func createToken(name: String, scope: String, sha256: String) throws(StoreError) -> APITokenRow {
        let rows = try connection.execute(
            "INSERT INTO api_tokens (name, scope, sha256) VALUES ($1, $2, $3) RETURNING \(APITokenRow.columns)",
            [.text(name), .text(scope), .text(sha256)], name: "createToken")
        guard let row = rows.first else { throw .noRow(statement: "createToken") }
        try appendEvent(kind: .tokenCreated, detail: "\(name) (\(scope))")
        return try APITokenRow(row: row)
    }

    /// Every token, revoked ones too, oldest first.
    public func tokens() throws(StoreError) -> [APITokenRow] {
        try connection.execute("SELECT \(APITokenRow.columns) FROM api_tokens ORDER BY id", name: "tokens")
            .map { row throws(StoreError) in try APITokenRow(row: row) }
    }

    /// Revokes the live token called `name`; `false` when there is none.
    @discardableResult
    public func revokeToken(name: String) throws(StoreError) -> Bool {
        let rows = try connection.execute(
            "UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", [.text(name)], name: "revokeToken")
        guard rows.affectedRows == 1 else { return false }
        try appendEvent(kind: .tokenRevoked, detail: name)
        return true
    }
}

extension EventKind {
    /// An API token was created (its name and scope; never the token).
    public static let tokenCreated: EventKind = "token.created"
    /// An API token was revoked.
    public static let tokenRevoked: EventKind = "token.revoked"
}
