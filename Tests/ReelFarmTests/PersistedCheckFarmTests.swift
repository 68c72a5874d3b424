import Foundation
import ReelCoordinator
import ReelPlan
import ReelStore
import ReelWorker
import Testing

/// Open checks survive a coordinator restart (issue 14), through real processes:
/// the coordinator (every shard checked: `REEL_TEST_FAULTS=verify-from-block:0`)
/// is killed while a block-0 result's check is open in PostgreSQL; the restarted
/// one re-runs that check before any dependent of the shard completes, and the
/// job ends with the undisturbed latents. Simulated-time stand-in workers, at 832×480.
@Suite(.serialized, .farmSlot) struct PersistedCheckFarmTests {
    @Test func anOpenCheckIsReRunAfterARestartBeforeItsDependentsComplete() async throws {
        let expected = try await RealSizeFaultTests.reference.sha()
        let farm = try ProcessFarm()
        defer { farm.stop() }
        let coordinator = (wrapper: ["/usr/bin/env", "REEL_TEST_FAULTS=verify-from-block:0"], arguments: ["--verify-fraction", "0.3"])
        try await farm.startCoordinator(wrapper: coordinator.wrapper, arguments: coordinator.arguments)
        try farm.startWorker("sim-1", simulatedStepMs: RealSizeFaultTests.stepMs)
        try farm.startWorker("sim-2", simulatedStepMs: RealSizeFaultTests.stepMs)
        try await farm.waitForWorkers(2)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: RealSizeFaultTests.request))
        let store = try farm.store()
        var open: [ShardID] = []
        try await farm.waitUntil(timeout: .seconds(120)) {
            open = try store.connection.execute(
                "SELECT region, block FROM verification_checks WHERE job_id = $1 AND block = 0", [.int64(id)]
            ).map { row throws(StoreError) in ShardID(region: try row.get("region"), block: try row.get("block")) }
            return !open.isEmpty
        }
        farm.killCoordinator()
        print("killed the coordinator with open checks on \(open)")
        try await farm.startCoordinator(wrapper: coordinator.wrapper, arguments: coordinator.arguments)
        let status = try await farm.waitForEnd(id, timeout: .seconds(300))
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        #expect(status.latentsSha256 == expected)

        let plan = try RealSizeFaultTests.request.makePlan(model: SimulatedExecutor(stepTime: .zero).geometry)
        let events = try farm.store().events(job: id, limit: 10_000)
        for shard in open {
            let checked = events.first { $0.shard == shard && ($0.kind == .verifyMatch || $0.kind == .verifyGivenUp) }
            let checkedAt = try #require(checked, "the open check of \(shard) was not re-run after the restart").id
            #expect(checked?.kind == .verifyMatch)
            for dependent in plan.dependents(of: shard) {
                let done = events.first { $0.shard == dependent && $0.kind == .shardDone }
                #expect((done?.id ?? .max) > checkedAt, "\(dependent) completed before the check of its input \(shard)")
            }
        }
        let left = try farm.store().connection.execute("SELECT count(*) AS n FROM verification_checks WHERE job_id = $1", [.int64(id)]).first().get("n", as: Int.self)
        #expect(left == 0, "\(left) checks left open")
    }
}
