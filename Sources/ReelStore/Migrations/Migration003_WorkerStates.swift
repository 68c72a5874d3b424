extension Migration {
    /// Drops the worker state `draining`, which nothing ever wrote: a worker drains
    /// by itself on SIGTERM and then says goodbye (recorded as `gone`), and the
    /// coordinator never tells one to drain. PostgreSQL cannot remove a label from
    /// an enum in place, so the type is made again without it. The workers table is
    /// one row per worker, so rewriting its column costs nothing. A row a person set
    /// to draining by hand becomes lost, which its next hello makes active.
    static let workerStates = Migration(
        version: 3, name: "worker states",
        sql: #"""
            ALTER TYPE reel_worker_state RENAME TO reel_worker_state_old;
            CREATE TYPE reel_worker_state AS ENUM ('active', 'lost', 'gone');
            ALTER TABLE workers ALTER COLUMN state DROP DEFAULT;
            ALTER TABLE workers ALTER COLUMN state TYPE reel_worker_state
                USING (CASE WHEN state::text = 'draining' THEN 'lost' ELSE state::text END)::reel_worker_state;
            ALTER TABLE workers ALTER COLUMN state SET DEFAULT 'active';
            DROP TYPE reel_worker_state_old;
            """#)
}
