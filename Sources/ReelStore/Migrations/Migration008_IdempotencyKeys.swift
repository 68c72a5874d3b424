extension Migration {
    /// The `Idempotency-Key` a submission came with: a client that retries a
    /// `POST /v1/jobs` whose answer it never got (a timeout, a dropped connection)
    /// gets the job it already created instead of a second one. Unique among the
    /// jobs that have one, so two submissions can never share a key.
    static let idempotencyKeys = Migration(
        version: 8, name: "idempotency keys",
        sql: #"""
            ALTER TABLE jobs ADD COLUMN idempotency_key text;
            ALTER TABLE jobs ADD CONSTRAINT jobs_idempotency_key_length CHECK (length(idempotency_key) BETWEEN 1 AND 255);
            CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
            """#)
}
