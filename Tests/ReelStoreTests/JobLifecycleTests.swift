import Foundation
import ReelPlan
import ReelStore
import Testing

/// Jobs through failure, retry, cancellation, decoding and success.
@Suite struct JobLifecycleTests {
    let lease = Duration.seconds(60)

    private func claim(_ store: FarmStore, _ worker: String, now: Timestamp = t0) throws -> ClaimedShard? {
        try store.claimShards(worker: worker, limit: 1, now: now, leaseDuration: lease, maxTries: 3).first
    }

    @Test func failingForGoodFailsTheJobAndRetryResetsTriesButKeepsAttempt() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 2)
        let shard = ShardID(region: 0, block: 0)
        _ = try #require(try claim(store, "w1"))
        #expect(try store.failShard(job: id, shard: shard, attempt: 1, worker: "w1", reason: "nan", notBefore: t0))
        let second = try #require(try claim(store, "w2"))
        #expect(second.shard == shard)
        try store.recordWorkerFailure(job: id, worker: "w1")
        try store.recordWorkerFailure(job: id, worker: "w1")
        #expect(try store.failShardForGood(job: id, shard: shard, attempt: 2, worker: "w2", reason: "nan again"))

        let failed = try #require(try store.job(id: id))
        #expect(failed.state == .failed && failed.finishedAt != nil)
        #expect(failed.reason?.contains("r0/b0") == true && failed.reason?.contains("nan again") == true)
        #expect(try claim(store, "w3") == nil, "a failed job hands out nothing")
        #expect(try store.shards(job: id)[0].status.state == .failed)

        #expect(try store.retryJob(id: id) == [shard])
        let running = try #require(try store.job(id: id))
        #expect(running.state == .running && running.run == 2 && running.finishedAt == nil)
        let reset = try store.shards(job: id)[0].status
        #expect(reset.state == .pending && reset.tries == 0 && reset.attempt == 2)
        #expect(try store.markReadyIfInputsDone(job: id, candidates: [(shard, [])]) == [shard])
        // The blocklist was cleared: w1, with two failures, may work on the job again.
        let retried = try #require(try claim(store, "w1"))
        #expect(retried.shard == shard && retried.attempt == 3 && retried.tries == 1)
        #expect(try store.retryJob(id: id) == nil, "only a failed job is retried")
    }

    @Test func cancelStopsEverythingButDoneShards() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 3, blocks: 2)
        let done = try #require(try claim(store, "w1"))
        #expect(try store.completeShard(job: id, shard: done.shard, attempt: 1, worker: "w1", outputSHA: sha(3)) != nil)
        let held = try #require(try claim(store, "w2"))

        let revoked = try #require(try store.cancelJob(id: id))
        #expect(revoked.map(\.worker) == ["w2"])
        #expect(revoked.first?.item == .shard(held.shard) && revoked.first?.attempt == 1)
        let job = try #require(try store.job(id: id))
        #expect(job.state == .cancelled && job.finishedAt != nil)
        #expect(try store.shardCounts(job: id)[.done] == 1)
        #expect(try store.shardCounts(job: id)[.cancelled] == 5)
        #expect(try store.completeShard(job: id, shard: held.shard, attempt: 1, worker: "w2", outputSHA: sha(4)) == nil)
        #expect(try store.cancelJob(id: id) == nil)
        #expect(try store.cancelJob(id: 987_654) == nil)
        #expect(try store.leases().isEmpty)
    }

    @Test func hostileTextIsStoredVerbatim() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let name = "x'); DROP TABLE jobs; --"
        let spec = #"{"prompt": "a '); DELETE FROM shards; -- \"cat\"", "frames": 81}"#
        let id = try store.createJob(
            name: name, model: "tiny", spec: spec, promptEmbedsSHA: nil, negativeEmbedsSHA: nil,
            shards: [ShardID(region: 0, block: 0)], readyShards: [])
        let job = try #require(try store.job(id: id))
        #expect(job.name == name)
        let decoded = try JSONSerialization.jsonObject(with: Data(job.spec.utf8)) as? [String: Any]
        #expect(decoded?["prompt"] as? String == #"a '); DELETE FROM shards; -- "cat""#)
        #expect(try store.jobs().count == 1)
        #expect(try store.shards(job: id).count == 1)
    }

    @Test func createJobRefusesInconsistentShards() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let a = ShardID(region: 0, block: 0)
        let b = ShardID(region: 1, block: 0)
        for (shards, ready) in [([ShardID](), Set<ShardID>()), ([a, a], []), ([a], [b])] {
            do throws(StoreError) {
                _ = try store.createJob(
                    name: "bad", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil,
                    shards: shards, readyShards: ready)
                Issue.record("createJob accepted shards \(shards), ready \(ready)")
            } catch {
                guard case .invalidArgument = error else { Issue.record("\(error)"); continue }
            }
        }
        #expect(try store.jobs().isEmpty)
    }

    @Test func heartbeatsExtendOnlyLiveLeases() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 2)
        let a = try #require(try claim(store, "w1"))
        let later = t0.advanced(by: .seconds(30))
        _ = try #require(try claim(store, "w1", now: later))
        let until = a.leaseExpiresAt.advanced(by: .seconds(60))
        // At a's expiry only the second lease is still live.
        #expect(try store.extendLeases(worker: "w1", now: a.leaseExpiresAt, until: until) == 1)
        let rows = try store.shards(job: id)
        #expect(rows[0].status.leaseExpiresAt == a.leaseExpiresAt)
        #expect(rows[1].status.leaseExpiresAt == until)
        // Never shortened.
        #expect(try store.extendLeases(worker: "w1", now: t0, until: t0.advanced(by: .seconds(1))) == 2)
        #expect(try store.shards(job: id)[1].status.leaseExpiresAt == until)
    }

    @Test func decodeChunksThenSuccess() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 1)
        let chunks = DecodeChunk.layout(latentFrames: 81, size: 41, warmup: 8, temporalStride: 4)
        #expect(!(try store.startDecoding(job: 987_654, latentsSHA: sha(10), chunks: chunks)))
        #expect(try store.claimDecodeChunks(worker: "w1", limit: 4, now: t0, leaseDuration: lease, maxTries: 3).isEmpty)
        let shard = try #require(try claim(store, "w1"))
        #expect(try store.completeShard(job: id, shard: shard.shard, attempt: 1, worker: "w1", outputSHA: sha(2)) != nil)

        #expect(try store.startDecoding(job: id, latentsSHA: sha(10), chunks: chunks))
        #expect(try store.job(id: id)?.state == .decoding)
        let claimed = try store.claimDecodeChunks(worker: "w1", limit: 4, now: t0, leaseDuration: lease, maxTries: 3)
        #expect(claimed.map(\.chunk) == [0, 1])
        #expect(try store.decodeChunks(job: id).map { $0.decodeChunk(temporalStride: 4) } == chunks)
        #expect(!(try store.completeDecodeChunk(job: id, chunk: 0, attempt: 2, worker: "w1", outputSHA: sha(11))))
        #expect(try store.completeDecodeChunk(job: id, chunk: 0, attempt: 1, worker: "w1", outputSHA: sha(11)))
        #expect(try store.failDecodeChunk(job: id, chunk: 1, attempt: 1, worker: "w1", reason: "oom", notBefore: t0))
        let retry = try store.claimDecodeChunks(worker: "w2", limit: 4, now: t0, leaseDuration: lease, maxTries: 3)
        #expect(retry.map(\.chunk) == [1] && retry.first?.attempt == 2)
        #expect(try store.completeDecodeChunk(job: id, chunk: 1, attempt: 2, worker: "w2", outputSHA: sha(12)))
        #expect(try store.decodeChunkCounts(job: id)[.done] == 2)
        #expect(try store.decodeChunks(job: id).map(\.status.outputSHA) == [sha(11), sha(12)])

        #expect(try store.finishJob(id: id, latentsSHA: sha(10), outputSHA: sha(13)))
        let job = try #require(try store.job(id: id))
        #expect(job.state == .succeeded && job.outputSHA == sha(13) && job.latentsSHA == sha(10) && job.finishedAt != nil)
        #expect(!(try store.finishJob(id: id, latentsSHA: sha(10), outputSHA: sha(13))))
        #expect(try store.cancelJob(id: id) == nil, "a succeeded job stays succeeded")
    }

    @Test func decodeFailureFailsTheJobAndRetryKeepsDoneChunks() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 1)
        let shard = try #require(try claim(store, "w1"))
        #expect(try store.completeShard(job: id, shard: shard.shard, attempt: 1, worker: "w1", outputSHA: sha(2)) != nil)
        let chunks = DecodeChunk.layout(latentFrames: 9, size: 5, warmup: 1, temporalStride: 4)
        #expect(try store.startDecoding(job: id, latentsSHA: sha(10), chunks: chunks))
        _ = try store.claimDecodeChunks(worker: "w1", limit: 2, now: t0, leaseDuration: lease, maxTries: 3)
        #expect(try store.completeDecodeChunk(job: id, chunk: 0, attempt: 1, worker: "w1", outputSHA: sha(11)))
        #expect(try store.failDecodeChunkForGood(job: id, chunk: 1, attempt: 1, worker: "w1", reason: "bad latents"))
        #expect(try store.job(id: id)?.reason?.contains("chunk 1") == true)

        #expect(try store.retryJob(id: id) == [])
        #expect(try store.startDecoding(job: id, latentsSHA: sha(10), chunks: chunks))
        let states = try store.decodeChunks(job: id).map(\.status.state)
        #expect(states == [.done, .ready])
    }

    @Test func setJobStateGuardsTheFromState() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 1)
        #expect(!(try store.setJobState(id: id, to: .decoding, from: [.queued])))
        expectServerError("23514") { () throws(StoreError) in
            try store.setJobState(id: id, to: .failed, from: [.running])
        }
        #expect(try store.setJobState(id: id, to: .failed, from: [.running], reason: "plan no longer valid"))
        let job = try #require(try store.job(id: id))
        #expect(job.state == .failed && job.finishedAt != nil && job.reason == "plan no longer valid")
        #expect(try store.jobs(states: [.failed]).map(\.id) == [id])
        #expect(try store.jobs(states: [.running, .queued]).isEmpty)
        #expect(try store.events(job: id).last?.detail == "running → failed: plan no longer valid")
    }
}
