extension Migration {
    /// Invalidation reaching a job whose final blend or decode has started (issue 14).
    ///
    /// When a lost ballot's cone reaches the last block of a decoding job, its
    /// blended latents and every decode chunk cut from them are wrong: the job goes
    /// back from decoding to running (`latents_sha256` cleared) and each chunk back
    /// to ready with its segment and preview cleared, to be decoded again once the
    /// redone shards are blended. Migration 2's triggers refuse these moves, and
    /// still do for any ordinary update: as migration 11 does for shards, they pass
    /// only when the same statement records an invalidation (`invalidations` up by
    /// exactly one, with a reason). A chunk keeps its `attempt` (the fencing token
    /// never goes back), so a segment from a lease of the abandoned decode is stale.
    ///
    /// `shards.confirmed` records that a check confirmed the shard's result (a
    /// re-run agreed, or a ballot decided it): such a result is not invalidated when
    /// its worker later loses a ballot, and a restarted coordinator must know it.
    /// Only a done shard is confirmed; an invalidation clears it.
    static let decodeInvalidation = Migration(
        version: 13, name: "decode invalidation and confirmed results",
        sql: #"""
            CREATE FUNCTION reel_invalidation_counted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.invalidations <> OLD.invalidations + 1 THEN
                    RAISE EXCEPTION 'illegal invalidation on %: % may not go from % to % invalidations',
                        TG_TABLE_NAME, TG_ARGV[0], OLD.invalidations, NEW.invalidations
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END
            $$;

            ALTER TABLE jobs ADD COLUMN invalidations int NOT NULL DEFAULT 0 CONSTRAINT jobs_invalidations_nonnegative CHECK (invalidations >= 0),
                ADD COLUMN invalidation_reason text,
                ADD CONSTRAINT jobs_invalidation_has_reason CHECK ((invalidations = 0) = (invalidation_reason IS NULL));
            DROP TRIGGER jobs_state_transition ON jobs;
            CREATE TRIGGER jobs_state_transition BEFORE UPDATE OF state ON jobs
                FOR EACH ROW WHEN (NEW.invalidations IS NOT DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_state_transition_allowed(
                    'id',
                    'queued>running', 'queued>failed', 'queued>cancelled',
                    'running>decoding', 'running>failed', 'running>cancelled',
                    'decoding>succeeded', 'decoding>failed', 'decoding>cancelled',
                    'failed>running', 'failed>cancelled');
            CREATE TRIGGER jobs_invalidation_transition BEFORE UPDATE OF state, invalidations ON jobs
                FOR EACH ROW WHEN (NEW.invalidations IS DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_state_transition_allowed('id', 'decoding>running');
            CREATE TRIGGER jobs_invalidation_counted BEFORE UPDATE OF invalidations ON jobs
                FOR EACH ROW WHEN (NEW.invalidations IS DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_invalidation_counted('a job');

            ALTER TABLE decode_chunks ADD COLUMN invalidations int NOT NULL DEFAULT 0
                    CONSTRAINT decode_chunks_invalidations_nonnegative CHECK (invalidations >= 0),
                ADD COLUMN invalidation_reason text,
                ADD CONSTRAINT decode_chunks_invalidation_has_reason CHECK ((invalidations = 0) = (invalidation_reason IS NULL));
            DROP TRIGGER decode_chunks_state_transition ON decode_chunks;
            CREATE TRIGGER decode_chunks_state_transition BEFORE UPDATE OF state ON decode_chunks
                FOR EACH ROW WHEN (NEW.invalidations IS NOT DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_state_transition_allowed(
                    'job_id,chunk',
                    'ready>leased', 'ready>cancelled',
                    'leased>done', 'leased>ready', 'leased>failed', 'leased>cancelled',
                    'failed>ready', 'failed>cancelled');
            CREATE TRIGGER decode_chunks_invalidation_transition BEFORE UPDATE OF state, invalidations ON decode_chunks
                FOR EACH ROW WHEN (NEW.invalidations IS DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_state_transition_allowed('job_id,chunk', 'done>ready', 'leased>ready', 'failed>ready');
            CREATE TRIGGER decode_chunks_invalidation_counted BEFORE UPDATE OF invalidations ON decode_chunks
                FOR EACH ROW WHEN (NEW.invalidations IS DISTINCT FROM OLD.invalidations)
                EXECUTE FUNCTION reel_invalidation_counted('a decode chunk');

            ALTER TABLE shards ADD COLUMN confirmed boolean NOT NULL DEFAULT false,
                ADD CONSTRAINT shards_confirmed_when_done CHECK (NOT confirmed OR state = 'done');
            """#)
}
