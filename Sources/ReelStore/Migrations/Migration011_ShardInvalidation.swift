extension Migration {
    /// Invalidation after a lost verification ballot (issue 14).
    ///
    /// When a worker is quarantined, its unchecked results and every shard blended
    /// from them are computed again: a done, leased or ready shard goes back to
    /// pending (``ShardStateMachine/invalidate()``). Migration 2's trigger refuses
    /// those moves, and still does for any ordinary update: they pass only when
    /// the same statement records an invalidation, `invalidations` going up by
    /// exactly one with a reason. So a bug that moves a done shard back without
    /// saying why still fails its statement.
    ///
    /// `verification_checks` holds the open checks (``ShardCheck``): the result
    /// under check, its fencing token and the digests voted so far, so a
    /// restarted coordinator keeps the checked shard's dependents waiting and
    /// re-runs it, instead of readying them from an unchecked output.
    static let shardInvalidation = Migration(
        version: 11, name: "shard invalidation and open checks",
        sql: #"""
            ALTER TABLE shards ADD COLUMN invalidations int NOT NULL DEFAULT 0 CONSTRAINT shards_invalidations_nonnegative CHECK (invalidations >= 0),
                ADD COLUMN invalidation_reason text,
                ADD CONSTRAINT shards_invalidation_has_reason CHECK ((invalidations = 0) = (invalidation_reason IS NULL));

            CREATE FUNCTION reel_shard_invalidation_counted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.invalidations <> OLD.invalidations + 1 THEN
                    RAISE EXCEPTION 'illegal invalidation on shards: job_id % region % block % may not go from % to % invalidations',
                        OLD.job_id, OLD.region, OLD.block, OLD.invalidations, NEW.invalidations
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END
            $$;

            DROP TRIGGER shards_state_transition ON shards;
            CREATE TRIGGER shards_state_transition BEFORE UPDATE OF state ON shards
                FOR EACH ROW WHEN (NEW.invalidations IS NOT DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_state_transition_allowed(
                    'job_id,region,block',
                    'pending>ready', 'pending>cancelled',
                    'ready>leased', 'ready>cancelled',
                    'leased>done', 'leased>ready', 'leased>failed', 'leased>cancelled',
                    'failed>pending', 'failed>cancelled');
            CREATE TRIGGER shards_invalidation_transition BEFORE UPDATE OF state, invalidations ON shards
                FOR EACH ROW WHEN (NEW.invalidations IS DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_state_transition_allowed(
                    'job_id,region,block',
                    'done>pending', 'leased>pending', 'ready>pending');
            CREATE TRIGGER shards_invalidation_counted BEFORE UPDATE OF invalidations ON shards
                FOR EACH ROW WHEN (NEW.invalidations IS DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_shard_invalidation_counted();

            CREATE TABLE verification_checks (
                job_id bigint NOT NULL,
                region int NOT NULL,
                block int NOT NULL,
                attempt int NOT NULL CHECK (attempt >= 0),
                workers text[] NOT NULL CONSTRAINT verification_checks_has_votes CHECK (cardinality(workers) >= 1),
                digests text[] NOT NULL CONSTRAINT verification_checks_votes_have_digests CHECK (cardinality(digests) = cardinality(workers)),
                stored text[] NOT NULL,
                PRIMARY KEY (job_id, region, block),
                FOREIGN KEY (job_id, region, block) REFERENCES shards (job_id, region, block) ON DELETE CASCADE
            )
            """#)
}
