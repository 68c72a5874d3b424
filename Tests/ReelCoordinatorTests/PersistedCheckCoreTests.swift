import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// Open checks survive a restart: a checked result's commit stores its check,
/// a resumed job gets it back (its dependents keep waiting and it is re-run),
/// and a check that closes without a ballot deletes its row before its
/// dependents are made ready.
@Suite struct PersistedCheckCoreTests {
    typealias T = CoordinatorCoreTests
    typealias V = VerificationCoreTests
    static func s(_ region: Int, _ block: Int) -> ShardID { ShardID(region: region, block: block) }

    /// Block 0 done, (0,0) under check when the coordinator stopped: after the
    /// restart only (2,1), which reads (1,0) and (2,0) but not (0,0), is made
    /// ready; (0,1) and (1,1) wait for the check, which is re-run.
    /// Job 1 as stored: block 0 done by "a" (output `sha-REGION`), block 1 pending.
    static func blockZeroDone(checks: [OpenCheckRow] = [], confirmed: Set<ShardID> = []) throws -> JobSnapshot {
        let job = try T.job()
        let spec = try StoredJob(request: job.request, model: job.model, decodeWarmup: nil).json()
        let shards = job.plan.shards.map { shard in
            (shard: shard, row: shard.block == 0
                ? ItemSnapshot(state: .done(worker: "a", attempt: 1), token: 1, worker: "a", outputSHA: "sha-\(shard.region)")
                : ItemSnapshot(state: .pending, token: 0, worker: nil, outputSHA: nil))
        }
        return JobSnapshot(
            id: 1, state: .running(attempt: 1), spec: spec, promptSHA: "p", negativeSHA: nil, latentsSHA: nil, shards: shards, chunks: [],
            checks: checks, confirmed: confirmed)
    }

    @Test func aResumedJobKeepsItsOpenCheckAndItsDependentsWait() throws {
        var core = CoordinatorCore(config: { var c = CoordinatorConfig(dataDirectory: "/nonexistent"); c.verification = VerificationPolicy(fraction: 1); return c }(), startedAt: T.origin)
        let stored = try Self.blockZeroDone(
            checks: [OpenCheckRow(shard: V.first, attempt: 1, worker: "a", sha: "sha-0"), OpenCheckRow(shard: Self.s(1, 0), attempt: 7, worker: "a", sha: "old")])
        let actions = core.handle(.recovered([stored]))
        #expect(core.jobs[1]?.checks[V.first]?.stored == ["sha-0"])
        #expect(core.jobs[1]?.checks[Self.s(1, 0)] == nil, "a check of an older attempt is moot")
        let ready = V.markReady(actions)
        #expect(Set(ready) == [Self.s(2, 1)], "only the shard reading no checked input is made ready: \(ready)")
        // The restored check is re-run by a worker other than "a".
        _ = core.handle(.hello(T.peerA, T.hello("a"), at: T.at(0)))
        _ = core.handle(.workerRegistered(T.peerA, outcome: .committed))
        _ = core.handle(.hello(T.peerB, T.hello("b"), at: T.at(0)))
        _ = core.handle(.workerRegistered(T.peerB, outcome: .committed))
        let reruns = V.reruns(core.handle(.dispatchDue(at: T.at(1), lanesBehind: false)))
        #expect(reruns.map(\.0) == [T.peerB] && reruns.first?.1 == 1, "\(reruns)")
    }

    @Test func aCheckedResultIsStoredWithItsCheckAndAnAgreementDeletesItBeforeReadying() throws {
        var core = try V.farm()
        V.settleOthers(&core)
        _ = T.lease(&core, V.first, token: 1, at: T.at(0))
        let recorded = core.handle(.shardResult(T.peerA, job: 1, shard: V.first, token: 1, frames: [Data()], at: T.at(0)))
        guard case .recordShardResult(let order)? = recorded.first else {
            Issue.record("no record order: \(recorded)")
            return
        }
        #expect(order.openCheck && order.dependents.isEmpty)
        _ = core.handle(.shardRecorded(peer: T.peerA, worker: "a", job: 1, shard: V.first, attempt: 1, outcome: .committed(sha: "x", ready: []), at: T.at(0)))
        _ = core.handle(.dispatchDue(at: T.at(1), lanesBehind: false))
        _ = core.handle(.assignmentBuilt(peer: T.peerB, work: .shard(job: 1, V.first), token: 1, frames: .success([Data()])))
        _ = V.rerunResult(&core, from: T.peerB, at: T.at(2))
        let matched = core.handle(.rerunCompared(worker: "b", job: 1, shard: V.first, token: 1, vote: .agrees(sha: "x", maxdiff: 0), at: T.at(3)))
        let forget = matched.firstIndex { if case .forgetCheck(1, V.first) = $0 { return true } else { return false } }
        let ready = matched.firstIndex { if case .markReady = $0 { return true } else { return false } }
        #expect(forget != nil && ready != nil && forget! < ready!, "\(matched)")
    }
}
