extension Migration {
    /// Jobs, shards, decode chunks, workers, per-worker failure counts and the event
    /// log. The enums' labels are `JobState.Name`, `ShardState.Name` and
    /// ``WorkerStateName`` raw values (a test compares them); the CHECKs and triggers
    /// make the database itself refuse rows that break the state rules.
    static let farmSchema = Migration(
        version: 1, name: "farm",
        sql: #"""
            CREATE TYPE reel_job_state AS ENUM ('queued', 'running', 'decoding', 'succeeded', 'failed', 'cancelled');
            CREATE TYPE reel_shard_state AS ENUM ('pending', 'ready', 'leased', 'done', 'failed', 'cancelled');
            CREATE TYPE reel_worker_state AS ENUM ('active', 'draining', 'lost', 'gone');

            CREATE TABLE jobs (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name text NOT NULL,
                model text NOT NULL CHECK (model <> ''),
                spec jsonb NOT NULL,
                prompt_embeds_sha256 text CHECK (prompt_embeds_sha256 ~ '^[0-9a-f]{64}$'),
                negative_embeds_sha256 text CHECK (negative_embeds_sha256 ~ '^[0-9a-f]{64}$'),
                state reel_job_state NOT NULL DEFAULT 'queued',
                run int NOT NULL DEFAULT 0 CHECK (run >= 0),
                priority int NOT NULL DEFAULT 0,
                reason text,
                latents_sha256 text CHECK (latents_sha256 ~ '^[0-9a-f]{64}$'),
                output_sha256 text CHECK (output_sha256 ~ '^[0-9a-f]{64}$'),
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                finished_at timestamptz,
                CONSTRAINT jobs_succeeded_has_outputs
                    CHECK (state <> 'succeeded' OR (latents_sha256 IS NOT NULL AND output_sha256 IS NOT NULL)),
                CONSTRAINT jobs_failed_has_reason CHECK (state <> 'failed' OR reason IS NOT NULL),
                CONSTRAINT jobs_started_has_run CHECK (state NOT IN ('running', 'decoding') OR run >= 1),
                CONSTRAINT jobs_finished_at_when_stopped
                    CHECK ((finished_at IS NOT NULL) = (state IN ('succeeded', 'failed', 'cancelled')))
            );
            CREATE INDEX jobs_by_state ON jobs (state, priority DESC, id);

            CREATE TABLE shards (
                job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                region int NOT NULL CHECK (region >= 0),
                block int NOT NULL CHECK (block >= 0),
                state reel_shard_state NOT NULL DEFAULT 'pending',
                attempt int NOT NULL DEFAULT 0 CHECK (attempt >= 0),
                tries int NOT NULL DEFAULT 0 CHECK (tries >= 0),
                worker text,
                lease_expires_at_ms bigint,
                not_before_ms bigint,
                output_sha256 text CHECK (output_sha256 ~ '^[0-9a-f]{64}$'),
                reason text,
                last_worker text,
                PRIMARY KEY (job_id, region, block),
                CONSTRAINT shards_tries_within_attempts CHECK (tries <= attempt),
                CONSTRAINT shards_leased_has_lease
                    CHECK (state <> 'leased' OR (worker IS NOT NULL AND lease_expires_at_ms IS NOT NULL)),
                CONSTRAINT shards_lease_only_when_leased CHECK (lease_expires_at_ms IS NULL OR state = 'leased'),
                CONSTRAINT shards_worker_only_when_held CHECK (worker IS NULL OR state IN ('leased', 'done')),
                CONSTRAINT shards_done_has_output CHECK (state <> 'done' OR output_sha256 IS NOT NULL),
                CONSTRAINT shards_failed_has_reason CHECK (state <> 'failed' OR reason IS NOT NULL)
            );
            -- The dispatch query scans only ready shards, in this order within a job.
            CREATE INDEX shards_ready ON shards (job_id, block, region) WHERE state = 'ready';
            CREATE INDEX shards_leased ON shards (lease_expires_at_ms) WHERE state = 'leased';
            CREATE INDEX shards_by_worker ON shards (worker) WHERE state = 'leased';

            CREATE TABLE decode_chunks (
                job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                chunk int NOT NULL CHECK (chunk >= 0),
                frame_begin int NOT NULL CHECK (frame_begin >= 0),
                frame_end int NOT NULL,
                warmup int NOT NULL DEFAULT 0 CHECK (warmup >= 0),
                state reel_shard_state NOT NULL DEFAULT 'ready',
                attempt int NOT NULL DEFAULT 0 CHECK (attempt >= 0),
                tries int NOT NULL DEFAULT 0 CHECK (tries >= 0),
                worker text,
                lease_expires_at_ms bigint,
                not_before_ms bigint,
                output_sha256 text CHECK (output_sha256 ~ '^[0-9a-f]{64}$'),
                reason text,
                last_worker text,
                PRIMARY KEY (job_id, chunk),
                CONSTRAINT decode_chunks_frames_nonempty CHECK (frame_end > frame_begin),
                CONSTRAINT decode_chunks_tries_within_attempts CHECK (tries <= attempt),
                CONSTRAINT decode_chunks_leased_has_lease
                    CHECK (state <> 'leased' OR (worker IS NOT NULL AND lease_expires_at_ms IS NOT NULL)),
                CONSTRAINT decode_chunks_lease_only_when_leased CHECK (lease_expires_at_ms IS NULL OR state = 'leased'),
                CONSTRAINT decode_chunks_worker_only_when_held CHECK (worker IS NULL OR state IN ('leased', 'done')),
                CONSTRAINT decode_chunks_done_has_output CHECK (state <> 'done' OR output_sha256 IS NOT NULL),
                CONSTRAINT decode_chunks_failed_has_reason CHECK (state <> 'failed' OR reason IS NOT NULL)
            );
            CREATE INDEX decode_chunks_ready ON decode_chunks (job_id, chunk) WHERE state = 'ready';
            CREATE INDEX decode_chunks_leased ON decode_chunks (lease_expires_at_ms) WHERE state = 'leased';
            CREATE INDEX decode_chunks_by_worker ON decode_chunks (worker) WHERE state = 'leased';

            -- attempt is the fencing token sent with every lease: if it could go back,
            -- a stale worker's result could match a newer lease.
            CREATE FUNCTION reel_attempt_never_decreases() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.attempt < OLD.attempt THEN
                    RAISE EXCEPTION 'attempt of a % row of job % may not decrease (% to %)',
                        TG_TABLE_NAME, OLD.job_id, OLD.attempt, NEW.attempt
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER shards_attempt_never_decreases BEFORE UPDATE OF attempt ON shards
                FOR EACH ROW EXECUTE FUNCTION reel_attempt_never_decreases();
            CREATE TRIGGER decode_chunks_attempt_never_decreases BEFORE UPDATE OF attempt ON decode_chunks
                FOR EACH ROW EXECUTE FUNCTION reel_attempt_never_decreases();

            CREATE TABLE workers (
                name text PRIMARY KEY CHECK (name <> ''),
                host text NOT NULL,
                cores int NOT NULL CHECK (cores >= 1),
                threads int NOT NULL CHECK (threads >= 1),
                slots int NOT NULL CHECK (slots >= 1),
                models text[] NOT NULL DEFAULT '{}',
                state reel_worker_state NOT NULL DEFAULT 'active',
                registered_at timestamptz NOT NULL DEFAULT now(),
                last_seen_at timestamptz NOT NULL DEFAULT now()
            );

            -- A worker is kept off a job once its failures reach the blocklist threshold.
            CREATE TABLE worker_job_failures (
                job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                worker text NOT NULL,
                failures int NOT NULL CHECK (failures >= 1),
                PRIMARY KEY (job_id, worker)
            );

            CREATE TABLE events (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at timestamptz NOT NULL DEFAULT now(),
                job_id bigint REFERENCES jobs (id) ON DELETE CASCADE,
                region int,
                block int,
                worker text,
                kind text NOT NULL CHECK (kind <> ''),
                detail text,
                CONSTRAINT events_shard_complete CHECK ((region IS NULL) = (block IS NULL))
            );
            CREATE INDEX events_by_job ON events (job_id, id);

            -- The log is history: rows may be pruned but never rewritten.
            CREATE FUNCTION reel_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events is append-only; event % cannot be updated', OLD.id
                    USING ERRCODE = 'prohibited_sql_statement_attempted';
            END
            $$;
            CREATE TRIGGER events_append_only BEFORE UPDATE ON events
                FOR EACH ROW EXECUTE FUNCTION reel_events_append_only();
            """#)
}
