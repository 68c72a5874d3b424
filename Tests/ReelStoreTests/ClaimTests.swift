import Foundation
import ReelPlan
import ReelStore
import Synchronization
import Testing

/// Claiming shards: one statement, SKIP LOCKED, fencing, blocklist, preferences.
@Suite struct ClaimTests {
    static let lease = Duration.seconds(60)

    /// A running job with shards (region, block) for every region < `regions`,
    /// block < `blocks`; block 0 ready.
    static func makeJob(_ store: FarmStore, regions: Int, blocks: Int = 1, priority: Int = 0, name: String = "job")
        throws -> Int64
    {
        let shards = (0..<blocks).flatMap { b in (0..<regions).map { ShardID(region: $0, block: b) } }
        return try store.createJob(
            name: name, model: "tiny", spec: #"{"frames": 81}"#, promptEmbedsSHA: sha(1), negativeEmbedsSHA: nil,
            priority: priority, shards: shards, readyShards: Set(shards.filter { $0.block == 0 }))
    }

    private func claim(_ store: FarmStore, _ worker: String, limit: Int = 1, now: Timestamp = t0,
                       threshold: Int = 2) throws -> [ClaimedShard] {
        try store.claimShards(
            worker: worker, limit: limit, now: now, leaseDuration: Self.lease, maxTries: 3,
            blocklistThreshold: threshold)
    }

    @Test func createJobStoresShardsAndClaimLeasesInOrder() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, regions: 3, blocks: 2)
        let job = try #require(try store.job(id: id))
        #expect(job.state == .running && job.run == 1 && job.promptEmbedsSHA == sha(1))
        #expect(try store.shardCounts(job: id) == [.ready: 3, .pending: 3, .leased: 0, .done: 0, .failed: 0, .cancelled: 0])

        let claimed = try claim(store, "w1", limit: 2)
        #expect(claimed.map(\.shard) == [ShardID(region: 0, block: 0), ShardID(region: 1, block: 0)])
        #expect(claimed.allSatisfy { $0.attempt == 1 && $0.tries == 1 && $0.job == id })
        #expect(claimed.allSatisfy { $0.leaseExpiresAt == t0.advanced(by: Self.lease) })
        let rows = try store.shards(job: id)
        #expect(rows[0].status.state == .leased && rows[0].status.worker == "w1" && rows[0].status.lastWorker == "w1")
        #expect(rows[2].status.state == .ready)
    }

    @Test func higherPriorityJobsFirst() throws {
        let (store, _) = try TestDatabase.freshFarm()
        _ = try Self.makeJob(store, regions: 1, priority: 0)
        let urgent = try Self.makeJob(store, regions: 1, priority: 5)
        #expect(try claim(store, "w1").map(\.job) == [urgent])
    }

    /// A connection holding claimed rows in an open transaction does not block a
    /// second claimer, which gets other shards.
    @Test func skipLockedNeverWaitsOrDoublesUp() throws {
        let (first, url) = try TestDatabase.freshFarm()
        let second = FarmStore(connection: try PostgresConnection(url: url))
        // If SKIP LOCKED were missing the second claim would wait forever; fail instead.
        try second.connection.execute("SET statement_timeout = '10s'")
        let id = try Self.makeJob(first, regions: 4)
        let (held, other) = try first.connection.transaction { () throws(StoreError) in
            let held = try first.claimShards(worker: "w1", limit: 2, now: t0, leaseDuration: Self.lease, maxTries: 3)
            let other = try second.claimShards(worker: "w2", limit: 4, now: t0, leaseDuration: Self.lease, maxTries: 3)
            return (held, other)
        }
        #expect(held.count == 2 && other.count == 2)
        #expect(Set(held.map(\.shard)).isDisjoint(with: other.map(\.shard)))
        #expect(try first.shards(job: id).allSatisfy { $0.status.state == .leased && $0.status.attempt == 1 })
    }

    @Test func concurrentClaimersTakeEachShardOnce() throws {
        let (store, url) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, regions: 40)
        let claims = Mutex<[ClaimedShard]>([])
        let failures = Mutex<[StoreError]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            do throws(StoreError) {
                let store = FarmStore(connection: try PostgresConnection(url: url))
                while true {
                    let got = try store.claimShards(
                        worker: "w\(index)", limit: 3, now: t0, leaseDuration: Self.lease, maxTries: 3)
                    if got.isEmpty { break }
                    claims.withLock { $0 += got }
                }
            } catch {
                failures.withLock { $0.append(error) }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let shards = claims.withLock { $0.map(\.shard) }
        #expect(shards.count == 40)
        #expect(Set(shards) == Set((0..<40).map { ShardID(region: $0, block: 0) }))
        #expect(try store.shards(job: id).allSatisfy { $0.status.attempt == 1 })
    }

    @Test func staleAttemptCannotComplete() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, regions: 1, blocks: 2)
        let shard = ShardID(region: 0, block: 0)
        let first = try #require(try claim(store, "w1").first)
        // w1's lease expires (the coordinator requeues it); w2 takes the shard as attempt 2.
        #expect(
            try store.failShard(
                job: id, shard: shard, attempt: first.attempt, worker: "w1", reason: "lease of w1 expired",
                notBefore: first.leaseExpiresAt))
        let second = try #require(try claim(store, "w2", now: first.leaseExpiresAt).first)
        #expect(second.attempt == 2 && second.tries == 2)
        let before = try store.shards(job: id)

        let staleAccepted = try store.completeShard(
            job: id, shard: shard, attempt: first.attempt, worker: "w1", outputSHA: sha(7),
            dependents: [(ShardID(region: 0, block: 1), [shard])])
        #expect(staleAccepted == nil)
        #expect(try store.shards(job: id) == before)
        #expect(try store.events(job: id).last?.kind == .shardStale)
        // The right worker with the wrong attempt, and the wrong worker with the right one.
        #expect(try store.completeShard(job: id, shard: shard, attempt: 1, worker: "w2", outputSHA: sha(7)) == nil)
        #expect(try store.completeShard(job: id, shard: shard, attempt: 2, worker: "w1", outputSHA: sha(7)) == nil)
        #expect(!(try store.failShard(job: id, shard: shard, attempt: 1, worker: "w1", reason: "late", notBefore: t0)))
        #expect(try store.shards(job: id) == before)

        #expect(try store.completeShard(
            job: id, shard: shard, attempt: 2, worker: "w2", outputSHA: sha(8), dependents: [(ShardID(region: 0, block: 1), [shard])])
            == [ShardID(region: 0, block: 1)])
        let after = try store.shards(job: id)
        #expect(after[0].status.state == .done && after[0].status.outputSHA == sha(8) && after[0].status.worker == "w2")
        #expect(after[1].status.state == .ready)
        // Completing twice is stale too: exactly one output per shard.
        #expect(try store.completeShard(job: id, shard: shard, attempt: 2, worker: "w2", outputSHA: sha(9)) == nil)
        #expect(try store.shards(job: id)[0].status.outputSHA == sha(8))
    }

    /// Two inputs of one dependent recorded back to back: readiness is decided in
    /// each completing transaction from the dependent's whole input list, so the
    /// dependent is ready after the second, whichever order they come in.
    @Test(arguments: [false, true])
    func dependentBecomesReadyWhenItsLastInputCommits(reversed: Bool) throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, regions: 2, blocks: 2)
        let claims = try claim(store, "w1", limit: 2)
        #expect(claims.count == 2)
        let inputs = [ShardID(region: 0, block: 0), ShardID(region: 1, block: 0)]
        let dependent = ShardID(region: 0, block: 1)
        let order = reversed ? claims.reversed() : claims
        let first = try store.completeShard(
            job: id, shard: order[0].shard, attempt: order[0].attempt, worker: "w1", outputSHA: sha(3), dependents: [(dependent, inputs)])
        #expect(first == [])
        let second = try store.completeShard(
            job: id, shard: order[1].shard, attempt: order[1].attempt, worker: "w1", outputSHA: sha(4), dependents: [(dependent, inputs)])
        #expect(second == [dependent])
        #expect(try store.shards(job: id).first { $0.shard == dependent }?.status.state == .ready)
        // Asking again changes nothing: the dependent is no longer pending.
        #expect(try store.markReadyIfInputsDone(job: id, candidates: [(dependent, inputs)]).isEmpty)
    }

    /// A claim the coordinator cannot act on goes back without costing a try, and
    /// its attempt stays spent, so anything sent for it is stale.
    @Test func releasedClaimGivesTheTryBack() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, regions: 1)
        let held = try #require(try claim(store, "w1").first)
        #expect(held.tries == 1)
        #expect(!(try store.releaseClaim(.shard(held.shard), job: id, attempt: held.attempt, worker: "w2")))
        #expect(try store.releaseClaim(.shard(held.shard), job: id, attempt: held.attempt, worker: "w1"))
        let status = try #require(try store.status(of: .shard(held.shard), job: id))
        #expect(status.state == .ready && status.tries == 0 && status.attempt == 1 && status.worker == nil)
        let again = try #require(try claim(store, "w2").first)
        #expect(again.attempt == 2 && again.tries == 1)
        #expect(try store.completeShard(job: id, shard: held.shard, attempt: 1, worker: "w1", outputSHA: sha(5)) == nil)
    }

    @Test func blocklistedWorkerGetsNothingFromTheJob() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, regions: 2)
        #expect(try store.recordWorkerFailure(job: id, worker: "w1") == 1)
        #expect(try claim(store, "w1", threshold: 2).count == 1)
        #expect(try store.recordWorkerFailure(job: id, worker: "w1") == 2)
        #expect(try claim(store, "w1", limit: 5, threshold: 2).isEmpty)
        #expect(try claim(store, "w1", limit: 5, threshold: 3).count == 1)
    }

    @Test func retryPrefersAnotherWorker() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, regions: 2)
        let first = try #require(try claim(store, "w1").first)
        #expect(first.shard == ShardID(region: 0, block: 0))
        #expect(try store.failShard(job: id, shard: first.shard, attempt: 1, worker: "w1", reason: "oom", notBefore: t0))
        // r0 is ready again and first in order, but w1 failed it: w1 gets r1, w2 gets r0.
        #expect(try claim(store, "w1").map(\.shard) == [ShardID(region: 1, block: 0)])
        let retry = try #require(try claim(store, "w2").first)
        #expect(retry.shard == first.shard && retry.attempt == 2 && retry.tries == 2)
    }

    @Test func backoffAndMaxTriesHoldShardsBack() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try Self.makeJob(store, regions: 1)
        let shard = ShardID(region: 0, block: 0)
        _ = try claim(store, "w1")
        let later = t0.advanced(by: .seconds(30))
        #expect(try store.failShard(job: id, shard: shard, attempt: 1, worker: "w1", reason: "x", notBefore: later))
        #expect(try claim(store, "w2", now: later.advanced(by: .milliseconds(-1))).isEmpty)
        #expect(try claim(store, "w2", now: later).count == 1)
        #expect(try store.failShard(job: id, shard: shard, attempt: 2, worker: "w2", reason: "x", notBefore: later))
        let atLimit = try store.claimShards(worker: "w3", limit: 1, now: later, leaseDuration: Self.lease, maxTries: 2)
        #expect(atLimit.isEmpty)
    }

    @Test func invalidArgumentsAreRefused() throws {
        let (store, _) = try TestDatabase.freshFarm()
        for (worker, limit, tries) in [("", 1, 1), ("w", -1, 1), ("w", 1, 0)] {
            do throws(StoreError) {
                _ = try store.claimShards(worker: worker, limit: limit, now: t0, leaseDuration: Self.lease, maxTries: tries)
                Issue.record("claim accepted worker '\(worker)', limit \(limit), maxTries \(tries)")
            } catch {
                guard case .invalidArgument = error else { Issue.record("\(error)"); continue }
            }
        }
    }
}

/// Which blobs a row still needs, so the coordinator deletes only the last copy.
@Suite struct BlobReferenceTests {
    @Test func aBlobIsReferencedUntilItsLastRowIsLetGo() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let a = try ClaimTests.makeJob(store, regions: 2, name: "a")
        let b = try ClaimTests.makeJob(store, regions: 1, name: "b")
        let claimed = try store.claimShards(worker: "w", limit: 3, now: t0, leaseDuration: .seconds(60), maxTries: 3)
        #expect(claimed.count == 3)
        for claim in claimed {
            // Both shards of job a store the same bytes; job b's are its own.
            let output = claim.job == a ? sha(9) : sha(8)
            #expect(try store.completeShard(job: claim.job, shard: claim.shard, attempt: claim.attempt, worker: "w", outputSHA: output) != nil)
        }
        let r0 = ShardID(region: 0, block: 0), r1 = ShardID(region: 1, block: 0)
        #expect(try store.blobIsReferenced(sha(9), besides: a, shards: [r0]), "the other shard of job a has it")
        #expect(!(try store.blobIsReferenced(sha(9), besides: a, shards: [r0, r1])))
        #expect(!(try store.blobIsReferenced(sha(8), besides: b, shards: [r0])))
        #expect(try store.blobIsReferenced(sha(8), besides: a, shards: [r0, r1]), "job b has it")
        #expect(try store.blobIsReferenced(sha(1), besides: a), "the jobs' prompt embeddings")
    }
}
