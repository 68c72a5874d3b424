extension Migration {
    /// When each work item's current lease began (on the database's clock, one
    /// clock whichever coordinator wrote it) and how long its stored result's
    /// worker computed (the worker's own count, from its result's timings), so a
    /// job's history can say how long it queued and what compute it took
    /// (``FarmStore/history(job:)``). Lease-to-result time would not do: a worker
    /// holds a prefetched lease while it computes another, and a finished result
    /// until the coordinator pulls it.
    static let workItemTimes = Migration(
        version: 9, name: "work item times",
        sql: #"""
            ALTER TABLE shards ADD COLUMN leased_at_ms bigint,
                ADD COLUMN compute_ms bigint CONSTRAINT shards_compute_when_done CHECK (compute_ms IS NULL OR (compute_ms >= 0 AND state = 'done'));
            ALTER TABLE decode_chunks ADD COLUMN leased_at_ms bigint,
                ADD COLUMN compute_ms bigint CONSTRAINT decode_chunks_compute_when_done CHECK (compute_ms IS NULL OR (compute_ms >= 0 AND state = 'done'));
            ALTER TABLE prompt_encodings ADD COLUMN leased_at_ms bigint,
                ADD COLUMN compute_ms bigint CONSTRAINT prompt_encodings_compute_when_done CHECK (compute_ms IS NULL OR (compute_ms >= 0 AND state = 'done'));
            """#)
}
