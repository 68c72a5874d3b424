import Foundation
import ReelCoordinator
import ReelPlan
import ReelStore
import Testing

/// Verified results through real processes (issue 14): a worker that spoils its
/// results (the `--poison-results` test fault) among three honest ones is caught
/// by re-runs, quarantined in PostgreSQL, and the job's latents are an
/// undisturbed run's.
@Suite(.serialized, .farmSlot) struct VerificationFarmTests {
    static let reference = ReferenceLatents()

    @Test func aPoisoningWorkerIsQuarantinedAndTheJobKeepsTheUndisturbedLatents() async throws {
        let request = TestFarm.request()
        let expected = try await Self.reference.sha(request)
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator(arguments: ["--verify-fraction", "1"])
        // Named to sort first: a re-run goes to the worker with the most free slots, ties by
        // name, so the poisoner surely votes even if the honest workers take every shard
        // (on a loaded machine it may start last).
        try farm.startWorker("a-poisoner", wrapper: ["/usr/bin/env", "REEL_TEST_FAULTS=poison-results"], arguments: ["--poison-results", "1"])
        for name in ["honest-1", "honest-2", "honest-3"] { try farm.startWorker(name) }
        try await farm.waitForWorkers(4)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        let status = try await farm.waitForEnd(id, timeout: .seconds(300))
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.latentsSha256 == expected, "the poisoned results reached the clip")

        let poisoner = try await farm.worker("a-poisoner")
        #expect(poisoner?.quarantinedAt != nil, "the poisoning worker is not quarantined")
        for name in ["honest-1", "honest-2", "honest-3"] { #expect(try await farm.worker(name)?.quarantinedAt == nil, "\(name) was quarantined") }

        let counts = try farm.store().connection.execute(
            """
            SELECT kind, COALESCE(worker, '-') AS worker, count(*) AS n FROM events
            WHERE job_id = $1 AND (kind LIKE 'verify.%' OR kind = 'worker.quarantined') GROUP BY 1, 2 ORDER BY 1, 2
            """,
            [.int64(id)]
        ).map { row throws(StoreError) -> String in "\(try row.get("kind", as: String.self)) \(try row.get("worker", as: String.self)) \(try row.get("n", as: Int.self))" }
        print("verification events: \(counts)")
        #expect(counts.contains { $0.hasPrefix("verify.match ") })
        #expect(counts.contains { $0.hasPrefix("verify.mismatch ") })
        #expect(counts.contains { $0.hasPrefix("worker.quarantined a-poisoner ") })
        #expect(!counts.contains { $0.hasPrefix("worker.quarantined honest") })
        // Every shard was checked (fraction 1) or its check given up; none was left unverified silently.
        let shards = status.shardTotal
        let settled = try farm.store().connection.execute(
            "SELECT count(DISTINCT (region, block)) AS n FROM events WHERE job_id = $1 AND kind IN ('verify.match', 'verify.given-up', 'verify.mismatch')",
            [.int64(id)]
        ).first().get("n", as: Int.self)
        #expect(settled == shards, "\(settled) of \(shards) shards were checked")
    }
}
