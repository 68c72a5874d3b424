import Foundation
import ReelPlan
import ReelStore
import Testing

/// Pools and quarantine in the one-statement claim (issue 14): a job requiring a
/// pool is leased only to that pool's workers, a quarantined worker is leased
/// nothing until released, and the schema refuses what the rules forbid.
@Suite struct PoolAndQuarantineTests {
    static let lease = Duration.seconds(60)

    static func register(_ store: FarmStore, _ name: String, pools: [String] = []) throws(StoreError) {
        try store.registerWorker(name: name, host: "h", cores: 1, threads: 1, slots: 1, models: ["tiny"], pools: pools, at: t0)
    }

    static func job(_ store: FarmStore, pool: String?) throws(StoreError) -> Int64 {
        // The coordinator stores {"request": {…, "pool": …}, "model": …}.
        let spec = pool.map { #"{"request": {"frames": 81, "pool": "\#($0)"}}"# } ?? #"{"request": {"frames": 81}}"#
        return try store.createJob(
            name: "job", model: "tiny", spec: spec, promptEmbedsSHA: sha(1), negativeEmbedsSHA: nil, priority: 0,
            shards: [ShardID(region: 0, block: 0), ShardID(region: 1, block: 0)],
            readyShards: [ShardID(region: 0, block: 0), ShardID(region: 1, block: 0)])
    }

    static func claim(_ store: FarmStore, _ worker: String) throws -> [ClaimedShard] {
        try store.claimShards(worker: worker, limit: 4, now: t0, leaseDuration: lease, maxTries: 3)
    }

    @Test func aJobRequiringAPoolGoesOnlyToItsWorkers() throws {
        let (store, _) = try TestDatabase.freshFarm()
        try Self.register(store, "plain")
        try Self.register(store, "paris", pools: ["gpu-a100", "site-paris"])
        let pooled = try Self.job(store, pool: "site-paris")
        #expect(try Self.claim(store, "plain").isEmpty, "a worker in no pool must not take a job requiring one")
        // An unregistered name is in no pool either.
        #expect(try Self.claim(store, "stranger").isEmpty)
        #expect(try Self.claim(store, "paris").map(\.job) == [pooled, pooled])
        // A job requiring no pool goes to anyone, pooled or not.
        let open = try Self.job(store, pool: nil)
        #expect(try Self.claim(store, "plain").map(\.job) == [open, open])
        let rows = try store.workers()
        #expect(rows.first { $0.name == "paris" }?.pools == ["gpu-a100", "site-paris"])
        #expect(rows.first { $0.name == "plain" }?.pools == [])
        // Registering again replaces the pools.
        try Self.register(store, "paris", pools: ["site-lyon"])
        #expect(try store.workers().first { $0.name == "paris" }?.pools == ["site-lyon"])
    }

    @Test func aQuarantinedWorkerIsLeasedNothingUntilReleased() throws {
        let (store, _) = try TestDatabase.freshFarm()
        try Self.register(store, "bad")
        let id = try Self.job(store, pool: nil)
        #expect(try store.quarantineWorker(name: "bad", reason: "lost the ballot on shard (0, 0)", at: t0))
        #expect(try Self.claim(store, "bad").isEmpty)
        // Registering again (a restart) does not lift it; a second quarantine keeps the first reason.
        try Self.register(store, "bad")
        #expect(try store.quarantineWorker(name: "bad", reason: "again", at: t0.advanced(by: .seconds(5))))
        let row = try #require(try store.workers().first { $0.name == "bad" })
        #expect(row.quarantineReason == "lost the ballot on shard (0, 0)" && row.quarantinedAt == t0)
        #expect(try store.quarantinedWorkers() == ["bad"])
        #expect(try Self.claim(store, "bad").isEmpty)
        #expect(try store.releaseWorker(name: "bad"))
        #expect(try !store.releaseWorker(name: "bad"), "releasing a worker that is not quarantined changes nothing")
        #expect(try Self.claim(store, "bad").map(\.job) == [id, id])
        #expect(try !store.quarantineWorker(name: "nobody", reason: "x", at: t0))
        let kinds = try store.connection.execute("SELECT kind FROM events WHERE worker = 'bad' ORDER BY id").map { row throws(StoreError) -> String in try row.get("kind") }
        // The second quarantine changed nothing but is logged too (an operator sees each verdict).
        #expect(kinds.filter { $0 == "worker.quarantined" || $0 == "worker.released" } == ["worker.quarantined", "worker.quarantined", "worker.released"])
    }

    @Test func theSchemaRefusesAQuarantineWithoutAReasonAndAnEmptyPool() throws {
        let (store, _) = try TestDatabase.freshFarm()
        try Self.register(store, "w")
        _ = expectServerError("23514") { () throws(StoreError) in
            _ = try store.connection.execute("UPDATE workers SET quarantined_at = now() WHERE name = 'w'")
        }
        _ = expectServerError("23514") { () throws(StoreError) in
            _ = try store.connection.execute("UPDATE workers SET pools = '{\"\"}' WHERE name = 'w'")
        }
        _ = expectServerError("23514") { () throws(StoreError) in
            _ = try Self.job(store, pool: "")
        }
    }
}
