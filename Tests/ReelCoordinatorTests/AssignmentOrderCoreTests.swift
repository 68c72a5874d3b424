import Foundation
import ReelPlan
import ReelWire
import Testing

@testable import ReelCoordinator

/// Assignments reach a worker in the order the core gave them, although the two
/// `inputs` threads may finish building them in another. Only the first
/// assignment of a job that a worker gets carries the prompt embeddings; at
/// 832×480 `reel demo` had a later one overtake it on the first dispatch and be
/// handed back as "missing prompt embeddings".
@Suite struct AssignmentOrderCoreTests {
    typealias T = CoordinatorCoreTests
    static let second = ShardID(region: 1, block: 0)

    static func order(_ actions: [CoordinatorAction]) -> ShardAssignmentOrder? {
        for case .buildShardAssignment(let order) in actions { return order }
        return nil
    }

    static func sent(_ actions: [CoordinatorAction]) -> [[Data]] {
        actions.compactMap { if case .send(let frames, T.peerA) = $0 { return frames } else { return nil } }
    }

    static func built(_ core: inout CoordinatorCore, _ shard: ShardID, _ tag: String) -> [CoordinatorAction] {
        core.handle(.assignmentBuilt(peer: T.peerA, work: .shard(job: 1, shard), token: 1, frames: .success([Data(tag.utf8)])))
    }

    /// The farm's case: two shards of one job leased to one worker at once.
    static func twoLeased() throws -> CoordinatorCore {
        var core = try T.farm()
        let first = Self.order(T.lease(&core, T.first, token: 1))
        let second = Self.order(T.lease(&core, Self.second, token: 1))
        #expect(first?.withEmbeds == true, "the worker's first assignment of the job carries the embeddings")
        #expect(second?.withEmbeds == false, "the next one relies on the first having arrived")
        return core
    }

    @Test func anAssignmentBuiltFirstWaitsForTheOneGivenBeforeIt() throws {
        var core = try Self.twoLeased()
        let early = Self.built(&core, Self.second, "second")
        #expect(Self.sent(early).isEmpty, "sent before the assignment with the embeddings: \(early)")
        let both = Self.built(&core, T.first, "first")
        #expect(Self.sent(both) == [[Data("first".utf8)], [Data("second".utf8)]], "in the order given: \(both)")
        #expect(core.workers[T.peerA]?.outbox.count == 0)
    }

    @Test func assignmentsBuiltInOrderAreSentAtOnce() throws {
        var core = try Self.twoLeased()
        #expect(Self.sent(Self.built(&core, T.first, "first")) == [[Data("first".utf8)]])
        #expect(Self.sent(Self.built(&core, Self.second, "second")) == [[Data("second".utf8)]])
        #expect(core.workers[T.peerA]?.outbox.count == 0)
    }

    /// A waiting assignment whose lease ends before the one ahead of it is built
    /// is not sent, and one that is moot does not hold up those behind it.
    @Test func aWaitingAssignmentWhoseLeaseEndedIsNotSent() throws {
        var core = try Self.twoLeased()
        #expect(Self.sent(Self.built(&core, Self.second, "second")).isEmpty)
        // The second shard's lease moves to another attempt while it waits.
        core.jobs[1]?.shards[Self.second]?.token = 2
        let flushed = Self.built(&core, T.first, "first")
        #expect(Self.sent(flushed) == [[Data("first".utf8)]], "only the first is still current: \(flushed)")

        var moot = try Self.twoLeased()
        #expect(Self.sent(Self.built(&moot, Self.second, "second")).isEmpty)
        // The first shard's lease moves on while it is built: it is moot.
        moot.jobs[1]?.shards[T.first]?.token = 2
        let after = Self.built(&moot, T.first, "first")
        #expect(Self.sent(after) == [[Data("second".utf8)]], "the moot first is not sent and does not hold up the second: \(after)")
        #expect(moot.workers[T.peerA]?.outbox.count == 0)
    }

    /// The same process saying hello again keeps its running work and embeddings,
    /// so its assignments being built keep their order too.
    @Test func aWorkerThatSaysHelloAgainKeepsTheOrder() throws {
        var core = try Self.twoLeased()
        #expect(Self.sent(Self.built(&core, Self.second, "second")).isEmpty)
        _ = core.handle(.hello(T.peerA, T.hello("a"), at: T.at(1)))
        #expect(Self.sent(Self.built(&core, T.first, "first")) == [[Data("first".utf8)], [Data("second".utf8)]])
    }

    /// An answer for an assignment the outbox never ordered (the worker registered
    /// again while it was built) waits for nothing and is dropped as moot.
    @Test func aStaleBuildFromAnEarlierRegistrationIsDropped() throws {
        var core = try T.farm()
        let stale = Self.built(&core, T.first, "stale")
        #expect(Self.sent(stale).isEmpty)
        #expect(core.workers[T.peerA]?.outbox.count == 0)
    }
}
