extension Migration {
    /// The schema refuses state changes the farm never makes, as the CHECKs refuse
    /// rows it never writes: a bug (or a hand edit) that moves a done shard back to
    /// leased, or a succeeded job back to running, fails its statement instead of
    /// leaving state no state machine can be in.
    ///
    /// One trigger function serves every table: its first argument names the key
    /// columns (for the message), the others are the allowed `from>to` pairs. They
    /// are `JobState.Name.successors`, `ShardState.Name.shardSuccessors` and
    /// `decodeChunkSuccessors` written out (a store test checks every pair against
    /// them). Setting a state to itself is no change and always passes. Workers get
    /// no trigger: re-registering makes any worker active, and lost or gone is
    /// recorded over whatever the row holds, so every move is legal.
    static let stateTransitions = Migration(
        version: 2, name: "state transitions",
        sql: #"""
            CREATE FUNCTION reel_state_transition_allowed() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                row_key text;
            BEGIN
                IF NEW.state IS DISTINCT FROM OLD.state
                   AND NOT (OLD.state::text || '>' || NEW.state::text = ANY (TG_ARGV[1:TG_NARGS - 1])) THEN
                    SELECT string_agg(k.name || ' ' || coalesce(to_jsonb(OLD) ->> k.name, 'NULL'), ', ' ORDER BY k.n)
                    INTO row_key
                    FROM unnest(string_to_array(TG_ARGV[0], ',')) WITH ORDINALITY AS k(name, n);
                    RAISE EXCEPTION 'illegal state transition on %: % may not go from % to %',
                        TG_TABLE_NAME, row_key, OLD.state, NEW.state
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END
            $$;

            CREATE TRIGGER jobs_state_transition BEFORE UPDATE OF state ON jobs
                FOR EACH ROW EXECUTE FUNCTION reel_state_transition_allowed(
                    'id',
                    'queued>running', 'queued>failed', 'queued>cancelled',
                    'running>decoding', 'running>failed', 'running>cancelled',
                    'decoding>succeeded', 'decoding>failed', 'decoding>cancelled',
                    'failed>running', 'failed>cancelled');

            CREATE TRIGGER shards_state_transition BEFORE UPDATE OF state ON shards
                FOR EACH ROW EXECUTE FUNCTION reel_state_transition_allowed(
                    'job_id,region,block',
                    'pending>ready', 'pending>cancelled',
                    'ready>leased', 'ready>cancelled',
                    'leased>done', 'leased>ready', 'leased>failed', 'leased>cancelled',
                    'failed>pending', 'failed>cancelled');

            CREATE TRIGGER decode_chunks_state_transition BEFORE UPDATE OF state ON decode_chunks
                FOR EACH ROW EXECUTE FUNCTION reel_state_transition_allowed(
                    'job_id,chunk',
                    'ready>leased', 'ready>cancelled',
                    'leased>done', 'leased>ready', 'leased>failed', 'leased>cancelled',
                    'failed>ready', 'failed>cancelled');
            """#)
}
