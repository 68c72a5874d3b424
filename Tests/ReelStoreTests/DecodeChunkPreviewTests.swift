import Foundation
import ReelPlan
import ReelStore
import Testing

/// Segment previews on decode chunk rows (migration 10): recorded only for a
/// chunk done with the segment they were made from, listed in chunk order, and
/// named among a job's blobs when it expires.
@Suite struct DecodeChunkPreviewTests {
    @Test func previewsFollowTheSegmentTheyWereMadeFrom() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 1)
        let shard = try #require(try store.claimShards(worker: "w1", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        #expect(try store.completeShard(job: id, shard: shard.shard, attempt: 1, worker: "w1", outputSHA: sha(2)) != nil)
        let chunks = DecodeChunk.layout(latentFrames: 9, size: 5, warmup: 1, temporalStride: 4)
        #expect(try store.startDecoding(job: id, latentsSHA: sha(10), chunks: chunks))
        _ = try store.claimDecodeChunks(worker: "w1", limit: 2, now: t0, leaseDuration: .seconds(60), maxTries: 3)
        // Not done yet: nothing to attach a preview to.
        #expect(!(try store.setDecodeChunkPreview(job: id, chunk: 1, segmentSHA: sha(12), previewSHA: sha(22))))
        #expect(try store.completeDecodeChunk(job: id, chunk: 1, attempt: 1, worker: "w1", outputSHA: sha(12)))
        #expect(!(try store.setDecodeChunkPreview(job: id, chunk: 1, segmentSHA: sha(99), previewSHA: sha(22))), "another segment's preview")
        #expect(try store.setDecodeChunkPreview(job: id, chunk: 1, segmentSHA: sha(12), previewSHA: sha(22)))
        #expect(try store.completeDecodeChunk(job: id, chunk: 0, attempt: 1, worker: "w1", outputSHA: sha(11)))
        #expect(try store.decodeChunkPreviews(job: id).map(\.chunk) == [1], "chunk 0 has no preview yet")
        #expect(try store.setDecodeChunkPreview(job: id, chunk: 0, segmentSHA: sha(11), previewSHA: sha(21)))
        let previews = try store.decodeChunkPreviews(job: id)
        #expect(previews.map(\.previewSHA) == [sha(21), sha(22)])
        #expect(previews.map(\.frames) == chunks.map(\.frames) && previews.map(\.warmup) == chunks.map(\.warmup))
        // The schema takes only a SHA-256 in hex.
        #expect(throws: StoreError.self) { try store.setDecodeChunkPreview(job: id, chunk: 0, segmentSHA: sha(11), previewSHA: "not a digest") }
        // Other rows do not hold the preview blob, but the chunk row does.
        #expect(try store.blobIsReferenced(sha(22), besides: 424_242))

        #expect(try store.finishJob(id: id, latentsSHA: sha(10), outputSHA: sha(13)))
        try store.connection.execute("UPDATE jobs SET finished_at = now() - interval '40 days' WHERE id = $1", [.int64(id)], name: "age the job")
        #expect(try store.blobIsKept(sha(21)))
        let expired = try store.expireFinishedJobs(olderThanDays: 30, limit: 10)
        #expect(expired.first?.job == id && expired.first?.blobs.isSuperset(of: [sha(21), sha(22), sha(13)]) == true)
        #expect(!(try store.blobIsKept(sha(21))), "an expired job's previews are not kept")
    }
}
