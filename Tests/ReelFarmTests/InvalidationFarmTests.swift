import Foundation
import ReelCoordinator
import ReelPlan
import ReelStore
import Testing

/// A lost ballot invalidates the loser's unchecked results and everything
/// blended from them, through real processes (issue 14). The coordinator runs
/// the `verify-from-block:2` test fault (blocks 0 and 1 are never checked,
/// block 2 always is), so the poisoning worker surely delivers unchecked,
/// poisoned results that honest workers blend before it is caught at block 2;
/// the job must still end with an undisturbed run's latents.
@Suite(.serialized, .farmSlot) struct InvalidationFarmTests {
    static let reference = ReferenceLatents()

    /// 97 frames (25 latent): 6 windows × 3 step blocks = 18 shards at 64×64.
    static let request = JobRequest(
        name: "invalidation", model: "tiny", prompt: "a lighthouse in a storm", negativePrompt: "blurry", frames: 97, fps: 16,
        width: 64, height: 64, seed: 14, guidance: 5, plan: PlanConfig(window: 6, overlap: 2, steps: 6, blendEvery: 2))

    @Test func aPoisonersUncheckedResultsAndTheirConeAreRedoneAfterItLosesABallot() async throws {
        let expected = try await Self.reference.sha(Self.request)
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator(
            wrapper: ["/usr/bin/env", "REEL_TEST_FAULTS=verify-from-block:2"], arguments: ["--verify-fraction", "0.3"])
        try farm.startWorker("a-poisoner", wrapper: ["/usr/bin/env", "REEL_TEST_FAULTS=poison-results"], arguments: ["--poison-results", "1"])
        for name in ["honest-1", "honest-2"] { try farm.startWorker(name) }
        try await farm.waitForWorkers(3)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request))
        let status = try await farm.waitForEnd(id, timeout: .seconds(300))
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        #expect(status.latentsSha256 == expected, "poisoned results reached the clip")
        #expect(try await farm.worker("a-poisoner")?.quarantinedAt != nil, "the poisoning worker is not quarantined")

        let store = try farm.store()
        // Who had produced (or held) each invalidated shard, by block.
        let invalidated = try store.connection.execute(
            "SELECT block, COALESCE(worker, '-') AS worker, count(*) AS n FROM events WHERE job_id = $1 AND kind = 'shard.invalidated' GROUP BY 1, 2 ORDER BY 1, 2",
            [.int64(id)]
        ).map { row throws(StoreError) -> (block: Int, worker: String, n: Int) in (try row.get("block"), try row.get("worker"), try row.get("n")) }
        print("invalidated (block, previous worker, shards): \(invalidated)")
        #expect(
            invalidated.contains { $0.block < 2 && $0.worker == "a-poisoner" },
            "the poisoner's unchecked results (blocks 0–1) were not invalidated: \(invalidated)")
        #expect(invalidated.contains { $0.worker.hasPrefix("honest") }, "no shard blended from a poisoned result was redone: \(invalidated)")
        // Every invalidation is counted on its row; the job's shards all end done.
        let counts = try store.invalidations(job: id)
        #expect(counts.values.reduce(0, +) == invalidated.map(\.n).reduce(0, +))
        #expect(status.shards["done"] == status.shardTotal)
    }
}
