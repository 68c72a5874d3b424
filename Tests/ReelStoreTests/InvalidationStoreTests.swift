import Foundation
import ReelPlan
import ReelStore
import Testing

/// Migration 11: a done, leased or ready shard goes back to pending only as a
/// counted invalidation (`invalidations` + 1 with a reason), exactly the moves
/// `ShardState.Name.shardInvalidations` lists; and
/// ``FarmStore/invalidateShards(job:shards:candidates:reason:)`` resets a cone in
/// one transaction, readying what its inputs allow and revoking leases (a late
/// result of a revoked lease is stale).
@Suite struct InvalidationStoreTests {
    static func s(_ region: Int, _ block: Int) -> ShardID { ShardID(region: region, block: block) }

    @Test func invalidationMovesAreExactlyTheTableAndNeedOneCountedInvalidation() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let job = try store.createJob(
            name: "j", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil, shards: [Self.s(0, 0)], readyShards: [])
        let states = ShardState.Name.allCases.map(\.rawValue)
        var n = 0
        for from in states {
            for to in states where to != from {
                n += 1
                let worker = ["leased", "done"].contains(from) ? "'w1'" : "NULL"
                let lease = from == "leased" ? "1" : "NULL"
                try store.connection.execute(
                    """
                    INSERT INTO shards (job_id, block, region, state, attempt, tries, worker, lease_expires_at_ms, output_sha256, reason)
                    VALUES (\(job), 1, \(n), '\(from)', 1, 1, \(worker), \(lease), '\(sha(3))', 'why')
                    """)
                let newWorker = ["leased", "done"].contains(to) ? "'w1'" : "NULL"
                let newLease = to == "leased" ? "1" : "NULL"
                let allowed = ShardState.Name(rawValue: from)!.shardInvalidations.contains(ShardState.Name(rawValue: to)!)
                do throws(StoreError) {
                    try store.connection.execute(
                        """
                        UPDATE shards SET state = '\(to)', worker = \(newWorker), lease_expires_at_ms = \(newLease),
                            invalidations = invalidations + 1, invalidation_reason = 'lost ballot'
                        WHERE job_id = \(job) AND block = 1 AND region = \(n)
                        """)
                    #expect(allowed, "\(from) → \(to) was allowed as an invalidation")
                } catch {
                    #expect(!allowed, "\(from) → \(to) was refused as an invalidation: \(error)")
                    #expect(error.sqlState == "23514", "\(error)")
                }
            }
        }
        // done → pending without counting an invalidation is the ordinary trigger's refusal.
        try store.connection.execute(
            "INSERT INTO shards (job_id, block, region, state, attempt, tries, worker, output_sha256) VALUES (\(job), 2, 0, 'done', 1, 1, 'w1', '\(sha(3))')")
        let uncounted = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE shards SET state = 'pending', worker = NULL WHERE job_id = \(job) AND block = 2")
        }
        #expect("\(uncounted.map { "\($0)" } ?? "")".contains("may not go from done to pending"))
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE shards SET state = 'pending', worker = NULL, invalidations = 2, invalidation_reason = 'x' WHERE job_id = \(job) AND block = 2")
        }
        expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE shards SET state = 'pending', worker = NULL, invalidations = 1 WHERE job_id = \(job) AND block = 2")
        }
    }

    @Test func aConeIsResetInOneTransactionAndARevokedLeaseResultIsStale() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let (a, b, c) = (Self.s(0, 0), Self.s(1, 0), Self.s(0, 1))
        let job = try store.createJob(
            name: "j", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil, shards: [a, b, c], readyShards: [a, b])
        let dependents = [(shard: c, inputs: [a, b])]
        let poisoned = try #require(try store.claimShards(worker: "poisoner", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        #expect(poisoned.shard == a)
        #expect(try store.completeShard(job: job, shard: a, attempt: poisoned.attempt, worker: "poisoner", outputSHA: sha(5), dependents: dependents) == [])
        let honest = try #require(try store.claimShards(worker: "honest", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        #expect(try store.completeShard(job: job, shard: b, attempt: honest.attempt, worker: "honest", outputSHA: sha(6), dependents: dependents) == [c])
        let blended = try #require(try store.claimShards(worker: "honest", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        #expect(blended.shard == c)

        let moved = try store.invalidateShards(job: job, shards: [a, c], candidates: [(shard: a, inputs: [])], reason: "poisoner lost a ballot")
        #expect(
            moved == [
                InvalidatedShard(shard: a, previous: .done, worker: "poisoner", attempt: poisoned.attempt, ready: true),
                InvalidatedShard(shard: c, previous: .leased, worker: "honest", attempt: blended.attempt, ready: false),
            ])
        let rows = Dictionary(uniqueKeysWithValues: try store.shards(job: job).map { ($0.shard, $0) })
        #expect(rows[a]?.status.state == .ready && rows[a]?.status.outputSHA == nil && rows[a]?.status.worker == nil)
        #expect(rows[b]?.status.state == .done && rows[b]?.status.outputSHA == sha(6), "an input outside the cone keeps its output")
        #expect(rows[c]?.status.state == .pending && rows[c]?.status.worker == nil)
        #expect(try store.invalidations(job: job) == [a: 1, c: 1])
        let events = try store.events(job: job).filter { $0.kind == .shardInvalidated }
        #expect(events.count == 2 && events.allSatisfy { $0.detail?.contains("poisoner lost a ballot") == true })

        // The revoked holder's result comes late: stale, nothing changes.
        #expect(try store.completeShard(job: job, shard: c, attempt: blended.attempt, worker: "honest", outputSHA: sha(7)) == nil)
        // The root is leased again (to someone else) and its honest output readies its dependent.
        let again = try #require(try store.claimShards(worker: "honest", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        #expect(again.shard == a && again.attempt == poisoned.attempt + 1)
        #expect(try store.completeShard(job: job, shard: a, attempt: again.attempt, worker: "honest", outputSHA: sha(8), dependents: dependents) == [c])
        // Invalidating nothing, or a pending shard, moves nothing.
        #expect(try store.invalidateShards(job: job, shards: [], candidates: [], reason: "none") == [])
    }

    /// A checked result's check is stored in its commit, read back while its
    /// shard is done at that attempt, and gone once closed, settled or reset.
    @Test func openChecksAreStoredWithTheResultAndCloseWithTheBallotOrAReset() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let (a, b) = (Self.s(0, 0), Self.s(1, 0))
        let job = try store.createJob(
            name: "j", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil, shards: [a, b], readyShards: [a, b])
        for (shard, worker, n) in [(a, "w1", 5), (b, "w2", 6)] {
            let claim = try #require(try store.claimShards(worker: worker, limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
            #expect(claim.shard == shard)
            #expect(try store.completeShard(job: job, shard: shard, attempt: claim.attempt, worker: worker, outputSHA: sha(n), openCheck: true) == [])
        }
        #expect(try store.openChecks(job: job) == [OpenCheckRow(shard: a, attempt: 1, worker: "w1", sha: sha(5)), OpenCheckRow(shard: b, attempt: 1, worker: "w2", sha: sha(6))])
        try store.closeCheck(job: job, shard: a)
        #expect(try store.openChecks(job: job).map(\.shard) == [b])
        #expect(try store.settleVerification(job: job, shard: b, attempt: 1, adopt: nil, quarantine: ["w9"], reason: "lost", at: t0))
        #expect(try store.openChecks(job: job).isEmpty, "the settling transaction closes the check")

        let c = Self.s(2, 0)
        let third = try store.createJob(
            name: "k", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil, shards: [c], readyShards: [c])
        let claim = try #require(try store.claimShards(worker: "w1", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        #expect(try store.completeShard(job: third, shard: c, attempt: claim.attempt, worker: "w1", outputSHA: sha(7), openCheck: true) == [])
        #expect(try store.openChecks(job: third).count == 1)
        _ = try store.invalidateShards(job: third, shards: [c], candidates: [], reason: "w1 lost")
        #expect(try store.openChecks(job: third).isEmpty, "a reset shard's check goes with it")
    }
}
