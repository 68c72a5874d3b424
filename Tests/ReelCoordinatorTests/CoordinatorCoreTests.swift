import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// The coordinator's decisions as a value: events in, actions out, with no
/// database, socket or clock. Each expected value follows from the farm's rules
/// (issue 11): memory moves only with the database's answer, an unknown answer is
/// settled by reading the row, a result being recorded is not requeued, and slots
/// never leak.
@Suite struct CoordinatorCoreTests {
    static let origin = ContinuousClock.now
    static let peerA = PeerID([0, 0, 0, 0, 1])
    static let peerB = PeerID([0, 0, 0, 0, 2])
    static let first = ShardID(region: 0, block: 0)

    /// `seconds` after the test's origin, on both clocks the core takes.
    static func at(_ seconds: Double) -> LoopTime {
        LoopTime(instant: origin + .milliseconds(Int64(seconds * 1000)), stamp: Timestamp(milliseconds: 1_000_000 + Int64(seconds * 1000)))
    }

    static func hello(_ name: String, slots: UInt32 = 1, bootID: String = "boot") -> Reel_V1_Hello {
        var hello = Reel_V1_Hello()
        hello.workerName = name
        hello.protocolVersion = WireProtocol.version
        (hello.cores, hello.threads, hello.slots) = (1, 1, slots)
        hello.bootID = bootID
        hello.modelInfos = [WorkerGeometryTests.info()]
        return hello
    }

    /// A running job of model "wan" whose block-0 shards are ready.
    static func job(id: Int64 = 1, loop: Bool = false) throws -> JobRuntime {
        let request = JobRequest(
            model: "wan", frames: 49, width: 64, height: 64, seed: 3, plan: PlanConfig(window: 6, overlap: 2, loop: loop, steps: 4, blendEvery: 2))
        let plan = try request.makePlan(model: .wan21_1_3B)
        let policy = CoordinatorConfig(dataDirectory: "/nonexistent").policy
        var shards: [ShardID: ShardRecord] = [:]
        for shard in plan.shards {
            shards[shard] = ShardRecord(machine: shard.block == 0 ? .ready(policy: policy) : ShardStateMachine(policy: policy), token: 0, outputSHA: nil)
        }
        return JobRuntime(
            id: id, request: request, model: .wan21_1_3B, plan: plan, promptSHA: "p", negativeSHA: nil, decodeWarmup: nil,
            machine: JobStateMachine(state: .running(attempt: 1)), shards: shards)
    }

    /// A core with worker "a" (one slot) connected at 0 s and a running job.
    static func farm() throws -> CoordinatorCore {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: origin)
        _ = core.handle(.hello(peerA, hello("a"), at: at(0)))
        _ = core.handle(.workerRegistered(peerA, outcome: .committed))
        core.jobs[1] = try job()
        return core
    }

    /// Leases `shard` of job 1 to "a" at fencing token `token`, as dispatch does.
    static func lease(_ core: inout CoordinatorCore, _ shard: ShardID = first, token: Int = 1, at time: LoopTime = at(0)) -> [CoordinatorAction] {
        core.handle(.shardsClaimed(peer: peerA, worker: "a", claims: .success([Claim(job: 1, shard: shard, attempt: token)]), at: time, chunkLimit: nil))
    }

    static func state(_ core: CoordinatorCore, _ shard: ShardID = first) -> ShardState? { core.jobs[1]?.shards[shard]?.machine.state }

    // MARK: Workers

    @Test func aWorkerCountsAsConnectedOnlyOnceTheDatabaseHasIt() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Self.origin)
        let actions = core.handle(.hello(Self.peerA, Self.hello("a"), at: Self.at(0)))
        #expect(actions.contains { if case .registerWorker(Self.peerA, let worker, _) = $0 { return worker.name == "a" } else { return false } })
        #expect(!actions.contains { if case .welcome = $0 { return true } else { return false } })
        #expect(core.workers.isEmpty)
        let answered = core.handle(.workerRegistered(Self.peerA, outcome: .committed))
        #expect(answered.contains { if case .welcome(Self.peerA, "a") = $0 { return true } else { return false } })
        #expect(core.workers[Self.peerA]?.name == "a")

        // An unknown outcome is refused as "not registered", which makes the worker
        // say hello again (any other refusal could end it); nothing half-registered stays.
        _ = core.handle(.hello(Self.peerB, Self.hello("b"), at: Self.at(0)))
        let refused = core.handle(.workerRegistered(Self.peerB, outcome: .unknown("connection lost")))
        #expect(refused.contains { if case .refuse(Self.peerB, .notRegistered, _) = $0 { return true } else { return false } })
        #expect(core.workers[Self.peerB] == nil && core.registering.isEmpty)
    }

    @Test func aLiveWorkerKeepsItsName() throws {
        var core = try Self.farm()
        let actions = core.handle(.hello(Self.peerB, Self.hello("a", bootID: "other"), at: Self.at(1)))
        #expect(actions.contains { if case .refuse(Self.peerB, .duplicateName, _) = $0 { return true } else { return false } })
        #expect(core.workers.count == 1 && core.workers[Self.peerA] != nil)
    }

    /// Credits: one slot plus one prefetched; they never go negative, and each
    /// result or cancel gives its slot back.
    @Test func creditsNeverGoNegativeOrLeak() throws {
        var core = try Self.farm()
        #expect(core.workers[Self.peerA]?.freeSlots == 2)
        let dispatch = core.handle(.dispatchDue(at: Self.at(0), lanesBehind: false))
        guard case .claimShards(Self.peerA, "a", ["wan"], let limit, _, _)? = dispatch.first else {
            Issue.record("dispatch must claim for the idle worker: \(dispatch)")
            return
        }
        #expect(limit == 2)
        let second = ShardID(region: 1, block: 0)
        _ = Self.lease(&core, Self.first, token: 1)
        _ = Self.lease(&core, second, token: 1)
        #expect(core.workers[Self.peerA]?.freeSlots == 0)
        #expect(core.handle(.dispatchDue(at: Self.at(0), lanesBehind: false)).isEmpty)
        // The worker also runs three stale attempts: still no negative credit.
        var stale = Reel_V1_WorkItem()
        stale.jobID = 9
        _ = core.handle(.heartbeat(Self.peerA, running: [stale, stale, stale], at: Self.at(1)))
        #expect(core.workers[Self.peerA]?.freeSlots == 0)
        _ = core.handle(.heartbeat(Self.peerA, running: [], at: Self.at(2)))
        // A result (even one later refused) frees its slot at once.
        _ = core.handle(.shardResult(Self.peerA, job: 1, shard: Self.first, token: 1, frames: [], at: Self.at(1)))
        #expect(core.workers[Self.peerA]?.freeSlots == 1)
        _ = core.handle(.shardResult(Self.peerA, job: 1, shard: second, token: 7, frames: [], at: Self.at(1)))
        #expect(core.workers[Self.peerA]?.freeSlots == 2)
    }

    /// Cancel revokes what workers hold of the job and frees their slots; a
    /// result that arrives for it afterwards is refused without taking a slot.
    @Test func cancelFreesSlots() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, Self.first, token: 1)
        _ = Self.lease(&core, ShardID(region: 1, block: 0), token: 1)
        let actions = core.endJob(1, reason: "job 1 cancelled")
        let cancels = actions.filter { if case .cancel(Self.peerA, let work, 1, _) = $0 { return work.job == 1 } else { return false } }
        #expect(cancels.count == 2)
        #expect(core.jobs[1] == nil)
        #expect(core.workers[Self.peerA]?.running.isEmpty == true && core.workers[Self.peerA]?.freeSlots == 2)
        let late = core.handle(.shardResult(Self.peerA, job: 1, shard: Self.first, token: 1, frames: [], at: Self.at(1)))
        #expect(late.contains { if case .reject = $0 { return true } else { return false } })
        #expect(core.workers[Self.peerA]?.freeSlots == 2)
    }

    /// A worker that no longer lists an item it was sent more than a heartbeat
    /// timeout ago has lost it: the slot is freed and the item requeued (once the
    /// database agrees). Within the timeout, the item may still be on its way.
    @Test func anItemAWorkerNoLongerListsIsLost() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, token: 1)
        #expect(core.handle(.heartbeat(Self.peerA, running: [], at: Self.at(3))).isEmpty)
        #expect(core.workers[Self.peerA]?.freeSlots == 1)
        let actions = core.handle(.heartbeat(Self.peerA, running: [], at: Self.at(6)))
        #expect(actions.contains { if case .requeue(.shard(1, Self.first), 1, "a", _, _, _) = $0 { return true } else { return false } })
        #expect(core.workers[Self.peerA]?.freeSlots == 2)
    }

    /// After a coordinator restart the database may hold leases in the name of a
    /// worker that never got them (the old coordinator died before sending). When
    /// that worker registers and does not list them, they are lost within a
    /// heartbeat timeout, not when the 60 s lease runs out.
    @Test func recoveredLeasesAWorkerDoesNotHaveAreLostWithinAHeartbeatTimeout() throws {
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: Self.origin)
        var job = try Self.job()
        let policy = CoordinatorConfig(dataDirectory: "/nonexistent").policy
        job.shards[Self.first] = ShardRecord(
            machine: ShardStateMachine(state: .leased(worker: "a", attempt: 1, expiresAt: Self.at(60).stamp), policy: policy), token: 1, outputSHA: nil)
        core.jobs[1] = job
        _ = core.handle(.hello(Self.peerA, Self.hello("a"), at: Self.at(1)))
        _ = core.handle(.workerRegistered(Self.peerA, outcome: .committed))
        #expect(core.workers[Self.peerA]?.running[.shard(job: 1, Self.first)] != nil, "the recovered lease fills a slot")
        #expect(core.handle(.heartbeat(Self.peerA, running: [], at: Self.at(4))).isEmpty)
        let actions = core.handle(.heartbeat(Self.peerA, running: [], at: Self.at(7)))
        #expect(actions.contains { if case .requeue(.shard(1, Self.first), 1, "a", _, _, _) = $0 { return true } else { return false } }, "\(actions)")
    }

    /// A loop that did not listen (a stopped process) holds nobody's silence
    /// against them; without the pause, the same silence loses the worker.
    @Test func aPausedLoopForgivesSilence() throws {
        var paused = try Self.farm()
        var unpaused = paused
        _ = paused.handle(.loopPaused(gap: .seconds(10), at: Self.at(10)))
        _ = paused.handle(.tick(at: Self.at(11)))
        #expect(paused.workers[Self.peerA] != nil)
        _ = unpaused.handle(.tick(at: Self.at(11)))
        #expect(unpaused.workers[Self.peerA] == nil)
    }

    // MARK: Leases

    /// An expired lease is requeued only when the database says so; an unknown
    /// answer is settled by reading the row, and each answer leads to its state.
    @Test func anUnknownRequeueIsSettledByReadingTheRow() throws {
        var template = try Self.farm()
        _ = Self.lease(&template, token: 4)
        let expiry = Self.at(61)

        var core = template
        let actions = core.handle(.tick(at: expiry))
        // Lost twice over (silent worker, expired lease), asked once.
        let requeues = actions.compactMap({ action -> (Int, ShardStateMachine)? in
            if case .requeue(.shard(1, Self.first), let token, "a", _, _, let then) = action { return (token, then) } else { return nil }
        })
        #expect(requeues.count == 1)
        guard let requeue = requeues.first else {
            Issue.record("the expired lease must be requeued: \(actions)")
            return
        }
        #expect(requeue.0 == 4)
        // Memory waits for the answer.
        #expect(Self.state(core)?.name == .leased)
        let unknown = core.handle(.requeued(.shard(job: 1, Self.first), token: 4, reason: "expired", then: requeue.1, outcome: .unknown("connection lost")))
        #expect(unknown.contains { if case .readBack(.shard(1, Self.first), let fallback) = $0 { return fallback != nil } else { return false } })
        #expect(Self.state(core)?.name == .leased)

        // The requeue happened: memory takes the row, ready after a backoff.
        var happened = core
        let backoff = Timestamp(milliseconds: 1_063_000)
        _ = happened.handle(.readBack(.shard(job: 1, Self.first), row: .success(ItemSnapshot(state: .ready(attempts: 1, notBefore: backoff), token: 4)), fallback: requeue.1))
        #expect(Self.state(happened) == .ready(attempts: 1, notBefore: backoff))
        #expect(happened.jobs[1]?.shards[Self.first]?.token == 4)

        // It did not: the lease stands in memory as in the database, and expires again.
        var notHappened = core
        let lease = ShardState.leased(worker: "a", attempt: 1, expiresAt: Timestamp(milliseconds: 1_060_000))
        _ = notHappened.handle(.readBack(.shard(job: 1, Self.first), row: .success(ItemSnapshot(state: lease, token: 4, worker: "a")), fallback: requeue.1))
        #expect(Self.state(notHappened) == lease)
        #expect(notHappened.handle(.tick(at: Self.at(62))).contains { if case .requeue = $0 { return true } else { return false } })

        // The row cannot be read either: memory takes the requeue (the reconciler reads it later).
        var unreadable = core
        _ = unreadable.handle(.readBack(.shard(job: 1, Self.first), row: .failure(StoreFailure("down")), fallback: requeue.1))
        #expect(Self.state(unreadable) == requeue.1.state)
    }

    /// A requeue the database refuses as stale does not move memory; the row read
    /// back decides, and a worker that no longer holds the lease gets its slot back.
    @Test func aStaleRequeueAdoptsTheRowAndFreesTheSlot() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, token: 2)
        let actions = core.handle(.requeued(.shard(job: 1, Self.first), token: 2, reason: "x", then: ShardStateMachine(), outcome: .stale))
        #expect(actions.count == 1)
        guard case .readBack(.shard(1, Self.first), nil)? = actions.first else {
            Issue.record("a stale requeue must read the row: \(actions)")
            return
        }
        #expect(Self.state(core)?.name == .leased)
        _ = core.handle(.readBack(.shard(job: 1, Self.first), row: .success(ItemSnapshot(state: .done(worker: "b", attempt: 1), token: 3, worker: "b", outputSHA: "s")), fallback: nil))
        #expect(Self.state(core) == .done(worker: "b", attempt: 1))
        #expect(core.jobs[1]?.shards[Self.first]?.outputSHA == "s")
        #expect(core.workers[Self.peerA]?.running.isEmpty == true)
    }

    /// An item the database failed for good (an unknown answer, read back) fails
    /// its job without recording the failure again, and frees the slots.
    @Test func aFailureForGoodReadBackFailsTheJob() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, token: 3)
        let unknown = core.handle(.failedForGood(.shard(job: 1, Self.first), token: 3, reason: "oom", then: ShardStateMachine(), outcome: .unknown("lost")))
        #expect(unknown.contains { if case .readBack(.shard(1, Self.first), nil) = $0 { return true } else { return false } })
        #expect(core.jobs[1] != nil)
        let failed = core.handle(.readBack(.shard(job: 1, Self.first), row: .success(ItemSnapshot(state: .failed(attempts: 3, reason: "oom"), token: 3)), fallback: nil))
        #expect(core.jobs[1] == nil)
        #expect(!failed.contains { if case .setJobFailed = $0 { return true } else { return false } })
        #expect(core.workers[Self.peerA]?.freeSlots == 2)
    }

    // MARK: Results

    /// A worker lost by heartbeat while its result is being recorded: the shard is
    /// not requeued (its output may commit), not even when the lease expires,
    /// until the record outcome is known.
    @Test func aResultInFlightIsNotRequeuedUntilItsOutcomeIsKnown() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, token: 1)
        let record = core.handle(.shardResult(Self.peerA, job: 1, shard: Self.first, token: 1, frames: [Data([1])], at: Self.at(1)))
        #expect(record.contains { if case .recordShardResult(let order) = $0 { return order.shard == Self.first && order.token == 1 } else { return false } })
        #expect(core.persisting.contains(.shard(job: 1, Self.first)))
        let lost = core.handle(.tick(at: Self.at(6)))
        #expect(core.workers.isEmpty)
        #expect(lost.contains { if case .setWorkerState("a", .lost) = $0 { return true } else { return false } })
        let later = core.handle(.tick(at: Self.at(120)))
        let requeues = (lost + later).filter {
            switch $0 {
            case .requeue, .failForGood, .release: return true
            default: return false
            }
        }
        #expect(requeues.isEmpty)
        #expect(Self.state(core)?.name == .leased)

        // Committed: the shard is done, and its dependents the commit made ready are ready.
        var committed = core
        let dependent = ShardID(region: 0, block: 1)
        _ = committed.handle(.shardRecorded(peer: Self.peerA, worker: "a", job: 1, shard: Self.first, attempt: 1, outcome: .committed(sha: "s", ready: [dependent]), at: Self.at(121)))
        #expect(Self.state(committed)?.name == .done)
        #expect(Self.state(committed, dependent)?.name == .ready)
        #expect(committed.persisting.isEmpty)

        // Unrecorded (the database stayed away): the try is given back and the row read.
        var unrecorded = core
        let given = unrecorded.handle(.shardRecorded(peer: Self.peerA, worker: "a", job: 1, shard: Self.first, attempt: 1, outcome: .unrecorded("down"), at: Self.at(121)))
        #expect(given.contains { if case .release(.shard(1, Self.first), 1, "a", _, true) = $0 { return true } else { return false } })
        #expect(unrecorded.persisting.isEmpty)
    }

    /// A result the database refuses as stale: the slot is free, the shard does
    /// not advance, and the row read back decides what memory holds.
    @Test func aStaleResultFreesTheSlotAndDoesNotAdvanceTheShard() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, token: 1)
        _ = core.handle(.shardResult(Self.peerA, job: 1, shard: Self.first, token: 1, frames: [], at: Self.at(1)))
        #expect(core.workers[Self.peerA]?.freeSlots == 2)
        let actions = core.handle(.shardRecorded(peer: Self.peerA, worker: "a", job: 1, shard: Self.first, attempt: 1, outcome: .stale("leased at 2"), at: Self.at(1)))
        #expect(actions.contains { if case .readBack(.shard(1, Self.first), nil) = $0 { return true } else { return false } })
        #expect(Self.state(core)?.name == .leased)
        #expect(core.jobs[1]?.shards[Self.first]?.outputSHA == nil)
        #expect(core.workers[Self.peerA]?.freeSlots == 2)
        #expect(core.persisting.isEmpty)
    }

    /// An invalid result is the worker's failed attempt: counted towards its
    /// blocklist and requeued with a backoff, once the database agrees.
    @Test func anInvalidResultIsAFailedAttempt() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, token: 5)
        _ = core.handle(.shardResult(Self.peerA, job: 1, shard: Self.first, token: 5, frames: [], at: Self.at(1)))
        let actions = core.handle(.shardRecorded(peer: Self.peerA, worker: "a", job: 1, shard: Self.first, attempt: 5, outcome: .invalid("NaN"), at: Self.at(1)))
        #expect(actions.contains { if case .recordWorkerFailure(1, "a") = $0 { return true } else { return false } })
        #expect(actions.contains { if case .requeue(.shard(1, Self.first), 5, "a", _, _, _) = $0 { return true } else { return false } })
    }

    /// A hand-back (the worker lacked the prompt embeddings) gives the try back
    /// for the lease's fencing token, which after a refused claim is not the
    /// machine's count of tries; the mirror forgets the embeddings.
    @Test func aHandBackReleasesTheLeaseByItsToken() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, token: 5)
        #expect(core.workers[Self.peerA]?.embeddings.order == ["p"])
        var failure = Reel_V1_ShardFailure()
        failure.jobID = 1
        failure.attempt = 5
        failure.failureClass = .missingEmbeddings
        let actions = core.handle(.failure(Self.peerA, failure, at: Self.at(1)))
        #expect(actions.contains { if case .release(.shard(1, Self.first), 5, "a", _, true) = $0 { return true } else { return false } })
        #expect(!actions.contains { if case .recordWorkerFailure = $0 { return true } else { return false } })
        #expect(core.workers[Self.peerA]?.embeddings.order.isEmpty == true)
        #expect(core.workers[Self.peerA]?.freeSlots == 2)
    }

    /// A release whose answer is unknown is settled by reading the row.
    @Test func anUnknownReleaseReadsTheRow() throws {
        let core = try Self.farm()
        let actions = core.released(.shard(job: 1, Self.first), token: 1, why: "x", outcome: .unknown("lost"), readBack: false)
        #expect(actions.contains { if case .readBack(.shard(1, Self.first), nil) = $0 { return true } else { return false } })
    }

    // MARK: Pulling results

    /// An offer is pulled while its lease is the offering worker's; a stale one
    /// is discarded (and logged as a rejected result). The pulled place is given
    /// back when the result's outcome is known.
    @Test func offersArePulledOnlyForCurrentLeases() throws {
        var core = try Self.farm()
        _ = Self.lease(&core, token: 3)
        var offer = Reel_V1_ResultOffer()
        offer.item = Coordinator.wireItem(.shard(job: 1, Self.first), attempt: 3)
        let pulled = core.handle(.resultOffer(Self.peerA, offer, at: Self.at(1)))
        #expect(pulled.contains { if case .pullResult(let o) = $0 { return o.work == .shard(job: 1, Self.first) && o.attempt == 3 } else { return false } })
        #expect(core.intake.pulled.count == 1)

        var stale = Reel_V1_ResultOffer()
        stale.item = Coordinator.wireItem(.shard(job: 1, ShardID(region: 1, block: 0)), attempt: 2)
        let discarded = core.handle(.resultOffer(Self.peerA, stale, at: Self.at(1)))
        #expect(discarded.contains { if case .discardResult = $0 { return true } else { return false } })
        #expect(discarded.contains { if case .reject = $0 { return true } else { return false } })
        #expect(!discarded.contains { if case .pullResult = $0 { return true } else { return false } })

        _ = core.handle(.shardResult(Self.peerA, job: 1, shard: Self.first, token: 3, frames: [Data([1])], at: Self.at(2)))
        // Being recorded: the place stays taken until the outcome.
        #expect(core.intake.pulled.count == 1)
        _ = core.handle(.shardRecorded(peer: Self.peerA, worker: "a", job: 1, shard: Self.first, attempt: 3, outcome: .committed(sha: "s", ready: []), at: Self.at(3)))
        #expect(core.intake.pulled.isEmpty)
    }
}
