import Foundation
import ReelPlan
import ReelStore
import Synchronization
import Testing

/// A readiness check and an invalidation of one of its inputs, on two
/// connections at once (the coordinator's loop and its `records` lane): the
/// check waits for the invalidation and sees its reset, so the reader stays
/// pending. Without the job's readiness lock it read the input as done (the
/// reset not yet committed) and readied the reader, which the reset had not
/// taken because it read the reader as pending: a write skew that once failed a
/// CI job ("cannot build the input of shard r0/b1").
@Suite struct ReadinessLockStoreTests {
    /// The check's answer, written by its thread.
    final class Answer: Sendable {
        let value = Mutex<Result<[ShardID], StoreError>?>(nil)
        var pending: Bool { value.withLock { $0 == nil } }
    }

    @Test func aReadinessCheckWaitsForAnInvalidationInFlightAndSeesItsReset() throws {
        let (store, url) = try TestDatabase.freshFarm()
        let (input, reader) = (ShardID(region: 0, block: 0), ShardID(region: 0, block: 1))
        let job = try store.createJob(
            name: "j", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil, shards: [input, reader], readyShards: [input])
        let lease = try #require(try store.claimShards(worker: "poisoner", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        // Checked results leave their dependents pending (the check releases them).
        #expect(try store.completeShard(job: job, shard: input, attempt: lease.attempt, worker: "poisoner", outputSHA: sha(5)) == [])

        let waiter = try PostgresConnection(url: url)
        let answer = Answer()
        try store.connection.transaction { () throws(StoreError) in
            // The invalidation has reset the input and not yet committed.
            let moved = try store.invalidateShards(job: job, shards: [input, reader], candidates: [(shard: input, inputs: [])], reason: "poisoner lost a ballot")
            #expect(moved.map(\.shard) == [input], "the reader was pending: the reset does not take it")
            let check = Thread {
                let outcome = Result { () throws(StoreError) -> [ShardID] in
                    let loop = try FarmStore(url: url)
                    return try loop.markReadyIfInputsDone(job: job, candidates: [(shard: reader, inputs: [input])])
                }
                answer.value.withLock { $0 = outcome }
            }
            check.start()
            // Until the check waits on the lock (or has answered, which is the bug).
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline, answer.pending {
                let waiting = try waiter.execute(
                    "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1::oid",
                    [.int64(Int64(FarmStore.readinessLockClass))]
                ).first().get("n", as: Int.self)
                if waiting > 0 { break }
                Thread.sleep(forTimeInterval: 0.01)
            }
            #expect(answer.pending, "the readiness check did not wait for the invalidation")
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, answer.pending { Thread.sleep(forTimeInterval: 0.01) }
        let readied = try #require(answer.value.withLock { $0 }).get()
        #expect(readied == [], "the reader became ready while its input is computed again")
        let states = Dictionary(uniqueKeysWithValues: try store.shards(job: job).map { ($0.shard, $0.status.state) })
        #expect(states[input] == .ready && states[reader] == .pending, "\(states)")
    }
}
