import Foundation
import ReelPlan
import ReelStore
import Testing

/// The schema's transition triggers (migration 2) against the Swift tables
/// (`JobState.Name.successors`, `ShardState.Name.shardSuccessors`,
/// `decodeChunkSuccessors`): every move between two different states is tried on a
/// row of its own, inserted in the from state (the triggers watch updates only)
/// with the columns its CHECKs want, and must pass exactly when the table lists it.
@Suite struct TransitionTests {
    /// One table's rows: how to insert one in a state and how to move it.
    private struct Table {
        let name: String
        let states: [String]
        let allowed: (String) -> Set<String>
        /// `INSERT` of the row numbered `n` in a state; it must return the row's key as `k`.
        let insert: (_ state: String, _ n: Int) -> String
        /// The columns that must change with the state, so that only the trigger can refuse.
        let columns: (_ state: String) -> String
        /// Selects the row whose key is `$1`.
        let keyMatch: String
        /// The key as the trigger's message names it.
        let keyText: (_ key: Int64) -> String
    }

    private static func tries(_ table: Table, store: FarmStore) throws {
        var refused: [String: String] = [:]
        for (n, (from, to)) in table.states.flatMap({ f in table.states.map { (f, $0) } }).filter({ $0.0 != $0.1 })
            .enumerated()
        {
            let key: Int64 = try store.connection.execute(table.insert(from, n)).first().get("k")
            do throws(StoreError) {
                try store.connection.execute(
                    "UPDATE \(table.name) SET state = '\(to)', \(table.columns(to)) WHERE \(table.keyMatch)", [.int64(key)])
                #expect(table.allowed(from).contains(to), "\(table.name): \(from) → \(to) was allowed")
            } catch {
                #expect(!table.allowed(from).contains(to), "\(table.name): \(from) → \(to) was refused: \(error)")
                #expect(error.sqlState == "23514", "\(error)")
                guard case .server(_, _, let message, _, _) = error else { continue }
                refused["\(from)>\(to)"] = message
                #expect(
                    message == "illegal state transition on \(table.name): \(table.keyText(key)) may not go from \(from) to \(to)")
            }
        }
        let expected = table.states.flatMap { from in
            table.states.filter { $0 != from && !table.allowed(from).contains($0) }.map { "\(from)>\($0)" }
        }
        #expect(refused.keys.sorted() == expected.sorted())
    }

    /// The finished-at column goes with the state; every other column is set so any state's CHECKs hold.
    private static func finishedAt(_ state: String) -> String {
        ["succeeded", "failed", "cancelled"].contains(state) ? "now()" : "NULL"
    }

    @Test func jobMovesAreExactlyTheTable() throws {
        let (store, _) = try TestDatabase.freshFarm()
        try Self.tries(
            Table(
                name: "jobs", states: JobState.Name.allCases.map(\.rawValue),
                allowed: { Set(JobState.Name(rawValue: $0)!.successors.map(\.rawValue)) },
                insert: { state, _ in
                    """
                    INSERT INTO jobs (name, model, spec, state, run, reason, latents_sha256, output_sha256, finished_at)
                    VALUES ('j', 'tiny', '{}', '\(state)', 1, 'why', '\(sha(1))', '\(sha(2))', \(Self.finishedAt(state)))
                    RETURNING id AS k
                    """
                },
                columns: { "finished_at = \(Self.finishedAt($0))" }, keyMatch: "id = $1", keyText: { "id \($0)" }),
            store: store)
    }

    private static func job(_ store: FarmStore) throws -> Int64 {
        try store.createJob(
            name: "j", model: "tiny", spec: "{}", promptEmbedsSHA: nil, negativeEmbedsSHA: nil,
            shards: [ShardID(region: 0, block: 0)], readyShards: [])
    }

    /// A shards or decode_chunks table: rows of `job` keyed by `keyColumns` =
    /// `keyValues(n)`, whose last key column is returned as the row's key.
    private static func leaseTable(
        _ name: String, job: Int64, allowed: @escaping (ShardState.Name) -> Set<ShardState.Name>,
        keyColumns: String, keyValues: @escaping (Int) -> String, keyMatch: String, keyText: @escaping (Int64) -> String
    ) -> Table {
        // Worker and lease as a row in `state` has them; output and reason are always set.
        func holder(_ state: String) -> (worker: String, lease: String) {
            (["leased", "done"].contains(state) ? "'w1'" : "NULL", state == "leased" ? "1" : "NULL")
        }
        let returned = keyColumns.split(separator: ",").last!.trimmingCharacters(in: .whitespaces)
        return Table(
            name: name, states: ShardState.Name.allCases.map(\.rawValue),
            allowed: { Set(allowed(ShardState.Name(rawValue: $0)!).map(\.rawValue)) },
            insert: { state, n in
                let (worker, lease) = holder(state)
                return """
                    INSERT INTO \(name) (job_id, \(keyColumns), state, attempt, tries, worker, lease_expires_at_ms, output_sha256, reason)
                    VALUES (\(job), \(keyValues(n)), '\(state)', 1, 1, \(worker), \(lease), '\(sha(3))', 'why')
                    RETURNING \(returned) AS k
                    """
            },
            columns: { state in
                let (worker, lease) = holder(state)
                return "worker = \(worker), lease_expires_at_ms = \(lease)"
            },
            keyMatch: keyMatch, keyText: keyText)
    }

    @Test func shardMovesAreExactlyTheTable() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let job = try Self.job(store)
        try Self.tries(
            Self.leaseTable(
                "shards", job: job, allowed: \.shardSuccessors, keyColumns: "block, region", keyValues: { "1, \($0)" },
                keyMatch: "job_id = \(job) AND block = 1 AND region = $1", keyText: { "job_id \(job), region \($0), block 1" }),
            store: store)
    }

    @Test func decodeChunkMovesAreExactlyTheTable() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let job = try Self.job(store)
        try Self.tries(
            Self.leaseTable(
                "decode_chunks", job: job, allowed: \.decodeChunkSuccessors, keyColumns: "frame_begin, frame_end, chunk",
                keyValues: { "0, 4, \($0)" }, keyMatch: "job_id = \(job) AND chunk = $1", keyText: { "job_id \(job), chunk \($0)" }),
            store: store)
    }

    /// The moves a bug would most likely make, through raw statements on rows the
    /// store made: each is refused, names the row and both states, and changes nothing.
    @Test func typicalIllegalMovesAreRefusedWithTheirRowAndStates() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 1)
        let shard = try #require(
            try store.claimShards(worker: "w1", limit: 1, now: t0, leaseDuration: .seconds(60), maxTries: 3).first)
        #expect(try store.completeShard(job: id, shard: shard.shard, attempt: 1, worker: "w1", outputSHA: sha(5)) != nil)
        let leaseAgain = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute(
                "UPDATE shards SET state = 'leased', lease_expires_at_ms = 1 WHERE job_id = $1", [.int64(id)])
        }
        #expect(
            "\(leaseAgain.map { "\($0)" } ?? "")".contains(
                "illegal state transition on shards: job_id \(id), region 0, block 0 may not go from done to leased"))
        #expect(try store.shards(job: id)[0].status.state == .done)

        #expect(try store.startDecoding(job: id, latentsSHA: sha(6), chunks: [DecodeChunk(index: 0, frames: 0 ..< 2, warmup: 0, temporalStride: 4)]))
        #expect(try store.finishJob(id: id, latentsSHA: sha(6), outputSHA: sha(7)))
        let rerun = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE jobs SET state = 'running', finished_at = NULL WHERE id = $1", [.int64(id)])
        }
        #expect("\(rerun.map { "\($0)" } ?? "")".contains("on jobs: id \(id) may not go from succeeded to running"))
        #expect(try store.job(id: id)?.state == .succeeded)

        let other = try ClaimTests.makeJob(store, regions: 1)
        #expect(try store.cancelJob(id: other) != nil)
        let revive = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE jobs SET state = 'running', finished_at = NULL WHERE id = $1", [.int64(other)])
        }
        #expect("\(revive.map { "\($0)" } ?? "")".contains("on jobs: id \(other) may not go from cancelled to running"))
        let resurrect = expectServerError("23514") { () throws(StoreError) in
            try store.connection.execute("UPDATE shards SET state = 'ready' WHERE job_id = $1", [.int64(other)])
        }
        #expect("\(resurrect.map { "\($0)" } ?? "")".contains("may not go from cancelled to ready"))
        #expect(try store.job(id: other)?.state == .cancelled)
    }

    /// Setting a state to itself is no move: a statement that writes the state
    /// column without changing it passes.
    @Test func stayingInAStateIsNoMove() throws {
        let (store, _) = try TestDatabase.freshFarm()
        let id = try ClaimTests.makeJob(store, regions: 1)
        #expect(try store.cancelJob(id: id) != nil)
        try store.connection.execute("UPDATE jobs SET state = 'cancelled' WHERE id = $1", [.int64(id)])
        try store.connection.execute("UPDATE shards SET state = 'cancelled' WHERE job_id = $1", [.int64(id)])
    }
}
