import Foundation
import ReelPlan
import ReelStore
import Testing

/// A job's history from its lease times and events, on a real PostgreSQL.
@Suite struct JobHistoryTests {
    @Test func historyCountsQueueWorkersRetriesAndHeldTime() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 2, blocks: 2)
        // Nothing leased yet: no queue time to tell, nothing held.
        let fresh = try #require(try store.history(job: id))
        #expect(fresh.queueMilliseconds == nil && fresh.renderMilliseconds == nil && fresh.decodeMilliseconds == nil)
        #expect(fresh.retries == 0 && fresh.workersUsed == 0 && fresh.computeMilliseconds == 0)

        let lease = { (worker: String) throws in
            try #require(try store.claimShards(
                worker: worker, limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3, blocklistThreshold: 2).first)
        }
        // w1 fails its first shard, which w2 then finishes; w1 finishes the other.
        let first = try lease("w1")
        #expect(try store.failShard(job: id, shard: first.shard, attempt: first.attempt, worker: "w1", reason: "boom", notBefore: t0))
        let second = try lease("w1")
        let retried = try lease("w2")
        #expect(retried.shard == first.shard)
        #expect(try store.completeShard(
            job: id, shard: second.shard, attempt: second.attempt, worker: "w1", outputSHA: sha(3), computeMilliseconds: 1200) != nil)
        #expect(try store.completeShard(
            job: id, shard: retried.shard, attempt: retried.attempt, worker: "w2", outputSHA: sha(4), computeMilliseconds: 800) != nil)

        let history = try #require(try store.history(job: id))
        #expect(history.retries == 1)
        #expect(history.workersUsed == 2)
        #expect(history.computeMilliseconds == 2000, "the workers' own times, summed")
        #expect(history.queueMilliseconds != nil)
        #expect(history.renderMilliseconds == nil, "not decoding yet")
        // The schema keeps a compute time only on a stored item, and never a negative one.
        #expect(throws: StoreError.self) {
            try store.connection.execute("UPDATE shards SET compute_ms = 1 WHERE job_id = $1 AND state <> 'done'", [.int64(id)])
        }
        #expect(throws: StoreError.self) {
            try store.connection.execute("UPDATE shards SET compute_ms = -1 WHERE job_id = $1 AND state = 'done'", [.int64(id)])
        }
        #expect(try store.history(job: 987_654) == nil)
    }
}
