extension Migration {
    /// API bearer tokens. Only each token's SHA-256 is stored: a token is 32
    /// random bytes, so its hash cannot be reversed or guessed, and a plain fast
    /// hash suffices (a slow password hash guards low-entropy secrets, which these
    /// are not). A revoked token keeps its row (and name) for the record; names
    /// are unique among live tokens.
    static let apiTokens = Migration(
        version: 7, name: "api tokens",
        sql: #"""
            CREATE TABLE api_tokens (
                id bigserial PRIMARY KEY,
                name text NOT NULL CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
                scope text NOT NULL CHECK (scope IN ('read', 'submit', 'admin')),
                sha256 text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
                created_at timestamptz NOT NULL DEFAULT now(),
                revoked_at timestamptz
            );
            CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
            """#)
}
