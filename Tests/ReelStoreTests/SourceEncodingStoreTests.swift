import Foundation
import ReelPlan
import ReelStore
import Testing

/// A job with conditioning sources: one `source_encodings` row per source, leased
/// like any work; the shards wait until the last encoding (prompt or source)
/// commits; a cached source is created done and makes no work; the schema
/// refuses what the state rules do not allow.
@Suite struct SourceEncodingStoreTests {
    static let lease = Duration.seconds(60)
    static let shards = [ShardID(region: 0, block: 0), ShardID(region: 1, block: 0), ShardID(region: 0, block: 1)]
    static let first = shards.filter { $0.block == 0 }

    static func makeJob(
        _ store: FarmStore, sources: [SourceEncodingRequest], prompt: PromptEncodingRequest? = nil
    ) throws -> Int64 {
        try store.createJob(
            name: "i2v", model: "tiny", spec: "{}", promptEmbedsSHA: prompt == nil ? sha(30) : nil, negativeEmbedsSHA: nil,
            shards: shards, firstShards: first, promptEncoding: prompt, sources: sources)
    }

    static func claim(_ store: FarmStore, _ worker: String, models: [String] = ["tiny"], now: Timestamp = t0) throws -> [SourceEncodingRow] {
        try store.claimSourceEncodings(worker: worker, models: models, limit: 4, now: now, leaseDuration: lease, maxTries: 3)
    }

    @Test func theShardsWaitForEverySourceAndTheCacheMakesASecondJobFree() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(
            store, sources: [SourceEncodingRequest(encoding: 0, sourceSHA: sha(1), cacheKey: sha(11)),
                             SourceEncodingRequest(encoding: 1, sourceSHA: sha(2), cacheKey: sha(12))])
        #expect(try store.shardCounts(job: id)[.pending] == 3)
        #expect(try Self.claim(store, "w1", models: ["other"]).isEmpty)
        // Two workers claim concurrently-safe disjoint rows: one each with limit 1.
        let a = try store.claimSourceEncodings(worker: "w1", models: ["tiny"], limit: 1, now: t0, leaseDuration: Self.lease, maxTries: 3)
        let b = try store.claimSourceEncodings(worker: "w2", models: ["tiny"], limit: 1, now: t0, leaseDuration: Self.lease, maxTries: 3)
        #expect(a.map(\.encoding) == [0] && b.map(\.encoding) == [1])
        #expect(a.first?.sourceSHA == sha(1) && a.first?.cacheKey == sha(11) && a.first?.status.attempt == 1)

        // A stale attempt changes nothing.
        #expect(try !store.completeSourceEncoding(job: id, encoding: 0, attempt: 7, worker: "w1", model: "tiny", latentsSHA: sha(21), firstShards: Self.first))
        #expect(try store.completeSourceEncoding(job: id, encoding: 0, attempt: 1, worker: "w1", model: "tiny", latentsSHA: sha(21), firstShards: Self.first))
        #expect(try store.shardCounts(job: id)[.pending] == 3, "one source is still encoding")
        #expect(try store.completeSourceEncoding(
            job: id, encoding: 1, attempt: 1, worker: "w2", model: "tiny", latentsSHA: sha(22), computeMilliseconds: 40, firstShards: Self.first))
        #expect(try store.shardCounts(job: id)[.ready] == 2 && store.shardCounts(job: id)[.pending] == 1)
        #expect(try store.sourceEncodings(job: id).map(\.status.outputSHA) == [sha(21), sha(22)])
        #expect(try store.cachedSourceLatents(key: sha(11)) == sha(21) && store.cachedSourceLatents(key: sha(12)) == sha(22))

        // A second job with the same sources, found in the cache: no work, its first block ready at once.
        let again = try Self.makeJob(
            store, sources: [SourceEncodingRequest(encoding: 0, sourceSHA: sha(1), cacheKey: sha(11), cachedLatentsSHA: sha(21))])
        #expect(try Self.claim(store, "w3").isEmpty)
        #expect(try store.sourceEncodings(job: again).map(\.status.state) == [.done])
        #expect(try store.shardCounts(job: again)[.ready] == 2)
        try store.forgetCachedSourceLatents(key: sha(11))
        #expect(try store.cachedSourceLatents(key: sha(11)) == nil)
    }

    @Test func aJobWaitsForItsPromptAndItsSourcesWhicheverFinishesLast() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(
            store, sources: [SourceEncodingRequest(encoding: 0, sourceSHA: sha(1), cacheKey: sha(11))],
            prompt: PromptEncodingRequest(prompt: "a fox", negativePrompt: nil, cacheKey: sha(40)))
        let source = try #require(try Self.claim(store, "w1").first)
        #expect(try store.completeSourceEncoding(job: id, encoding: 0, attempt: source.status.attempt, worker: "w1", model: "tiny", latentsSHA: sha(21), firstShards: Self.first))
        #expect(try store.shardCounts(job: id)[.pending] == 3, "the prompt is not encoded yet")
        let prompt = try #require(try store.claimPromptEncodings(worker: "w2", models: ["tiny"], limit: 1, now: t0, leaseDuration: Self.lease, maxTries: 3).first)
        #expect(try store.completePromptEncoding(
            job: id, attempt: prompt.status.attempt, worker: "w2", model: "tiny", promptSHA: sha(5), negativeSHA: nil, readyShards: Self.first))
        #expect(try store.shardCounts(job: id)[.ready] == 2)
    }

    /// `cache: false` (the row's key is not the encoding's: a later-form item admitted
    /// before source forms) completes the encoding and leaves the cache alone.
    @Test func anEncodingUnderAnotherKeyIsNotCached() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, sources: [SourceEncodingRequest(encoding: 0, sourceSHA: sha(1), cacheKey: sha(11))])
        let row = try #require(try Self.claim(store, "w1").first)
        #expect(try store.completeSourceEncoding(
            job: id, encoding: 0, attempt: row.status.attempt, worker: "w1", model: "tiny", latentsSHA: sha(21), firstShards: Self.first, cache: false))
        #expect(try store.sourceEncodings(job: id).map(\.status.outputSHA) == [sha(21)] && store.shardCounts(job: id)[.ready] == 2)
        #expect(try store.cachedSourceLatents(key: sha(11)) == nil)
    }

    @Test func aFailedSourceIsRetriedThenFailsItsJobAndARetryOrCancelResetsIt() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, sources: [SourceEncodingRequest(encoding: 3, sourceSHA: sha(1), cacheKey: sha(11))])
        var now = t0
        for attempt in 1 ... 2 {
            let row = try #require(try Self.claim(store, "w\(attempt)", now: now).first)
            now = now.advanced(by: .seconds(1))
            #expect(try store.failSourceEncoding(job: id, encoding: 3, attempt: row.status.attempt, worker: "w\(attempt)", reason: "corrupt", notBefore: now))
        }
        let last = try #require(try Self.claim(store, "w3", now: now).first)
        #expect(try store.failSourceEncodingForGood(job: id, encoding: 3, attempt: last.status.attempt, worker: "w3", reason: "source 1111…: corrupt"))
        #expect(try store.job(id: id)?.state == .failed)
        #expect(try store.retryJob(id: id) != nil)
        #expect(try store.sourceEncodings(job: id).first?.status.state == .ready)
        let held = try #require(try Self.claim(store, "w4", now: now).first)
        #expect(held.status.attempt == 4)
        #expect(try store.leases(worker: "w4").map(\.item) == [.sourceEncoding(3)])
        let revoked = try #require(try store.cancelJob(id: id))
        #expect(revoked.map(\.item) == [.sourceEncoding(3)] && revoked.first?.worker == "w4")
    }

    @Test func theSchemaRefusesADoneSourceWithoutLatentsAndAnIllegalMove() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, sources: [SourceEncodingRequest(encoding: 0, sourceSHA: sha(1), cacheKey: sha(11))])
        let noLatents = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "INSERT INTO source_encodings (job_id, encoding, source_sha256, cache_key, state) VALUES ($1, 1, $2, $2, 'done')",
                [.int64(id), .text(sha(1))])
        }
        if case .server(_, _, _, _, let violated)? = noLatents { #expect(violated == "source_encodings_done_has_output") }
        let jump = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE source_encodings SET state = 'done', output_sha256 = $2 WHERE job_id = $1", [.int64(id), .text(sha(2))])
        }
        if case .server(_, _, let message, _, _)? = jump { #expect(message.contains("may not go from ready to done")) }
        _ = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "INSERT INTO source_encodings (job_id, encoding, source_sha256, cache_key) VALUES ($1, 2, 'not a digest', $2)",
                [.int64(id), .text(sha(1))])
        }
    }
}
