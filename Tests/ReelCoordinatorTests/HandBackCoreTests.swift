import Foundation
import ReelPlan
import ReelWire
import Testing

@testable import ReelCoordinator

/// A worker that hands work back unstarted (it is stopping, or had no slot free)
/// is sent nothing more until a heartbeat reports a free slot. Ctrl-C on
/// `reel demo` during the decode had the coordinator offer the handed-back chunk
/// to the stopping worker again 21 times within one second.
@Suite struct HandBackCoreTests {
    typealias T = CoordinatorCoreTests

    /// Worker "a" reports that it could not do shard r0/b0 of job 1 at `token`.
    static func report(
        _ kind: Reel_V1_FailureClass, _ core: inout CoordinatorCore, token: Int, at seconds: Double, message: String = "worker a is stopping"
    ) -> [CoordinatorAction] {
        var failure = Reel_V1_ShardFailure()
        (failure.jobID, failure.attempt, failure.failureClass, failure.message) = (1, UInt32(token), kind, message)
        return core.handle(.failure(T.peerA, failure, at: T.at(seconds)))
    }

    static func claimsForA(_ actions: [CoordinatorAction]) -> Bool {
        actions.contains { if case .claimShards(T.peerA, _, _, _, _, _) = $0 { return true } else { return false } }
    }

    @Test func aWorkerThatHandsWorkBackIsSentNothingUntilItReportsRoom() throws {
        var core = try T.farm()
        _ = T.lease(&core, token: 1)
        let handed = Self.report(.cancelled, &core, token: 1, at: 1)
        #expect(handed.contains { if case .release(.shard(1, T.first), 1, "a", _, true) = $0 { return true } else { return false } })
        #expect(!handed.contains { if case .recordWorkerFailure = $0 { return true } else { return false } }, "a hand-back is no fault of the worker's")
        #expect(!handed.contains { if case .log(.warning, _, _) = $0 { return true } else { return false } }, "a hand-back is routine: \(handed)")
        #expect(core.workers[T.peerA]?.running.isEmpty == true)
        #expect(core.workers[T.peerA]?.freeSlots == 0)
        #expect(!Self.claimsForA(core.handle(.dispatchDue(at: T.at(1), lanesBehind: false))), "offered work again at once")

        // A stopping worker's heartbeats report no free slot: still nothing.
        _ = core.handle(.heartbeat(T.peerA, running: [], at: T.at(2), freeSlots: 0))
        #expect(!Self.claimsForA(core.handle(.dispatchDue(at: T.at(2), lanesBehind: false))))
        // One with room (it was only full) takes work again.
        _ = core.handle(.heartbeat(T.peerA, running: [], at: T.at(3), freeSlots: 2))
        #expect(core.workers[T.peerA]?.freeSlots == 2)
        #expect(Self.claimsForA(core.handle(.dispatchDue(at: T.at(3), lanesBehind: false))))
    }

    /// Other failures are the worker's fault or the item's, not a refusal: the
    /// worker keeps its free slot (the blocklist deals with repeated faults).
    @Test func aFailedShardDoesNotStopDispatchToItsWorker() throws {
        var core = try T.farm()
        _ = T.lease(&core, token: 1)
        let failed = Self.report(.outOfMemory, &core, token: 1, at: 1, message: "out of memory")
        #expect(failed.contains { if case .recordWorkerFailure(1, "a") = $0 { return true } else { return false } })
        #expect(core.workers[T.peerA]?.refusing == false)
        #expect(core.workers[T.peerA]?.freeSlots == 2)
    }
}
