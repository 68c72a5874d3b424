extension Migration {
    /// When a finished job's blobs were deleted under the operator's retention
    /// policy (`--keep-results-days`): its row stays, so `reel status` can say the
    /// job ran and that its video is gone, and why, rather than point at a file
    /// that no longer exists. Only a finished job can expire.
    static let resultRetention = Migration(
        version: 4, name: "result retention",
        sql: #"""
            ALTER TABLE jobs ADD COLUMN expired_at timestamptz;
            ALTER TABLE jobs ADD CONSTRAINT jobs_expired_when_finished
                CHECK (expired_at IS NULL OR (finished_at IS NOT NULL AND state IN ('succeeded', 'failed', 'cancelled')));
            CREATE INDEX jobs_expiry ON jobs (finished_at) WHERE expired_at IS NULL AND finished_at IS NOT NULL;
            """#)
}
