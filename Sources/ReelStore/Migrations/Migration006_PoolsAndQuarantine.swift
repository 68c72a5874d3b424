extension Migration {
    /// Pools and quarantine (issue 14).
    ///
    /// A worker belongs to pools (`reel worker --pool NAME`, stored at each
    /// registration) and a job may require one (the `pool` field of the request in its spec,
    /// stored as a generated column so the claim statement reads a plain column
    /// and no insert can set one without the other). A quarantined worker (one
    /// whose result lost a verification ballot) carries when and why; the claim
    /// never leases to it, and only an operator clears it (`reel workers release`).
    static let poolsAndQuarantine = Migration(
        version: 6, name: "pools and quarantine",
        sql: #"""
            ALTER TABLE workers ADD COLUMN pools text[] NOT NULL DEFAULT '{}'
                CONSTRAINT workers_pool_names CHECK (array_position(pools, '') IS NULL AND array_position(pools, NULL) IS NULL);
            ALTER TABLE workers ADD COLUMN quarantined_at timestamptz;
            ALTER TABLE workers ADD COLUMN quarantine_reason text;
            ALTER TABLE workers ADD CONSTRAINT workers_quarantine_has_reason
                CHECK ((quarantined_at IS NULL) = (quarantine_reason IS NULL));
            ALTER TABLE jobs ADD COLUMN pool text GENERATED ALWAYS AS (spec #>> '{request,pool}') STORED
                CONSTRAINT jobs_pool_name CHECK (pool <> '');
            CREATE INDEX jobs_by_pool ON jobs (pool) WHERE pool IS NOT NULL
            """#)
}
