import Foundation
import ReelPlan
import ReelWire
import Testing

@testable import ReelCoordinator

/// Pools in the coordinator's decisions: what a hello's pools become, and when a
/// job's status says it waits for a pool.
@Suite struct PoolsCoreTests {
    @Test func aHellosPoolsAreRegisteredCheckedAndSorted() {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: CoordinatorCoreTests.origin)
        var hello = CoordinatorCoreTests.hello("a")
        hello.pools = ["site-paris", "gpu-a100", "not a pool", "site-paris"]
        let actions = core.handle(.hello(CoordinatorCoreTests.peerA, hello, at: CoordinatorCoreTests.at(0)))
        let registered = actions.compactMap { action -> [String]? in
            if case .registerWorker(_, let worker, _) = action { return worker.pools }
            return nil
        }
        #expect(registered == [["gpu-a100", "site-paris"]])
        #expect(actions.contains { if case .reject(_, _, _, _, let reason) = $0 { return reason.contains("not pool names") } else { return false } })
        // A worker in no pool is registered with none, and nothing is rejected.
        var plain = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: CoordinatorCoreTests.origin)
        let quiet = plain.handle(.hello(CoordinatorCoreTests.peerB, CoordinatorCoreTests.hello("b"), at: CoordinatorCoreTests.at(0)))
        #expect(!quiet.contains { if case .reject = $0 { return true } else { return false } })
        #expect(quiet.contains { if case .registerWorker(_, let worker, _) = $0 { return worker.pools.isEmpty } else { return false } })
    }

    @Test func anUnfinishedJobWaitsForAPoolNoConnectedWorkerIsIn() {
        func status(state: String, pool: String?) -> FarmAPI.JobStatus {
            FarmAPI.JobStatus(
                id: 1, name: nil, model: "tiny", state: state, run: 1, reason: nil, shards: [:], shardTotal: 0, decodeChunkStates: nil,
                progress: 0, frames: 0, fps: 0, width: 0, height: 0, windows: 0, latentsSha256: nil, videoSha256: nil, createdAt: nil,
                finishedAt: nil, expiredAt: nil, pool: pool)
        }
        #expect(status(state: "running", pool: "gpu").waiting(pools: ["cpu"]).waiting?.contains("reel worker --pool gpu") == true)
        #expect(status(state: "queued", pool: "gpu").waiting(pools: []).waiting != nil)
        #expect(status(state: "running", pool: "gpu").waiting(pools: ["gpu", "cpu"]).waiting == nil)
        #expect(status(state: "running", pool: nil).waiting(pools: []).waiting == nil)
        #expect(status(state: "succeeded", pool: "gpu").waiting(pools: []).waiting == nil)
    }
}
