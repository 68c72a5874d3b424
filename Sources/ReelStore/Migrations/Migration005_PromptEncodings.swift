extension Migration {
    /// Prompts encoded on the farm's workers: one `prompt_encodings` row per job
    /// whose model has a real text encoder and whose embeddings were neither given
    /// nor cached, leased like a decode chunk (the same states, CHECKs and
    /// transitions), and `prompt_embeddings_cache`, which maps a model digest and
    /// prompt to the stored embeddings so the same prompt is encoded once per farm.
    ///
    /// `encoding` is always 0: a job has one encoding, but the shared lease SQL
    /// (``LeaseTable``) names every item by its job and key columns.
    static let promptEncodings = Migration(
        version: 5, name: "prompt encodings",
        sql: #"""
            CREATE TABLE prompt_encodings (
                job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                encoding int NOT NULL DEFAULT 0 CHECK (encoding = 0),
                prompt text NOT NULL,
                negative_prompt text,
                cache_key text NOT NULL CHECK (cache_key ~ '^[0-9a-f]{64}$'),
                state reel_shard_state NOT NULL DEFAULT 'ready',
                attempt int NOT NULL DEFAULT 0 CHECK (attempt >= 0),
                tries int NOT NULL DEFAULT 0 CHECK (tries >= 0),
                worker text,
                lease_expires_at_ms bigint,
                not_before_ms bigint,
                output_sha256 text CHECK (output_sha256 ~ '^[0-9a-f]{64}$'),
                negative_sha256 text CHECK (negative_sha256 ~ '^[0-9a-f]{64}$'),
                reason text,
                last_worker text,
                PRIMARY KEY (job_id, encoding),
                CONSTRAINT prompt_encodings_tries_within_attempts CHECK (tries <= attempt),
                CONSTRAINT prompt_encodings_leased_has_lease
                    CHECK (state <> 'leased' OR (worker IS NOT NULL AND lease_expires_at_ms IS NOT NULL)),
                CONSTRAINT prompt_encodings_lease_only_when_leased CHECK (lease_expires_at_ms IS NULL OR state = 'leased'),
                CONSTRAINT prompt_encodings_worker_only_when_held CHECK (worker IS NULL OR state IN ('leased', 'done')),
                CONSTRAINT prompt_encodings_done_has_output CHECK (state <> 'done' OR output_sha256 IS NOT NULL),
                CONSTRAINT prompt_encodings_done_has_negative_when_asked
                    CHECK (state <> 'done' OR (negative_sha256 IS NOT NULL) = (negative_prompt IS NOT NULL)),
                CONSTRAINT prompt_encodings_failed_has_reason CHECK (state <> 'failed' OR reason IS NOT NULL)
            );
            CREATE INDEX prompt_encodings_ready ON prompt_encodings (job_id) WHERE state = 'ready';
            CREATE INDEX prompt_encodings_leased ON prompt_encodings (lease_expires_at_ms) WHERE state = 'leased';
            CREATE INDEX prompt_encodings_by_worker ON prompt_encodings (worker) WHERE state = 'leased';
            CREATE TRIGGER prompt_encodings_attempt_never_decreases BEFORE UPDATE OF attempt ON prompt_encodings
                FOR EACH ROW EXECUTE FUNCTION reel_attempt_never_decreases();
            CREATE TRIGGER prompt_encodings_state_transition BEFORE UPDATE OF state ON prompt_encodings
                FOR EACH ROW EXECUTE FUNCTION reel_state_transition_allowed(
                    'job_id,encoding',
                    'ready>leased', 'ready>cancelled',
                    'leased>done', 'leased>ready', 'leased>failed', 'leased>cancelled',
                    'failed>ready', 'failed>cancelled');

            CREATE TABLE prompt_embeddings_cache (
                cache_key text PRIMARY KEY CHECK (cache_key ~ '^[0-9a-f]{64}$'),
                model text NOT NULL CHECK (model <> ''),
                prompt_embeds_sha256 text NOT NULL CHECK (prompt_embeds_sha256 ~ '^[0-9a-f]{64}$'),
                negative_embeds_sha256 text CHECK (negative_embeds_sha256 ~ '^[0-9a-f]{64}$'),
                created_at timestamptz NOT NULL DEFAULT now()
            );
            """#)
}
