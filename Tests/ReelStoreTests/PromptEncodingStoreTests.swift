import Foundation
import ReelPlan
import ReelStore
import Testing

/// A job whose prompt is encoded on a worker: its shards wait on one
/// `prompt_encodings` row, leased like any work; the commit stores the
/// embeddings on the job, readies the first block and fills the cache, and the
/// schema refuses rows and moves the state rules do not allow.
@Suite struct PromptEncodingStoreTests {
    static let lease = Duration.seconds(60)
    static let shards = [ShardID(region: 0, block: 0), ShardID(region: 1, block: 0), ShardID(region: 0, block: 1)]

    static func makeJob(_ store: FarmStore, negative: String? = "", key: String = sha(40), model: String = "tiny") throws -> Int64 {
        try store.createJob(
            name: "encode", model: model, spec: "{}", shards: shards,
            encoding: PromptEncodingRequest(prompt: "a fox", negativePrompt: negative, cacheKey: key))
    }

    static func claim(_ store: FarmStore, _ worker: String, models: [String] = ["tiny"], now: Timestamp = t0) throws -> [PromptEncodingRow] {
        try store.claimPromptEncodings(worker: worker, models: models, limit: 4, now: now, leaseDuration: lease, maxTries: 3)
    }

    @Test func theShardsWaitUntilTheEncodingCommits() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store)
        let job = try #require(try store.job(id: id))
        #expect(job.state == .running && job.promptEmbedsSHA == nil)
        #expect(try store.shardCounts(job: id)[.pending] == 3)
        #expect(try store.claimShards(worker: "w1", limit: 4, now: t0, leaseDuration: Self.lease, maxTries: 3).isEmpty)
        // Only for the job's model.
        #expect(try Self.claim(store, "w1", models: ["other"]).isEmpty)

        let claimed = try Self.claim(store, "w1")
        #expect(claimed.count == 1)
        let row = try #require(claimed.first)
        #expect(row.job == id && row.prompt == "a fox" && row.negativePrompt == "" && row.status.attempt == 1 && row.status.worker == "w1")
        #expect(try Self.claim(store, "w2").isEmpty)

        // A stale attempt changes nothing, its events included.
        let note: (kind: EventKind, detail: String) = (kind: "prompt.truncated", detail: "the prompt has 515 tokens with </s>")
        #expect(try !store.completePromptEncoding(
            job: id, attempt: 9, worker: "w1", model: "tiny", promptSHA: sha(1), negativeSHA: sha(2), readyShards: Self.shards.filter { $0.block == 0 },
            events: [note]))
        #expect(try store.job(id: id)?.promptEmbedsSHA == nil)
        #expect(try store.events(job: id).allSatisfy { $0.kind != "prompt.truncated" })

        // The commit writes its events in the same transaction, so no kill between them loses one.
        #expect(try store.completePromptEncoding(
            job: id, attempt: 1, worker: "w1", model: "tiny", promptSHA: sha(1), negativeSHA: sha(2), readyShards: Self.shards.filter { $0.block == 0 },
            events: [note]))
        let notes = try store.events(job: id).filter { $0.kind == "prompt.truncated" }
        #expect(notes.count == 1 && notes.first?.detail == note.detail && notes.first?.worker == "w1", "\(notes)")
        let done = try #require(try store.job(id: id))
        #expect(done.promptEmbedsSHA == sha(1) && done.negativeEmbedsSHA == sha(2))
        #expect(try store.shardCounts(job: id)[.ready] == 2 && store.shardCounts(job: id)[.pending] == 1)
        let encoding = try #require(try store.promptEncoding(job: id))
        #expect(encoding.status.state == .done && encoding.status.outputSHA == sha(1) && encoding.negativeSHA == sha(2))
        #expect(try store.cachedEmbeddings(key: sha(40)) == CachedEmbeddings(promptSHA: sha(1), negativeSHA: sha(2)))
        #expect(try store.cachedEmbeddings(key: sha(41)) == nil)
        try store.forgetCachedEmbeddings(key: sha(40))
        #expect(try store.cachedEmbeddings(key: sha(40)) == nil)
    }

    @Test func aFailedEncodingIsRetriedThenFailsItsJobAndARetryResetsIt() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, negative: nil)
        var now = t0
        for attempt in 1 ... 2 {
            let row = try #require(try Self.claim(store, "w\(attempt)", now: now).first)
            #expect(row.status.attempt == attempt)
            now = now.advanced(by: .seconds(1))
            #expect(try store.failPromptEncoding(job: id, attempt: attempt, worker: "w\(attempt)", reason: "out of memory", notBefore: now))
        }
        let last = try #require(try Self.claim(store, "w3", now: now).first)
        #expect(try store.failPromptEncodingForGood(job: id, attempt: last.status.attempt, worker: "w3", reason: "out of memory"))
        #expect(try store.job(id: id)?.state == .failed)
        #expect(try store.promptEncoding(job: id)?.status.state == .failed)

        #expect(try store.retryJob(id: id) != nil)
        let reset = try #require(try store.promptEncoding(job: id))
        #expect(reset.status.state == .ready && reset.status.tries == 0 && reset.status.attempt == 3)
        #expect(try Self.claim(store, "w4", now: now).first?.status.attempt == 4)
        // Cancelling revokes the lease like any other.
        let revoked = try #require(try store.cancelJob(id: id))
        #expect(revoked.map(\.item) == [.promptEncoding] && revoked.first?.worker == "w4")
    }

    @Test func theSchemaRefusesBrokenEncodings() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store)
        // Done needs the output, and the negative embeddings when a negative prompt was asked for.
        _ = try #require(try Self.claim(store, "w1").first)
        let missingNegative = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE prompt_encodings SET state = 'done', lease_expires_at_ms = NULL, output_sha256 = $2 WHERE job_id = $1",
                [.int64(id), .text(sha(1))])
        }
        if case .server(_, _, _, _, let violated)? = missingNegative { #expect(violated == "prompt_encodings_done_has_negative_when_asked") }
        // Ready may not jump to done (migration 5's transition trigger).
        let other = try Self.makeJob(store, key: sha(42))
        let jump = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE prompt_encodings SET state = 'done', output_sha256 = $2, negative_sha256 = $2 WHERE job_id = $1",
                [.int64(other), .text(sha(1))])
        }
        if case .server(_, _, let message, _, _)? = jump { #expect(message.contains("may not go from ready to done")) }
        // A job has one encoding.
        _ = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "INSERT INTO prompt_encodings (job_id, encoding, prompt, cache_key) VALUES ($1, 1, 'x', $2)", [.int64(id), .text(sha(3))])
        }
    }
}
