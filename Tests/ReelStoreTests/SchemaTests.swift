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

    /// A job with one ready shard, for raw updates against the constraints.
    private func job(_ store: FarmStore) throws -> Int64 {
        let shard = ShardID(region: 0, block: 0)
        return try store.createJob(
            name: "j", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil,
            shards: [shard], readyShards: [shard])
    }

    // Rows that break a CHECK through a legal move (migration 2 refuses the others
    // first): done and failed from a leased shard, the rest from the ready one.
    @Test(arguments: [
        ("state = 'done', lease_expires_at_ms = NULL", "shards_done_has_output", true),
        ("state = 'leased'", "shards_leased_has_lease", false),
        ("state = 'failed', worker = NULL, lease_expires_at_ms = NULL", "shards_failed_has_reason", true),
        ("output_sha256 = 'ABC'", "shards_output_sha256_check", false),
        ("tries = 1", "shards_tries_within_attempts", false),
        ("block = -1", "shards_block_check", false),
        ("lease_expires_at_ms = 5", "shards_lease_only_when_leased", false),
    ])
    func shardChecksRejectBadRows(_ assignment: String, _ constraint: String, leased: Bool) throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try job(store)
        if leased {
            _ = try #require(try store.claimShards(worker: "w1", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        }
        let error = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE shards SET \(assignment) WHERE job_id = $1", [.int64(id)])
        }
        guard case .server(_, _, _, _, let violated)? = error else { return }
        #expect(violated == constraint)
    }

    // Succeeded only follows decoding (migration 2), so that one starts from a decoding job.
    @Test(arguments: [
        ("state = 'succeeded', finished_at = now()", "jobs_succeeded_has_outputs", true),
        ("state = 'failed', finished_at = now()", "jobs_failed_has_reason", false),
        ("state = 'cancelled'", "jobs_finished_at_when_stopped", false),
        ("run = 0", "jobs_started_has_run", false),
        ("latents_sha256 = 'not-a-digest'", "jobs_latents_sha256_check", false),
    ])
    func jobChecksRejectBadRows(_ assignment: String, _ constraint: String, decoding: Bool) throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try job(store)
        if decoding { #expect(try store.setJobState(id: id, to: .decoding, from: [.running])) }
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
