import Foundation
import ReelPlan
import ReelStore
import Testing

/// Migration 13: a decoding job goes back to running, and its decode chunks back
/// to ready, only as a counted invalidation (exactly the moves
/// `JobState.Name.jobInvalidations` lists for jobs; done, leased and failed → ready
/// for chunks); and ``FarmStore/invalidateDecodingJob(job:shards:candidates:reason:)``
/// abandons a decode and resets shards in one transaction, keeping each chunk's
/// fencing token so a segment of the abandoned decode is stale.
@Suite struct DecodeInvalidationStoreTests {
    static func s(_ region: Int, _ block: Int) -> ShardID { ShardID(region: region, block: block) }
    static let chunks = DecodeChunk.layout(latentFrames: 9, size: 5, warmup: 1, temporalStride: 4)

    /// One region, two blocks, every shard done by `worker`, the clip blended: decoding.
    static func decodingJob(_ store: FarmStore, worker: String = "w1") throws -> Int64 {
        let id = try ClaimTests.makeJob(store, regions: 1, blocks: 2)
        for (block, n) in [(0, 2), (1, 3)] {
            let claim = try #require(try store.claimShards(worker: worker, limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
            #expect(claim.shard == s(0, block))
            let dependents = block == 0 ? [(shard: s(0, 1), inputs: [s(0, 0)])] : []
            #expect(try store.completeShard(job: id, shard: claim.shard, attempt: claim.attempt, worker: worker, outputSHA: sha(n), dependents: dependents) != nil)
        }
        #expect(try store.startDecoding(job: id, latentsSHA: sha(10), chunks: chunks))
        return id
    }

    @Test func aJobLeavesDecodingOnlyAsOneCountedInvalidation() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.decodingJob(store)
        for name in JobState.Name.allCases { #expect(name.jobInvalidations == (name == .decoding ? [.running] : [])) }
        // Uncounted: migration 2's rule.
        let uncounted = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE jobs SET state = 'running' WHERE id = \(id)")
        }
        #expect("\(uncounted.map { "\($0)" } ?? "")".contains("may not go from decoding to running"))
        // Counted twice at once, or without a reason.
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE jobs SET state = 'running', invalidations = 2, invalidation_reason = 'x' WHERE id = \(id)")
        }
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE jobs SET state = 'running', invalidations = 1 WHERE id = \(id)")
        }
        // Counted, but not a move an invalidation makes (decoding → succeeded).
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE jobs SET state = 'succeeded', output_sha256 = '\(sha(11))', finished_at = now(), invalidations = 1, invalidation_reason = 'x' WHERE id = \(id)")
        }
        // A done chunk back to ready: only counted.
        let claim = try #require(try store.claimDecodeChunks(worker: "w1", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        #expect(try store.completeDecodeChunk(job: id, chunk: claim.chunk, attempt: claim.attempt, worker: "w1", outputSHA: sha(12)))
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE decode_chunks SET state = 'ready', worker = NULL, output_sha256 = NULL WHERE job_id = \(id) AND chunk = \(claim.chunk)")
        }
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE decode_chunks SET state = 'cancelled', worker = NULL, invalidations = 1, invalidation_reason = 'x' WHERE job_id = \(id) AND chunk = \(claim.chunk)")
        }
        try store.connection.execute(
            "UPDATE decode_chunks SET state = 'ready', worker = NULL, output_sha256 = NULL, invalidations = 1, invalidation_reason = 'x' WHERE job_id = \(id) AND chunk = \(claim.chunk)")
        try store.connection.execute("UPDATE jobs SET state = 'running', invalidations = 1, invalidation_reason = 'x' WHERE id = \(id)")
        #expect(try store.job(id: id)?.state == .running)
    }

    @Test func anAbandonedDecodeIsResetInOneTransactionAndItsLateSegmentIsStale() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.decodingJob(store, worker: "poisoner")
        #expect(Self.chunks.count == 2)
        let claims = try store.claimDecodeChunks(worker: "decoder", limit: 2, now: t0, leaseDuration: .seconds(60), maxTries: 3)
        #expect(claims.map(\.chunk) == [0, 1])
        #expect(try store.completeDecodeChunk(job: id, chunk: 0, attempt: claims[0].attempt, worker: "decoder", outputSHA: sha(20)))
        #expect(try store.setDecodeChunkPreview(job: id, chunk: 0, segmentSHA: sha(20), previewSHA: sha(21)))

        let reset = try #require(
            try store.invalidateDecodingJob(
                job: id, shards: [Self.s(0, 0), Self.s(0, 1)], candidates: [(shard: Self.s(0, 0), inputs: [])], reason: "poisoner lost a ballot"))
        #expect(reset.latentsSHA == sha(10))
        #expect(
            reset.chunks == [
                .init(chunk: 0, previous: .done, worker: "decoder", attempt: claims[0].attempt, segmentSHA: sha(20), previewSHA: sha(21)),
                .init(chunk: 1, previous: .leased, worker: "decoder", attempt: claims[1].attempt, segmentSHA: nil, previewSHA: nil),
            ])
        #expect(reset.shards.map(\.shard) == [Self.s(0, 0), Self.s(0, 1)] && reset.shards.map(\.ready) == [true, false])
        let job = try #require(try store.job(id: id))
        #expect(job.state == .running && job.latentsSHA == nil && job.run == 1)
        let rows = try store.decodeChunks(job: id)
        #expect(rows.allSatisfy { $0.status.state == .ready && $0.status.outputSHA == nil && $0.status.worker == nil })
        #expect(rows.map(\.status.attempt) == claims.map(\.attempt), "the fencing token is kept")
        #expect(try store.decodeChunkPreviews(job: id).isEmpty)
        #expect(try store.decodeInvalidations(job: id).job == 1 && store.decodeInvalidations(job: id).chunks == [0: 1, 1: 1])
        #expect(try store.events(job: id).contains { $0.kind == .jobInvalidated && $0.detail?.contains("poisoner lost a ballot") == true })
        // Nothing names the abandoned segment, preview or latents any more.
        for blob in [sha(10), sha(20), sha(21)] { #expect(!(try store.blobIsReferenced(blob, besides: 424_242)), "\(blob)") }
        // The revoked lease's segment comes late: stale. A running job's chunks are not leased.
        #expect(!(try store.completeDecodeChunk(job: id, chunk: 1, attempt: claims[1].attempt, worker: "decoder", outputSHA: sha(22))))
        #expect(try store.claimDecodeChunks(worker: "decoder", limit: 2, now: t0, leaseDuration: .seconds(60), maxTries: 3).isEmpty)
        // Not decoding any more: a second reset changes nothing.
        #expect(try store.invalidateDecodingJob(job: id, shards: [Self.s(0, 0)], candidates: [], reason: "again") == nil)
        #expect(try store.invalidations(job: id) == [Self.s(0, 0): 1, Self.s(0, 1): 1])

        // The redone shards blend again: the same chunks decode again, with new tokens.
        for (block, n) in [(0, 4), (1, 5)] {
            let claim = try #require(try store.claimShards(worker: "honest", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
            #expect(claim.shard == Self.s(0, block))
            let dependents = block == 0 ? [(shard: Self.s(0, 1), inputs: [Self.s(0, 0)])] : []
            #expect(try store.completeShard(job: id, shard: claim.shard, attempt: claim.attempt, worker: "honest", outputSHA: sha(n), dependents: dependents) != nil)
        }
        #expect(try store.startDecoding(job: id, latentsSHA: sha(30), chunks: Self.chunks))
        let again = try store.claimDecodeChunks(worker: "decoder", limit: 2, now: t0, leaseDuration: .seconds(60), maxTries: 3)
        #expect(again.map(\.chunk) == [0, 1] && zip(again, claims).allSatisfy { $0.attempt > $1.attempt })
    }
}
