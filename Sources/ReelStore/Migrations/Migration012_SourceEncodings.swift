extension Migration {
    /// Conditioning sources (images, videos) VAE-encoded on the farm's workers
    /// (issue 16): one `source_encodings` row per conditioning item of a job
    /// (`encoding` is the item's index in the job's canonical conditioning list),
    /// leased like a prompt encoding (the same states, CHECKs and transitions), and
    /// `source_latents_cache`, which maps a cache key (source digest, model digest,
    /// conformed size, fit, frame range and fps) to the stored latents, so a second
    /// job with the same source creates no work: its row is created done.
    ///
    /// The source's bytes are a blob named by `source_sha256`; the latents a blob
    /// named by `output_sha256` (`[C, t, h, w]` float32, normalized as the
    /// transformer sees them).
    static let sourceEncodings = Migration(
        version: 12, name: "source encodings",
        sql: #"""
            CREATE TABLE source_encodings (
                job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                encoding int NOT NULL CHECK (encoding >= 0 AND encoding < 64),
                source_sha256 text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
                cache_key text NOT NULL CHECK (cache_key ~ '^[0-9a-f]{64}$'),
                state reel_shard_state NOT NULL DEFAULT 'ready',
                attempt int NOT NULL DEFAULT 0 CHECK (attempt >= 0),
                tries int NOT NULL DEFAULT 0 CHECK (tries >= 0),
                worker text,
                lease_expires_at_ms bigint,
                not_before_ms bigint,
                output_sha256 text CHECK (output_sha256 ~ '^[0-9a-f]{64}$'),
                reason text,
                last_worker text,
                leased_at_ms bigint,
                compute_ms bigint CONSTRAINT source_encodings_compute_when_done CHECK (compute_ms IS NULL OR (compute_ms >= 0 AND state = 'done')),
                PRIMARY KEY (job_id, encoding),
                CONSTRAINT source_encodings_tries_within_attempts CHECK (tries <= attempt),
                CONSTRAINT source_encodings_leased_has_lease
                    CHECK (state <> 'leased' OR (worker IS NOT NULL AND lease_expires_at_ms IS NOT NULL)),
                CONSTRAINT source_encodings_lease_only_when_leased CHECK (lease_expires_at_ms IS NULL OR state = 'leased'),
                CONSTRAINT source_encodings_worker_only_when_held CHECK (worker IS NULL OR state IN ('leased', 'done')),
                CONSTRAINT source_encodings_done_has_output CHECK (state <> 'done' OR output_sha256 IS NOT NULL),
                CONSTRAINT source_encodings_failed_has_reason CHECK (state <> 'failed' OR reason IS NOT NULL)
            );
            CREATE INDEX source_encodings_ready ON source_encodings (job_id) WHERE state = 'ready';
            CREATE INDEX source_encodings_leased ON source_encodings (lease_expires_at_ms) WHERE state = 'leased';
            CREATE INDEX source_encodings_by_worker ON source_encodings (worker) WHERE state = 'leased';
            CREATE TRIGGER source_encodings_attempt_never_decreases BEFORE UPDATE OF attempt ON source_encodings
                FOR EACH ROW EXECUTE FUNCTION reel_attempt_never_decreases();
            CREATE TRIGGER source_encodings_state_transition BEFORE UPDATE OF state ON source_encodings
                FOR EACH ROW EXECUTE FUNCTION reel_state_transition_allowed(
                    'job_id,encoding',
                    'ready>leased', 'ready>cancelled',
                    'leased>done', 'leased>ready', 'leased>failed', 'leased>cancelled',
                    'failed>ready', 'failed>cancelled');

            CREATE TABLE source_latents_cache (
                cache_key text PRIMARY KEY CHECK (cache_key ~ '^[0-9a-f]{64}$'),
                model text NOT NULL CHECK (model <> ''),
                source_sha256 text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
                latents_sha256 text NOT NULL CHECK (latents_sha256 ~ '^[0-9a-f]{64}$'),
                created_at timestamptz NOT NULL DEFAULT now()
            );
            """#)
}
