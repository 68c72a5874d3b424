import Foundation
import ReelPlan
import ReelStore
import ReelWire
import Testing

@testable import ReelCoordinator

/// What `/metrics` counts, decided without I/O: the loop's census of running
/// jobs and workers, the tallies the core emits for retries and failures, and the
/// registry's counters following the loop's totals.
@Suite struct CoordinatorMetricsTests {
    typealias Core = CoordinatorCoreTests

    static func tallies(_ actions: [CoordinatorAction]) -> [LoopTally] {
        actions.compactMap { if case .tally(let tally) = $0 { return tally } else { return nil } }
    }

    /// One block-0 shard leased to the one-slot worker: the rest of block 0 is the
    /// queue of model "wan", later blocks wait on their inputs.
    @Test func theCensusCountsShardsQueueDepthAndSlots() throws {
        var core = try Core.farm()
        let plan = try #require(core.jobs[1]?.plan)
        let blockZero = plan.shards.filter { $0.block == 0 }.count
        _ = Core.lease(&core)
        let census = core.census()
        #expect(census.shards[.leased] == 1)
        #expect(census.shards[.ready] == blockZero - 1)
        #expect(census.shards[.pending] == plan.shards.count - blockZero)
        #expect(census.chunks.isEmpty, "no job is decoding")
        #expect(census.queueDepth == [LoopCensus.Queue(model: "wan"): blockZero - 1])
        #expect(census.connectedWorkers == 1 && census.busyWorkers == 1)
        #expect(census.slots == 1 && census.slotsUsed == 1)
    }

    /// A lease that expires while its worker is silent is lost twice over (the
    /// worker and the lease) but requeued, and counted, once; the requeue the
    /// database commits counts as a retry.
    @Test func aLostLeaseIsCountedOnceAndItsRequeueIsARetry() throws {
        var core = try Core.farm()
        _ = Core.lease(&core, token: 4)
        let actions = core.handle(.tick(at: Core.at(61)))
        let failures = Self.tallies(actions).filter { if case .failure = $0 { return true } else { return false } }
        #expect(failures.count == 1, "\(actions)")
        let requeue = try #require(actions.compactMap { action -> ShardStateMachine? in
            if case .requeue(_, 4, _, _, _, let then) = action { return then } else { return nil }
        }.first)
        let answered = core.handle(.requeued(.shard(job: 1, Core.first), token: 4, reason: "lost", then: requeue, outcome: .committed))
        #expect(Self.tallies(answered) == [.retry])
        // A requeue the database refuses is no retry.
        var stale = try Core.farm()
        _ = Core.lease(&stale, token: 2)
        #expect(Self.tallies(stale.handle(.requeued(.shard(job: 1, Core.first), token: 2, reason: "x", then: requeue, outcome: .stale))).isEmpty)
    }

    /// A failure a worker reports is counted under its class.
    @Test func aReportedFailureIsCountedByItsClass() throws {
        var core = try Core.farm()
        _ = Core.lease(&core, token: 3)
        var failure = Reel_V1_ShardFailure()
        failure.jobID = 1
        failure.attempt = 3
        failure.failureClass = .outOfMemory
        let actions = core.handle(.failure(Core.peerA, failure, at: Core.at(1)))
        #expect(Self.tallies(actions).contains(.failure(.outOfMemory)), "\(actions)")
    }

    /// The counters follow the loop's totals: each sync adds what changed since
    /// the last, so two scrapes of 100 then 250 bytes read 100 then 250.
    @Test func countersFollowTheLoopsTotals() {
        let metrics = FarmMetrics()
        var statistics = LoopStatistics()
        statistics.bytesIn = 100
        statistics.rejected = 2
        metrics.sync(statistics)
        #expect(Self.sample(metrics, "reel_received_bytes_total") == 100)
        statistics.bytesIn = 250
        statistics.longestGap = .milliseconds(1500)
        metrics.sync(statistics)
        #expect(Self.sample(metrics, "reel_received_bytes_total") == 250)
        #expect(Self.sample(metrics, "reel_rejected_messages_total") == 2)
        #expect(Self.sample(metrics, "reel_loop_longest_gap_seconds") == 1.5)
    }

    /// Queue depth is per model and pool; a model whose queue empties stays at zero.
    @Test func queueDepthKeepsAModelAtZeroOnceEmpty() {
        let metrics = FarmMetrics()
        metrics.update(LoopCensus(queueDepth: [LoopCensus.Queue(model: "wan"): 7, LoopCensus.Queue(model: "wan", pool: "gpu-a100"): 3]))
        #expect(Self.sample(metrics, #"reel_queue_depth{model="wan",pool="default"}"#) == 7)
        #expect(Self.sample(metrics, #"reel_queue_depth{model="wan",pool="gpu-a100"}"#) == 3)
        metrics.update(LoopCensus())
        #expect(Self.sample(metrics, #"reel_queue_depth{model="wan",pool="default"}"#) == 0)
        #expect(Self.sample(metrics, #"reel_queue_depth{model="wan",pool="gpu-a100"}"#) == 0)
    }

    /// The value of one series line (`name{labels} value`) in the exposition.
    static func sample(_ metrics: FarmMetrics, _ series: String) -> Double? {
        for line in metrics.exposition().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
