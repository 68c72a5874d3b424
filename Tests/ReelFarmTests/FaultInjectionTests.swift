import Foundation
import ReelCoordinator
import ReelModel
import ReelPlan
import ReelStore
import ReelWorker
import Testing

/// Faults injected into a running farm of real processes: the coordinator killed
/// with SIGKILL in each phase, a worker stopped past its heartbeat timeout, a
/// cancel in the middle of a shard, and many jobs with distinct prompts at once.
/// Each ends with the `latents_sha256` of an undisturbed run and the status
/// telling the truth.
@Suite(.serialized, .farmSlot) struct FaultInjectionTests {
    /// The job every fault runs: 97 frames (25 latent) at 128×128 in windows of 6
    /// latent frames, so denoising and decoding each last long enough to hit.
    static func request(seed: UInt64 = 21) -> JobRequest {
        JobRequest(
            name: "fault", model: "tiny", prompt: "a kite over dunes", negativePrompt: "blurry", frames: 97, fps: 16,
            width: 128, height: 128, seed: seed, guidance: 5, plan: PlanConfig(window: 6, overlap: 2, steps: 4, blendEvery: 2))
    }

    /// The undisturbed run's latents, computed once.
    static let reference = ReferenceLatents()

    @Test(arguments: ["denoising", "decoding"])
    func coordinatorKilledMidJobResumesToTheSameLatents(phase: String) async throws {
        try await Self.killCoordinatorAndResume(Self.request(), workers: 1) { status in
            phase == "denoising" ? (status.shards["done"] ?? 0) >= 2 : status.state == "decoding"
        }
    }

    /// Runs `request` on `workers` worker processes, kills the coordinator with
    /// SIGKILL once `moment` holds, starts it again, and checks that the job ends
    /// with the undisturbed latents and every shard done.
    static func killCoordinatorAndResume(
        _ request: JobRequest, workers: Int, at moment: @escaping @Sendable (FarmAPI.JobStatus) -> Bool
    ) async throws {
        let expected = try await reference.sha(request)
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        for index in 1 ... workers { try farm.startWorker("w\(index)") }
        try await farm.waitForWorkers(workers)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        try await farm.waitUntil(timeout: .seconds(300)) { moment(try await farm.client.job(id)) }
        farm.killCoordinator()
        try await farm.startCoordinator()
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.latentsSha256 == expected)
        #expect(status.progress == 1 && status.shards["done"] == status.shardTotal)
    }

    /// SIGTERM stops `reel coordinator` in order: the HTTP server ends, then the
    /// loop, then the embedded PostgreSQL it started (which once outlived it).
    @Test func aTerminatedCoordinatorStopsItsPostgreSQL() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        let postmaster = try farm.postmasterPID()
        #expect(kill(postmaster, 0) == 0)
        let coordinator = try #require(farm.coordinator)
        coordinator.signal(SIGTERM)
        #expect(coordinator.wait(timeout: .seconds(30)), "the coordinator exits on SIGTERM")
        // pg_ctl returns once the pid file is gone, a moment before the process is.
        let deadline = ContinuousClock.now + .seconds(10)
        while kill(postmaster, 0) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(postmaster, 0) == -1 && errno == ESRCH, "PostgreSQL \(postmaster) still runs")
    }

    /// The same fault at the size users render: an 832×480 job on two worker
    /// processes, the coordinator killed with SIGKILL once a shard is done. The
    /// restarted coordinator finishes it with the undisturbed latents.
    @Test func coordinatorKilledAt832x480ResumesToTheSameLatents() async throws {
        let request = JobRequest(
            name: "real size fault", model: "tiny", prompt: "a harbour at dusk", frames: 17, fps: 16, width: 832, height: 480, seed: 83,
            guidance: 1, plan: PlanConfig(window: 4, overlap: 2, steps: 2, blendEvery: 1))
        try await Self.killCoordinatorAndResume(request, workers: 2) { ($0.shards["done"] ?? 0) >= 1 }
    }

    /// PostgreSQL killed with SIGKILL in the middle of a job: the coordinator's
    /// supervisor starts it again, results wait on disk and commit once it is back,
    /// and the job ends with the undisturbed latents.
    @Test func databaseKilledMidJobIsRestartedAndNothingIsLost() async throws {
        let expected = try await Self.reference.sha(Self.request())
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("w1")
        try await farm.waitForWorkers(1)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request()))
        try await farm.waitUntil(timeout: .seconds(300)) { (try await farm.client.job(id).shards["done"] ?? 0) >= 2 }
        let postmaster = try farm.postmasterPID()
        kill(postmaster, SIGKILL)
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.latentsSha256 == expected)
        #expect(try farm.postmasterPID() != postmaster, "the supervisor started a new server")
        #expect(try await farm.client.health().database == "ok")
    }

    /// The crash window between the last shard's commit and the move to decoding:
    /// the database holds a running job whose shards are all done. (Made by hand
    /// from a finished run, since the window is too short to hit with a signal.)
    /// A restarted coordinator blends and decodes it; nothing is stuck at 100 %.
    @Test func runningJobWithEveryShardDoneGoesOnToDecode() async throws {
        let expected = try await Self.reference.sha(Self.request())
        let farm = try ProcessFarm()
        defer { farm.stop() }
        // Intermediates kept: in a real crash before decoding, the last block's
        // outputs are still there (they go only once the clip is blended).
        try await farm.startCoordinator(keepIntermediates: true)
        try farm.startWorker("w1")
        try await farm.waitForWorkers(1)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request()))
        let first = try await farm.waitForEnd(id)
        #expect(first.state == "succeeded")
        farm.killCoordinator()
        try farm.forgeRunningWithEveryShardDone(id)
        try await farm.startCoordinator()
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.latentsSha256 == expected)
    }

    /// A worker stopped (SIGSTOP) past the heartbeat timeout is lost and its shard
    /// runs elsewhere; resumed (SIGCONT), its late result is rejected as stale. It is
    /// not blocklisted for being slow.
    @Test func stoppedWorkerIsReplacedAndItsLateResultRejected() async throws {
        let expected = try await Self.reference.sha(Self.request())
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        let sleeper = try farm.startWorker("sleeper")
        try await farm.waitForWorkers(1)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request()))
        try await farm.waitUntil(timeout: .seconds(120)) { try await farm.client.workers().contains { !$0.running.isEmpty } }
        sleeper.signal(SIGSTOP)
        try farm.startWorker("steady")
        try await Task.sleep(for: .seconds(8))  // past the 5 s heartbeat timeout
        sleeper.signal(SIGCONT)
        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.latentsSha256 == expected)
        let store = try farm.store()
        #expect(try store.blocklisted(job: id, threshold: 1).isEmpty)
        let events = try store.events(job: nil, limit: 1000).map { "\($0.kind.rawValue) \($0.detail ?? "")" }
        #expect(events.contains { $0.contains("worker_lost") || $0.contains("no heartbeat") })
    }

    /// Many jobs with distinct prompts at once, interleaved by priority, on two
    /// workers: more prompts than a worker caches, so embeddings are evicted and sent
    /// again, and none of that is ever a failure.
    @Test func twentyConcurrentJobsWithDistinctPrompts() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("a")
        try farm.startWorker("b")
        try await farm.waitForWorkers(2)
        var ids: [Int64] = []
        for n in 0 ..< 20 {
            let request = JobRequest(
                name: "many \(n)", model: "tiny", prompt: "prompt number \(n) of twenty", frames: 17, fps: 16, width: 64,
                height: 64, seed: UInt64(100 + n), guidance: 1, plan: PlanConfig(window: 4, overlap: 2, steps: 2, blendEvery: 1),
                priority: n % 3)
            ids.append(try await farm.client.submit(FarmAPI.SubmitRequest(request: request)))
        }
        for id in ids {
            let status = try await farm.waitForEnd(id)
            #expect(status.state == "succeeded", "job \(id): \(status.reason ?? "")")
        }
        let store = try farm.store()
        for id in ids { #expect(try store.blocklisted(job: id, threshold: 1).isEmpty, "job \(id)") }
        let health = try await farm.client.health()
        #expect(health.reregistrations == 0)
    }

    /// A cancel reaches the sampler between steps: the worker stops within about a
    /// step, its slot is free again, and the next job runs at once.
    @Test func cancelStopsAShardWithinAStep() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        try farm.addWorker(name: "sim", executor: SimulatedExecutor(stepTime: .milliseconds(500)))
        try await farm.service.waitForWorkers(1, timeout: .seconds(60))
        let request = JobRequest(
            name: "slow", model: SimulatedExecutor.modelName, prompt: "slow", frames: 17, fps: 16, width: 64, height: 64, seed: 1,
            guidance: 1, plan: PlanConfig(window: 5, overlap: 1, steps: 20, blendEvery: 20))
        let id = try await farm.service.submit(FarmAPI.SubmitRequest(request: request))
        try await farm.waitUntil(timeout: .seconds(30)) { try await farm.workerStatuses().contains { !$0.running.isEmpty } }
        guard case .job(let cancelled) = try await farm.service.mailbox.send(.cancel(id)).get() else {
            Issue.record("cancel did not answer with the job")
            return
        }
        #expect(cancelled.state == "cancelled")
        // A shard of 20 steps × 0.5 s would hold the slot for 10 s; the cancel frees it within a step.
        let next = try await farm.service.submit(FarmAPI.SubmitRequest(request: request))
        let started = ContinuousClock.now
        try await farm.waitUntil(timeout: .seconds(30)) {
            try await farm.workerStatuses().contains { $0.running.contains { $0.hasPrefix("job \(next) ") } }
        }
        #expect(ContinuousClock.now - started < .seconds(4), "the next job waited \(ContinuousClock.now - started)")
    }
}

/// The latents of an undisturbed in-process run of a request, computed once.
actor ReferenceLatents {
    private var known: [UInt64: String] = [:]

    func sha(_ request: JobRequest) async throws -> String {
        if let sha = known[request.seed] { return sha }
        let farm = try TestFarm()
        defer { farm.stop() }
        try farm.addWorker(name: "reference")
        let status = try await farm.run(request)
        let sha = try #require(status.latentsSha256, "the reference run failed: \(status.reason ?? "")")
        known[request.seed] = sha
        return sha
    }
}

/// A model is its name and its digest.
@Suite(.serialized, .farmSlot) struct ModelIdentityTests {
    /// A second worker holding another checkpoint under the same folder name is
    /// refused at hello, with both digests in the reason; the first keeps working.
    @Test func aWorkerWithAnotherCheckpointUnderTheSameNameIsRefused() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        try farm.addWorker(name: "first")
        try await farm.service.waitForWorkers(1, timeout: .seconds(60))
        let other = farm.directory.appendingPathComponent("other-models").path
        let preset = ModelPreset.tiny
        try ModelFolder.create(at: other + "/tiny", transformer: preset.transformer, scheduler: preset.scheduler, vae: preset.vae, seed: 1)
        try farm.addWorker(name: "impostor", executor: ModelExecutor(directory: other))
        try await Task.sleep(for: .seconds(3))
        #expect(try await farm.workerStatuses().filter { $0.state == "active" }.map(\.name) == ["first"])
        let events = try FarmResilienceTests.store(farm.service).events(job: nil, limit: 100).compactMap(\.detail)
        #expect(events.contains { $0.contains("impostor") && $0.contains("digest") })
        let id = try await farm.service.submit(FarmAPI.SubmitRequest(request: TestFarm.request(seed: 4)))
        let status = try await farm.wait(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
    }
}
