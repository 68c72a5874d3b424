import Foundation
import ReelPlan
import ReelStore
import Testing

/// Confirmed results are stored (migration 13's `shards.confirmed`): set by an
/// agreeing check for the result it compared or by a ballot's settling
/// transaction, only on a done shard, cleared by an invalidation, and read back
/// for a restarted coordinator.
@Suite struct ConfirmedResultStoreTests {
    static func s(_ region: Int, _ block: Int) -> ShardID { ShardID(region: region, block: block) }

    @Test func aConfirmationIsStoredForTheComparedResultAndClearedByAReset() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let (a, b, c) = (Self.s(0, 0), Self.s(1, 0), Self.s(2, 0))
        let job = try store.createJob(
            name: "j", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil, shards: [a, b, c], readyShards: [a, b, c])
        for (shard, n) in [(a, 5), (b, 6)] {
            let claim = try #require(try store.claimShards(worker: "w1", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
            #expect(claim.shard == shard && claim.attempt == 1)
            #expect(try store.completeShard(job: job, shard: shard, attempt: 1, worker: "w1", outputSHA: sha(n), openCheck: shard == b) != nil)
        }
        #expect(try store.confirmedShards(job: job).isEmpty)
        #expect(!(try store.confirmShard(job: job, shard: a, attempt: 2)), "another attempt's result was compared")
        #expect(!(try store.confirmShard(job: job, shard: c, attempt: 0)), "a shard that is not done has no result to confirm")
        #expect(try store.confirmShard(job: job, shard: a, attempt: 1))
        // A ballot's settling transaction confirms the shard it decided.
        #expect(try store.settleVerification(job: job, shard: b, attempt: 1, adopt: sha(7), quarantine: ["w9"], reason: "lost", at: t0))
        #expect(try store.confirmedShards(job: job) == [a, b])
        #expect(try store.shards(job: job).first { $0.shard == b }?.status.outputSHA == sha(7))
        // The schema confirms only done shards.
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE shards SET confirmed = true WHERE job_id = \(job) AND region = 2")
        }
        // A reset result is not confirmed any more.
        _ = try store.invalidateShards(job: job, shards: [a], candidates: [], reason: "an input was disproved")
        #expect(try store.confirmedShards(job: job) == [b])
    }
}
