import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// Verification through the coordinator's core, without I/O: a checked shard's
/// dependents wait for its re-run on another worker, a disagreement goes to a
/// third worker, the ballot's loser is quarantined together with the adoption of
/// the winner's output, and a check nobody can answer is given up so the job
/// still finishes. Expected values follow from the rules in the README's
/// "Verified results", not from the code's output.
@Suite struct VerificationCoreTests {
    typealias T = CoordinatorCoreTests
    static let peerC = PeerID([0, 0, 0, 0, 3])
    static let first = ShardID(region: 0, block: 0)

    /// A core checking every shard, with workers "a", "b", "c" (as many as `names` says) and job 1.
    static func farm(_ names: [String] = ["a", "b", "c"]) throws -> CoordinatorCore {
        var config = CoordinatorConfig(dataDirectory: "/nonexistent")
        config.verification = VerificationPolicy(fraction: 1)
        var core = CoordinatorCore(config: config, startedAt: T.origin)
        for (name, peer) in zip(names, [T.peerA, T.peerB, peerC]) {
            _ = core.handle(.hello(peer, T.hello(name), at: T.at(0)))
            _ = core.handle(.workerRegistered(peer, outcome: .committed))
        }
        core.jobs[1] = try T.job()
        return core
    }

    /// Every shard of block 0 but `first` done and settled (checked), so `first`'s
    /// dependents wait only for `first`'s check.
    static func settleOthers(_ core: inout CoordinatorCore, except: Set<ShardID> = []) {
        let policy = core.config.policy
        for shard in core.jobs[1]?.plan.shards ?? [] where shard.block == 0 && shard != first && !except.contains(shard) {
            core.jobs[1]?.shards[shard] = ShardRecord(
                machine: ShardStateMachine(state: .done(worker: "c", attempt: 1), policy: policy), token: 1, outputSHA: "s\(shard.region)")
        }
    }

    /// "a" computes `shard` at token 1 and its result `sha` commits; returns the record order's dependents.
    static func complete(_ core: inout CoordinatorCore, _ shard: ShardID = first, sha: String = "x", at time: LoopTime = T.at(0)) -> [ShardID]? {
        _ = T.lease(&core, shard, token: 1, at: time)
        let recorded = core.handle(.shardResult(T.peerA, job: 1, shard: shard, token: 1, frames: [Data()], at: time))
        guard case .recordShardResult(let order)? = recorded.first else { return nil }
        _ = core.handle(.shardRecorded(peer: T.peerA, worker: "a", job: 1, shard: shard, attempt: 1, outcome: .committed(sha: sha, ready: []), at: time))
        return order.dependents.map(\.shard)
    }

    /// The re-run dispatch orders: (peer, token) of each assignment built for `shard`.
    static func reruns(_ actions: [CoordinatorAction], _ shard: ShardID = first) -> [(PeerID, Int)] {
        actions.compactMap { action in
            if case .buildShardAssignment(let order) = action, order.job == 1, order.shard == shard { return (order.peer, order.token) }
            return nil
        }
    }

    /// The shards `actions` ask the database to make ready, for `cause` if given.
    static func markReady(_ actions: [CoordinatorAction], cause: ReadinessCause? = nil) -> [ShardID] {
        actions.flatMap { action -> [ShardID] in
            if case .markReady(1, let candidates, let why) = action, cause == nil || why == cause { return candidates.map(\.shard) }
            return []
        }
    }

    /// Returns a re-run of `first` from `peer` as worker `name` and the order the core gives the lane.
    static func rerunResult(_ core: inout CoordinatorCore, from peer: PeerID, at time: LoopTime) -> RerunOrder? {
        let actions = core.handle(.shardResult(peer, job: 1, shard: first, token: 1, frames: [Data()], at: time))
        for action in actions { if case .compareRerun(let order) = action { return order } }
        return nil
    }

    @Test func aCheckedShardWaitsForAReRunOnAnotherWorkerAndAMatchReleasesItsDependents() throws {
        var core = try Self.farm()
        Self.settleOthers(&core)
        let dependents = try #require(core.jobs[1]?.plan.dependents(of: Self.first))
        #expect(!dependents.isEmpty)
        // The completing transaction is told no dependents: none becomes ready before the check.
        #expect(Self.complete(&core) == [])
        #expect(core.jobs[1]?.checks[Self.first] != nil)
        #expect(dependents.allSatisfy { T.state(core, $0)?.name == .pending })

        let dispatch = core.dispatchGrantingNothing(at: T.at(1))
        let reruns = Self.reruns(dispatch)
        #expect(reruns.count == 1)
        #expect(reruns.first?.0 == T.peerB, "the re-run goes to a worker that has not voted (b, not a): \(reruns)")
        #expect(reruns.first?.1 == 1, "the re-run carries the checked result's fencing token")
        // Its assignment is sent; its offer is pulled; a heartbeat listing it keeps it.
        let built = core.handle(.assignmentBuilt(peer: T.peerB, work: .shard(job: 1, Self.first), token: 1, frames: .success([Data()])))
        #expect(built.contains { if case .send(_, T.peerB) = $0 { return true } else { return false } })
        var offer = Reel_V1_ResultOffer()
        offer.item.kind = .denoise
        offer.item.jobID = 1
        offer.item.attempt = 1
        let pulled = core.handle(.resultOffer(T.peerB, offer, at: T.at(2)))
        #expect(pulled.contains { if case .pullResult = $0 { return true } else { return false } }, "\(pulled)")

        let order = try #require(Self.rerunResult(&core, from: T.peerB, at: T.at(2)))
        #expect(order.stored == ["x"] && order.worker == "b")
        #expect(core.workers[T.peerB]?.running.isEmpty == true, "the re-run's slot is free once its result is in")
        let matched = core.handle(.rerunCompared(worker: "b", job: 1, shard: Self.first, token: 1, vote: .agrees(sha: "x", maxdiff: 0), at: T.at(3)))
        #expect(matched.contains { if case .appendEvent(1, Self.first, "b", .verifyMatch, _) = $0 { return true } else { return false } })
        #expect(Set(Self.markReady(matched, cause: .inputsSettled)) == Set(dependents))
        // Readying them is normal flow, not a repair: nothing is logged as a warning.
        var answered = core
        let logged = answered.handle(.markedReady(job: 1, outcome: .success(dependents), because: .inputsSettled))
        #expect(!logged.contains { if case .log(.warning, _, _) = $0 { return true } else { return false } }, "\(logged)")
        var repairedCopy = core
        let repaired = repairedCopy.handle(.markedReady(job: 1, outcome: .success(dependents), because: .repair))
        #expect(repaired.contains { if case .log(.warning, "repaired: shards with every input done were pending", _) = $0 { return true } else { return false } })
        #expect(core.jobs[1]?.checks.isEmpty == true)
        #expect(!matched.contains { if case .settleVerification = $0 { return true } else { return false } }, "an agreement quarantines nobody")
        #expect(core.jobs[1]?.shards[Self.first]?.outputSHA == "x")
    }

    @Test func aMismatchGoesToAThirdWorkerAndTheLoserIsQuarantinedWithTheWinnersOutputAdopted() throws {
        var core = try Self.farm()
        Self.settleOthers(&core)
        core.jobs[2] = try T.job(id: 2)
        _ = Self.complete(&core, sha: "poisoned")
        _ = core.dispatchGrantingNothing(at: T.at(1))
        _ = core.handle(.assignmentBuilt(peer: T.peerB, work: .shard(job: 1, Self.first), token: 1, frames: .success([Data()])))
        _ = try #require(Self.rerunResult(&core, from: T.peerB, at: T.at(2)))
        let mismatch = core.handle(.rerunCompared(worker: "b", job: 1, shard: Self.first, token: 1, vote: .differs(sha: "honest", maxdiff: 0.05), at: T.at(2)))
        #expect(mismatch.contains { if case .appendEvent(1, Self.first, "b", .verifyMismatch, _) = $0 { return true } else { return false } })
        #expect(Self.markReady(mismatch).isEmpty, "a disputed shard's dependents keep waiting")
        #expect(core.jobs[1]?.checks[Self.first]?.stored == ["poisoned", "honest"])

        // The tie-break goes to the one worker that has not voted.
        let third = Self.reruns(core.dispatchGrantingNothing(at: T.at(3)))
        #expect(third.map(\.0) == [Self.peerC], "\(third)")
        _ = core.handle(.assignmentBuilt(peer: Self.peerC, work: .shard(job: 1, Self.first), token: 1, frames: .success([Data()])))
        let order = try #require(Self.rerunResult(&core, from: Self.peerC, at: T.at(4)))
        #expect(order.stored == ["poisoned", "honest"])
        let decided = core.handle(.rerunCompared(worker: "c", job: 1, shard: Self.first, token: 1, vote: .agrees(sha: "honest", maxdiff: 0), at: T.at(4)))
        let settle = decided.compactMap { action -> (String?, [String])? in
            if case .settleVerification(1, Self.first, 1, let adopt, let quarantine, _) = action { return (adopt, quarantine) }
            return nil
        }
        #expect(settle.count == 1)
        #expect(settle.first?.0 == "honest" && settle.first?.1 == ["a"])
        #expect(Self.markReady(decided).isEmpty, "nothing moves before the database records the ballot")

        let settled = core.handle(.verificationSettled(job: 1, shard: Self.first, token: 1, adopt: "honest", quarantine: ["a"], outcome: .success(true)))
        #expect(core.quarantined == ["a"])
        #expect(core.jobs[1]?.shards[Self.first]?.outputSHA == "honest", "dependents blend the winner's output")
        #expect(!Self.markReady(settled).isEmpty)

        // "a" is never sent a re-run again: b's result in job 2 is checked by c.
        _ = core.handle(.shardsClaimed(peer: T.peerB, worker: "b", claims: .success([Claim(job: 2, shard: Self.first, attempt: 1)]), at: T.at(5), chunkLimit: nil))
        let recorded = core.handle(.shardResult(T.peerB, job: 2, shard: Self.first, token: 1, frames: [Data()], at: T.at(5)))
        #expect(recorded.contains { if case .recordShardResult = $0 { return true } else { return false } }, "\(recorded)")
        _ = core.handle(.shardRecorded(peer: T.peerB, worker: "b", job: 2, shard: Self.first, attempt: 1, outcome: .committed(sha: "y", ready: []), at: T.at(5)))
        let next = core.dispatchGrantingNothing(at: T.at(6)).compactMap { action -> PeerID? in
            if case .buildShardAssignment(let order) = action, order.job == 2, order.shard == Self.first { return order.peer }
            return nil
        }
        #expect(next == [Self.peerC], "\(next)")
    }

    @Test func aFailedBallotRecordIsAskedAgainAndAMovedShardEndsTheCheck() throws {
        var core = try Self.farm()
        _ = Self.complete(&core, sha: "poisoned")
        _ = core.dispatchGrantingNothing(at: T.at(1))
        _ = core.handle(.assignmentBuilt(peer: T.peerB, work: .shard(job: 1, Self.first), token: 1, frames: .success([Data()])))
        _ = Self.rerunResult(&core, from: T.peerB, at: T.at(2))
        _ = core.handle(.rerunCompared(worker: "b", job: 1, shard: Self.first, token: 1, vote: .differs(sha: "honest", maxdiff: 1), at: T.at(2)))
        _ = core.dispatchGrantingNothing(at: T.at(3))
        _ = core.handle(.assignmentBuilt(peer: Self.peerC, work: .shard(job: 1, Self.first), token: 1, frames: .success([Data()])))
        _ = Self.rerunResult(&core, from: Self.peerC, at: T.at(4))
        _ = core.handle(.rerunCompared(worker: "c", job: 1, shard: Self.first, token: 1, vote: .agrees(sha: "honest", maxdiff: 0), at: T.at(4)))
        let failed = core.handle(.verificationSettled(job: 1, shard: Self.first, token: 1, adopt: "honest", quarantine: ["a"], outcome: .failure(StoreFailure("down"))))
        #expect(core.quarantined.isEmpty && Self.markReady(failed).isEmpty)
        let again = core.handle(.tick(at: T.at(4.5)))
        #expect(again.contains { if case .settleVerification(1, Self.first, 1, "honest", ["a"], _) = $0 { return true } else { return false } }, "\(again)")
        let moved = core.handle(.verificationSettled(job: 1, shard: Self.first, token: 1, adopt: "honest", quarantine: ["a"], outcome: .success(false)))
        #expect(core.jobs[1]?.checks.isEmpty == true && core.quarantined.isEmpty && Self.markReady(moved).isEmpty)
    }

    /// A re-run whose worker disconnects goes to another worker; with nobody
    /// left who may re-run it, the check is given up after a heartbeat timeout
    /// and the dependents go on, so a one-worker farm still finishes.
    @Test func aLostReRunIsHandedOnAndACheckNobodyCanAnswerIsGivenUp() throws {
        var core = try Self.farm(["a", "b"])
        Self.settleOthers(&core)
        _ = Self.complete(&core)
        #expect(Self.reruns(core.dispatchGrantingNothing(at: T.at(1))).map(\.0) == [T.peerB])
        _ = core.handle(.peerUnreachable(T.peerB, reason: "gone", at: T.at(1)))
        let lost = core.handle(.tick(at: T.at(1.5)))
        #expect(Self.markReady(lost).isEmpty)
        #expect(core.jobs[1]?.checks[Self.first]?.rerun == nil, "the lost re-run is no longer b's")
        #expect(Self.markReady(core.handle(.tick(at: T.at(5)))).isEmpty, "within a heartbeat timeout a worker may still come")
        let given = core.handle(.tick(at: T.at(7)))
        #expect(given.contains { if case .appendEvent(1, Self.first, nil, .verifyGivenUp, _) = $0 { return true } else { return false } }, "\(given)")
        #expect(!Self.markReady(given).isEmpty)
        #expect(core.jobs[1]?.checks.isEmpty == true)
    }

    /// A dependent reading two checked shards waits for both checks: the first
    /// agreement must not release it while its other input could still be replaced.
    @Test func aDependentWaitsForTheChecksOfAllItsInputs() throws {
        var core = try Self.farm()
        let plan = try #require(core.jobs[1]?.plan)
        let dependent = try #require(plan.dependents(of: Self.first).first { plan.dependencies(of: $0).count > 1 })
        let other = try #require(plan.dependencies(of: dependent).first { $0 != Self.first })
        #expect(Self.complete(&core, Self.first, sha: "x") == [])
        #expect(Self.complete(&core, other, sha: "y") == [])
        for input in plan.dependencies(of: dependent) where input != Self.first && input != other {
            _ = Self.complete(&core, input, sha: "z\(input.region)")
        }
        // b re-runs the first; it agrees.
        _ = core.dispatchGrantingNothing(at: T.at(1))
        _ = core.handle(.assignmentBuilt(peer: T.peerB, work: .shard(job: 1, Self.first), token: 1, frames: .success([Data()])))
        _ = try #require(Self.rerunResult(&core, from: T.peerB, at: T.at(2)))
        let firstMatch = core.handle(.rerunCompared(worker: "b", job: 1, shard: Self.first, token: 1, vote: .agrees(sha: "x", maxdiff: 0), at: T.at(2)))
        #expect(!Self.markReady(firstMatch).contains(dependent), "released while \(other) is still under check")
        // Every other check agrees; the last one releases the dependent.
        var released = false
        for input in plan.dependencies(of: dependent) where input != Self.first {
            _ = core.dispatchGrantingNothing(at: T.at(3))
            let peer = try #require(core.jobs[1]?.checks[input]?.rerun?.peer, "no re-run of \(input)")
            _ = core.handle(.assignmentBuilt(peer: peer, work: .shard(job: 1, input), token: 1, frames: .success([Data()])))
            let result = core.handle(.shardResult(peer, job: 1, shard: input, token: 1, frames: [Data()], at: T.at(3)))
            #expect(result.contains { if case .compareRerun = $0 { return true } else { return false } })
            let name = core.workers[peer]?.name ?? ""
            let sha = core.jobs[1]?.shards[input]?.outputSHA ?? ""
            let match = core.handle(.rerunCompared(worker: name, job: 1, shard: input, token: 1, vote: .agrees(sha: sha, maxdiff: 0), at: T.at(3)))
            released = released || Self.markReady(match).contains(dependent)
        }
        #expect(released)
        #expect(core.jobs[1]?.checks.isEmpty == true)
    }

    /// The reconciler, which readies pending shards whose inputs are done, holds
    /// back a shard whose input is under check.
    @Test func theReconcilerDoesNotReadyAShardWhoseInputIsUnderCheck() throws {
        var core = try Self.farm()
        Self.settleOthers(&core)
        _ = Self.complete(&core)
        let dependents = try #require(core.jobs[1]?.plan.dependents(of: Self.first))
        #expect(Set(Self.markReady(core.continueJob(1))).isDisjoint(with: dependents))
        core.jobs[1]?.checks[Self.first] = nil
        #expect(Set(Self.markReady(core.continueJob(1), cause: .repair)).isSuperset(of: dependents))
    }

    /// The final blend waits for the job's open checks.
    @Test func theFinalBlendWaitsForOpenChecks() throws {
        var core = try Self.farm(["a"])
        let plan = try #require(core.jobs[1]?.plan)
        let last = try #require(plan.finalShards.first)
        let policy = core.config.policy
        for shard in plan.shards where shard != last {
            core.jobs[1]?.shards[shard] = ShardRecord(machine: ShardStateMachine(state: .done(worker: "a", attempt: 1), policy: policy), token: 1, outputSHA: "s\(shard.region)")
        }
        core.jobs[1]?.shards[last]?.machine = .ready(policy: policy)
        _ = T.lease(&core, last, token: 1)
        _ = core.handle(.shardResult(T.peerA, job: 1, shard: last, token: 1, frames: [Data()], at: T.at(0)))
        let recorded = core.handle(.shardRecorded(peer: T.peerA, worker: "a", job: 1, shard: last, attempt: 1, outcome: .committed(sha: "z", ready: []), at: T.at(0)))
        #expect(core.jobs[1]?.allShardsDone == true)
        #expect(!recorded.contains { if case .blendClip = $0 { return true } else { return false } }, "the clip is not blended while a check is open")
        let given = core.handle(.tick(at: T.at(6)))
        #expect(given.contains { if case .blendClip = $0 { return true } else { return false } }, "\(given)")
    }

    /// Off: no shard is checked and the completing transaction makes dependents ready as before.
    @Test func aZeroFractionChecksNothing() throws {
        var core = try T.farm()
        _ = T.lease(&core, Self.first, token: 1)
        let recorded = core.handle(.shardResult(T.peerA, job: 1, shard: Self.first, token: 1, frames: [Data()], at: T.at(0)))
        guard case .recordShardResult(let order)? = recorded.first else {
            Issue.record("the result must be recorded: \(recorded)")
            return
        }
        #expect(!order.dependents.isEmpty)
        _ = core.handle(.shardRecorded(peer: T.peerA, worker: "a", job: 1, shard: Self.first, attempt: 1, outcome: .committed(sha: "x", ready: []), at: T.at(0)))
        #expect(core.jobs[1]?.checks.isEmpty == true)
    }
}
