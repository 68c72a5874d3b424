import ReelPlan
import ReelStore
import Testing

/// The schema itself refuses rows that break the state rules.
@Suite struct SchemaTests {
    private func labels(_ type: String, _ connection: PostgresConnection) throws -> [String] {
        try connection.execute("SELECT unnest(enum_range(NULL::\(type)))::text AS label").map {
            row throws(StoreError) in try row.get("label", as: String.self)
        }
    }

    @Test func enumsMirrorSwift() throws {
        let (store, _) = try TestDatabase.freshFarm()
        #expect(try labels("reel_job_state", store.connection) == JobState.Name.allCases.map(\.rawValue))
        #expect(try labels("reel_shard_state", store.connection) == ShardState.Name.allCases.map(\.rawValue))
        #expect(try labels("reel_worker_state", store.connection) == WorkerStateName.allCases.map(\.rawValue))
    }

    /// A job with one shard, for raw updates against the constraints.
    private func job(_ store: FarmStore) throws -> Int64 {
        try store.createJob(
            name: "j", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil,
            shards: [ShardID(region: 0, block: 0)], readyShards: [])
    }

    @Test(arguments: [
        ("state = 'done'", "shards_done_has_output"),
        ("state = 'leased'", "shards_leased_has_lease"),
        ("state = 'failed'", "shards_failed_has_reason"),
        ("output_sha256 = 'ABC'", "shards_output_sha256_check"),
        ("tries = 1", "shards_tries_within_attempts"),
        ("block = -1", "shards_block_check"),
        ("lease_expires_at_ms = 5", "shards_lease_only_when_leased"),
    ])
    func shardChecksRejectBadRows(_ assignment: String, _ constraint: String) throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try job(store)
        let error = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE shards SET \(assignment) WHERE job_id = $1", [.int64(id)])
        }
        guard case .server(_, _, _, _, let violated)? = error else { return }
        #expect(violated == constraint)
    }

    @Test(arguments: [
        ("state = 'succeeded', finished_at = now()", "jobs_succeeded_has_outputs"),
        ("state = 'failed', finished_at = now()", "jobs_failed_has_reason"),
        ("state = 'cancelled'", "jobs_finished_at_when_stopped"),
        ("run = 0", "jobs_started_has_run"),
        ("latents_sha256 = 'not-a-digest'", "jobs_latents_sha256_check"),
    ])
    func jobChecksRejectBadRows(_ assignment: String, _ constraint: String) throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try job(store)
        let error = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE jobs SET \(assignment) WHERE id = $1", [.int64(id)])
        }
        guard case .server(_, _, _, _, let violated)? = error else { return }
        #expect(violated == constraint)
    }

    @Test func attemptNeverDecreases() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try job(store)
        try store.connection.execute("UPDATE shards SET attempt = 3 WHERE job_id = $1", [.int64(id)])
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE shards SET attempt = 2 WHERE job_id = $1", [.int64(id)])
        }
        let attempt: Int = try store.shards(job: id)[0].status.attempt
        #expect(attempt == 3)
    }

    @Test func eventsAreAppendOnly() throws {
        let (store, _) = try TestDatabase.freshFarm()
        try store.appendEvent(kind: "note", detail: "first")
        expectServerError("2F003") { () throws(StoreError) in
            try store.connection.execute("UPDATE events SET detail = 'rewritten'")
        }
        #expect(try store.events().map(\.detail) == ["first"])
    }

    @Test func decodeChunkFramesMustBeNonEmpty() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try job(store)
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "INSERT INTO decode_chunks (job_id, chunk, frame_begin, frame_end) VALUES ($1, 0, 4, 4)", [.int64(id)])
        }
    }
}
