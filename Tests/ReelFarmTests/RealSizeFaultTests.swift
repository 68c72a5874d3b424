import Foundation
import ReelCoordinator
import ReelPlan
import ReelStore
import ReelWorker
import Testing

/// The fault suite at the size users render: 832×480, two `reel worker`
/// processes and a `reel coordinator` process. The workers run the
/// **simulated-time stand-in model** (each step sleeps; its output is a fixed
/// function of its input), so the tensors, transfers, blends, segments and memory
/// are those of a real 832×480 job while CI's 2 cores are spent on the farm, not
/// on compute. Each fault must end with the `latents_sha256` of an undisturbed
/// run on the same farm, every shard done, no worker blocklisted, and no worker
/// registering again because the coordinator looked silent. Every fault of the
/// suite at 128×128 (``FaultInjectionTests``) runs here at 832×480 too; the
/// network cut and the shuffled results are parameterised by size in their own suites.
@Suite(.serialized, .farmSlot) struct RealSizeFaultTests {
    /// 49 frames (13 latent) at 832×480: 3 windows of 6 latent frames × 2 step
    /// blocks of 4 steps, 2 s per shard, so each phase lasts long enough to hit.
    static let request = JobRequest(
        name: "real size fault (simulated)", model: SimulatedExecutor.modelName, prompt: "a lighthouse in fog", frames: 49, fps: 16,
        width: 832, height: 480, seed: 832, guidance: 1, plan: PlanConfig(window: 6, overlap: 2, steps: 8, blendEvery: 4))
    static let stepMs = 500

    /// The undisturbed run's latents on the same kind of farm, computed once.
    static let reference = SimulatedReference()

    /// A farm of a coordinator and two simulated workers, with `request` submitted.
    static func farmWithJob(keepIntermediates: Bool = false) async throws -> (ProcessFarm, Int64) {
        let farm = try ProcessFarm()
        try await farm.startCoordinator(keepIntermediates: keepIntermediates)
        try farm.startWorker("sim-1", simulatedStepMs: stepMs)
        try farm.startWorker("sim-2", simulatedStepMs: stepMs)
        try await farm.waitForWorkers(2)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        return (farm, id)
    }

    /// What every fault must end with.
    static func expectUndisturbed(_ farm: ProcessFarm, _ id: Int64, reregistrations: Int = 0) async throws {
        let expected = try await reference.sha()
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "") — logs in \(farm.directory.path)")
        #expect(status.latentsSha256 == expected)
        #expect(status.progress == 1 && status.shards["done"] == status.shardTotal)
        #expect(try farm.store().blocklisted(job: id, threshold: 1).isEmpty)
        let health = try await farm.client.health()
        #expect(health.reregistrations <= reregistrations, "workers registered again \(health.reregistrations) times")
        let printed = try farm.cli(["status", "\(id)"])
        #expect(printed.contains("latents_sha256 \(expected)"), "\(printed)")
    }

    @Test(arguments: ["denoising", "decoding"])
    func coordinatorKilled(phase: String) async throws {
        let (farm, id) = try await Self.farmWithJob()
        defer { farm.stop() }
        try await farm.waitUntil(timeout: .seconds(300)) {
            let status = try await farm.client.job(id)
            return phase == "denoising" ? (status.shards["done"] ?? 0) >= 2 : status.state == "decoding"
        }
        farm.killCoordinator()
        try await farm.startCoordinator()
        // The workers find the new coordinator by saying hello again, each at most
        // twice (when it looked silent, and when a heartbeat was refused as unknown).
        try await Self.expectUndisturbed(farm, id, reregistrations: 4)
    }

    @Test func databaseKilled() async throws {
        let (farm, id) = try await Self.farmWithJob()
        defer { farm.stop() }
        try await farm.waitUntil(timeout: .seconds(300)) { (try await farm.client.job(id).shards["done"] ?? 0) >= 2 }
        let postmaster = try farm.postmasterPID()
        kill(postmaster, SIGKILL)
        try await Self.expectUndisturbed(farm, id)
        #expect(try farm.postmasterPID() != postmaster, "the supervisor started a new server")
    }

    /// SIGSTOP past the 5 s heartbeat timeout, then SIGCONT: the stopped worker's
    /// shards run elsewhere and what it finished late is refused as stale.
    @Test func workerStoppedPastTheHeartbeatTimeout() async throws {
        let (farm, id) = try await Self.farmWithJob()
        defer { farm.stop() }
        try await farm.waitUntil(timeout: .seconds(120)) { try await farm.worker("sim-1")?.running.isEmpty == false }
        let stopped = try #require(farm.workerProcess("sim-1"))
        stopped.signal(SIGSTOP)
        try await Task.sleep(for: .seconds(8))
        stopped.signal(SIGCONT)
        // The resumed worker says hello again (it was lost): one re-registration.
        try await Self.expectUndisturbed(farm, id, reregistrations: 1)
        let events = try farm.store().events(job: nil, limit: 1000).map { "\($0.kind.rawValue) \($0.detail ?? "")" }
        #expect(events.contains { $0.contains("no heartbeat") })
    }

    /// The crash window between the last shard's commit and the move to decoding,
    /// made by hand from a finished run as in ``FaultInjectionTests``: a restarted
    /// coordinator blends and decodes the running job whose shards are all done.
    @Test func runningJobWithEveryShardDoneGoesOnToDecode() async throws {
        // Intermediates kept: in a real crash before decoding, the last block's outputs are still there.
        let (farm, id) = try await Self.farmWithJob(keepIntermediates: true)
        defer { farm.stop() }
        #expect(try await farm.waitForEnd(id).state == "succeeded")
        farm.killCoordinator()
        try farm.forgeRunningWithEveryShardDone(id)
        try await farm.startCoordinator()
        try await Self.expectUndisturbed(farm, id, reregistrations: 4)
    }

    /// 20 jobs at once with distinct prompts, more than a worker caches, at
    /// 832×480: embeddings are evicted and sent again, and none of that is a failure.
    @Test func twentyConcurrentJobsWithDistinctPrompts() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("sim-1", simulatedStepMs: 50)
        try farm.startWorker("sim-2", simulatedStepMs: 50)
        try await farm.waitForWorkers(2)
        var ids: [Int64] = []
        for n in 0 ..< 20 {
            let request = JobRequest(
                name: "many \(n)", model: SimulatedExecutor.modelName, prompt: "prompt number \(n) of twenty", frames: 17, fps: 16,
                width: 832, height: 480, seed: UInt64(200 + n), guidance: 1, plan: PlanConfig(window: 6, overlap: 2, steps: 2, blendEvery: 2),
                priority: n % 3)
            ids.append(try await farm.client.submit(FarmAPI.SubmitRequest(request: request)))
        }
        for id in ids {
            let status = try await farm.waitForEnd(id)
            #expect(status.state == "succeeded", "job \(id): \(status.reason ?? "")")
            #expect(try farm.store().blocklisted(job: id, threshold: 1).isEmpty, "job \(id)")
        }
        #expect(try await farm.client.health().reregistrations == 0)
    }

    /// A cancel reaches the sampler between steps at this size too: the next job's
    /// shard starts on the freed slots within a few steps.
    @Test func cancelInTheMiddleOfAShard() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("sim-1", simulatedStepMs: Self.stepMs)
        try farm.startWorker("sim-2", simulatedStepMs: Self.stepMs)
        try await farm.waitForWorkers(2)
        // One block of 20 steps: each shard holds its slot for 10 s unless cancelled.
        var long = Self.request
        long.plan = PlanConfig(window: 6, overlap: 2, steps: 20, blendEvery: 20)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: long))
        try await farm.waitUntil(timeout: .seconds(120)) { try await farm.client.workers().allSatisfy { !$0.running.isEmpty } }
        let cancelled = try await farm.client.cancel(id)
        #expect(cancelled.state == "cancelled")
        long.seed = 833
        let started = ContinuousClock.now
        let second = try await farm.client.submit(FarmAPI.SubmitRequest(request: long))
        try await farm.waitUntil(timeout: .seconds(30)) {
            try await farm.client.workers().filter { $0.running.contains { $0.hasPrefix("job \(second) ") } }.count == 2
        }
        // Both slots went to the next job within a few steps, not after the 10 s shards.
        #expect(ContinuousClock.now - started < .seconds(6), "the next job waited \(ContinuousClock.now - started)")
        #expect(try await farm.client.job(id).state == "cancelled")
        // And once that one is cancelled too, no slot stays taken.
        #expect(try await farm.client.cancel(second).state == "cancelled")
        try await farm.waitUntil(timeout: .seconds(15)) { try await farm.client.workers().allSatisfy { $0.running.isEmpty } }
        #expect(try farm.store().blocklisted(job: id, threshold: 1).isEmpty)
    }
}

/// The latents of an undisturbed run of ``RealSizeFaultTests/request`` on a farm
/// of the same processes, computed once.
actor SimulatedReference {
    private var known: String?

    func sha() async throws -> String {
        if let known { return known }
        let (farm, id) = try await RealSizeFaultTests.farmWithJob()
        defer { farm.stop() }
        let status = try await farm.waitForEnd(id)
        let sha = try #require(status.latentsSha256, "the reference run failed: \(status.reason ?? "")")
        known = sha
        return sha
    }
}
