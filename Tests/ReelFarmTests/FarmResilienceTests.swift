import Foundation
import ReelCoordinator
import ReelFarm
import ReelPlan
import ReelStore
import ReelTensor
import ReelWire
import ReelWorker
import ReelModel
import Testing

/// The coordinator survives its own restart and any peer's garbage.
@Suite(.serialized, .farmSlot) struct FarmResilienceTests {
    /// A coordinator stopped mid-job and started again on the same data directory
    /// resumes: shards finished before are not leased again, and the latents match
    /// an undisturbed run.
    @Test func restartedCoordinatorResumesWithoutRedoingShards() async throws {
        let request = TestFarm.request(seed: 11)
        let reference = try TestFarm()
        defer { reference.stop() }
        try reference.addWorker(name: "ref")
        let expected = try #require(try await reference.run(request).latentsSha256)

        let farm = try TestFarm()
        defer { farm.stop() }
        let endpoint = farm.service.endpoint
        try farm.addWorker(name: "steady")
        try await farm.service.waitForWorkers(1, timeout: .seconds(60))
        let id = try await farm.service.submit(FarmAPI.SubmitRequest(request: request))
        try await farm.waitUntil(timeout: .seconds(120)) { try await farm.service.status(id).shards["done", default: 0] >= 2 }
        farm.service.stop()
        let second = try farm.restartService(listen: endpoint)
        // A shard's attempt counts its leases (a claim the coordinator gave back
        // also spent one), so "not leased again" is: unchanged since the restart.
        let before = Dictionary(
            uniqueKeysWithValues: try Self.store(second).shards(job: id).filter { $0.status.state == .done }.map { ($0.shard, $0.status.attempt) })
        let status = try await farm.wait(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.latentsSha256 == expected)
        let rows = try Self.store(second).shards(job: id)
        for row in rows where before[row.shard] != nil {
            #expect(row.status.attempt == before[row.shard], "shard \(row.shard) was done before the restart and leased again")
        }
        #expect(!before.isEmpty)
    }

    /// Garbage, wrong versions, unknown jobs, stale attempts and oversized messages
    /// are rejected with a logged reason; the job still finishes.
    @Test func coordinatorSurvivesGarbage() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        try farm.addWorker(name: "honest")
        try await farm.service.waitForWorkers(1, timeout: .seconds(60))
        let id = try await farm.service.submit(FarmAPI.SubmitRequest(request: TestFarm.request(seed: 3)))

        let context = try ZMQContext()
        let peer = try DealerSocket(context: context)
        try peer.set(.linger(.seconds(1)))
        try peer.connect(farm.service.endpoint)
        var random = SeededRandom(seed: 99)
        // Random bytes.
        for size in [0, 1, 7, 300] {
            try peer.send([Data((0 ..< size).map { _ in UInt8(truncatingIfNeeded: random.next()) })])
        }
        // A hello from a future protocol version.
        var hello = Reel_V1_Hello()
        hello.workerName = "time-traveller"
        hello.protocolVersion = 99
        var envelope = Reel_V1_Envelope()
        envelope.protocolVersion = 99
        envelope.body = .hello(hello)
        try peer.send([try envelope.serializedBytes()])
        // An invalid registration (no cores) is refused.
        hello.protocolVersion = WireProtocol.version
        hello.workerName = "hollow"
        envelope = Reel_V1_Envelope()
        envelope.body = .hello(hello)
        try peer.send(try WireCodec.encode(envelope, tensors: []))
        // Register properly, then send results for an unknown job and a stale attempt.
        hello.protocolVersion = WireProtocol.version
        hello.workerName = "liar"
        hello.slots = 1
        hello.cores = 1
        hello.threads = 1
        envelope = Reel_V1_Envelope()
        envelope.body = .hello(hello)
        try peer.send(try WireCodec.encode(envelope, tensors: []))
        // As a worker does, it waits for the welcome (registration is answered by
        // the database on a later turn); refusals of the hellos above come first.
        var welcomed = false
        let deadline = ContinuousClock.now + .seconds(30)
        while !welcomed, ContinuousClock.now < deadline {
            guard let frames = try peer.receive(timeout: .seconds(1)) else { continue }
            if case .welcome? = try? WireCodec.decodeEnvelope(frames, limits: WireLimits(maxMessageBytes: 1 << 20)).body { welcomed = true }
        }
        #expect(welcomed, "the registered peer was not welcomed")
        for (job, attempt) in [(UInt64(987_654), UInt32(1)), (UInt64(id), UInt32(77))] {
            var result = Reel_V1_ShardResult()
            result.jobID = job
            result.attempt = attempt
            var header = Reel_V1_TensorHeader()
            header.name = "latents"
            result.latents = header
            envelope = Reel_V1_Envelope()
            envelope.body = .shardResult(result)
            try peer.send(try WireCodec.encode(envelope, tensors: [try WireTensor(name: "latents", shape: [2], values: [1, 2])]))
        }
        // A frame over the coordinator's limit: the connection is dropped by ZeroMQ.
        let oversized = try DealerSocket(context: context)
        try oversized.set(.linger(.seconds(1)))
        try oversized.connect(farm.service.endpoint)
        try oversized.send([Data(count: farm.service.options.config.maxMessageBytes + 1)])

        let status = try await farm.wait(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        let events = try Self.store(farm.service).events(job: nil, limit: 1000)
        let rejected = events.filter { $0.kind.rawValue == "rejected" }.compactMap(\.detail)
        #expect(rejected.contains { $0.contains("malformed") })
        #expect(rejected.contains { $0.contains("protocol") })
        #expect(rejected.contains { $0.contains("hollow") })
        #expect(rejected.contains { $0.contains("unknown job") })
        #expect(rejected.contains { $0.contains("stale") || $0.contains("unknown shard") })
        peer.close()
        oversized.close()
    }

    /// Under `--keep-results-days`, a job finished longer ago loses its blobs (the
    /// pass runs when a coordinator starts, then hourly): its row stays and says
    /// when, its video is a 410 that names the policy, its previews go with it, and a blob a newer job
    /// shares (the same prompt's embeddings) stays, as does everything of that job.
    @Test func finishedJobsExpireUnderTheResultRetention() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        let endpoint = farm.service.endpoint
        try farm.addWorker(name: "keeper")
        let old = try await farm.run(TestFarm.request(seed: 31))
        let recent = try await farm.run(TestFarm.request(seed: 32))
        #expect(old.state == "succeeded" && recent.state == "succeeded")
        let store = try Self.store(farm.service)
        try store.connection.execute(
            "UPDATE jobs SET finished_at = now() - interval '40 days' WHERE id = $1", [.int64(old.id)], name: "age the job")
        let oldRow = try #require(try store.job(id: old.id))
        let recentRow = try #require(try store.job(id: recent.id))
        let blobs = try BlobStore(directory: URL(fileURLWithPath: farm.service.options.dataDirectory).appendingPathComponent("blobs"))
        // Previews go with the video (different seeds: different stills).
        let oldPreviews = try store.decodeChunkPreviews(job: old.id).map(\.previewSHA)
        let recentPreviews = try store.decodeChunkPreviews(job: recent.id).map(\.previewSHA)
        #expect(!oldPreviews.isEmpty && oldPreviews.allSatisfy(blobs.contains) && Set(oldPreviews).isDisjoint(with: recentPreviews))
        let oldOnly = [oldRow.latentsSHA, oldRow.outputSHA].compactMap { $0 } + oldPreviews
        let shared = try #require(oldRow.promptEmbedsSHA)
        #expect(oldOnly.count == 2 + oldPreviews.count && oldOnly.allSatisfy(blobs.contains) && shared == recentRow.promptEmbedsSHA)

        farm.service.stop()
        let second = try farm.restartService(listen: endpoint) { $0.config.resultRetentionDays = 30 }
        try await farm.waitUntil(timeout: .seconds(60)) { !oldOnly.contains(where: blobs.contains) }
        let expired = try await second.status(old.id)
        #expect(expired.state == "succeeded" && expired.expiredAt != nil && expired.latentsSha256 == old.latentsSha256)
        do {
            _ = try await second.videoPath(old.id)
            Issue.record("an expired job's video was served")
        } catch let error as APIError {
            #expect(error.status == 410 && error.description.contains("--keep-results-days"))
        }
        #expect(blobs.contains(shared), "the embeddings a newer job shares were deleted")
        #expect(recentPreviews.allSatisfy(blobs.contains), "a newer job's previews were deleted")
        #expect(try await second.status(recent.id).expiredAt == nil)
        #expect(try FileManager.default.fileExists(atPath: await second.videoPath(recent.id)))
    }

    /// The reconciler compares memory with the database while results are being
    /// recorded: a result committed but not yet heard by the loop has already made
    /// its dependents ready in the database. Run constantly, it must not hand out
    /// such a dependent before its input's output is known (which failed the job:
    /// "blend needs the output of region 1").
    @Test func aConstantReconcilerNeverRunsAheadOfResultsBeingRecorded() async throws {
        let farm = try TestFarm { $0.config.reconcileInterval = .milliseconds(5) }
        defer { farm.stop() }
        try farm.addWorker(name: "steady")
        for seed: UInt64 in 8 ..< 12 {
            let status = try await farm.run(TestFarm.request(seed: seed))
            #expect(status.state == "succeeded", "seed \(seed): \(status.reason ?? "")")
        }
    }

    static func store(_ service: CoordinatorService) throws -> FarmStore {
        let cluster = try EmbeddedPostgres(dataDirectory: URL(fileURLWithPath: service.options.dataDirectory).appendingPathComponent("postgres"))
        return FarmStore(connection: try PostgresConnection(url: cluster.url))
    }

}

/// Fails every shard while `failing` is set, then runs the real engine.
final class FlakyExecutor: ShardExecutor, @unchecked Sendable {
    let inner: ModelExecutor
    let failing = StopFlag()

    init(inner: ModelExecutor) {
        self.inner = inner
        failing.set()
    }

    func models() throws(WorkerError) -> [ModelGeometry] { try inner.models() }
    func decodeWarmup(model: String) -> Int { inner.decodeWarmup(model: model) }
    func decode(_ task: DecodeTask, emit: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) {
        try inner.decode(task, emit: emit)
    }
    func denoise(_ task: DenoiseTask) throws(WorkerError) -> Tensor {
        if failing.isSet { throw WorkerError(.internalError, "injected failure") }
        return try inner.denoise(task)
    }
}

@Suite(.serialized, .farmSlot) struct FarmRetryTests {
    /// A worker that keeps failing is blocklisted; with nobody left the job fails
    /// with a reason, and `retry` runs it again once the worker is healthy.
    @Test func failedJobFailsReadablyAndRetrySucceeds() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        let flaky = FlakyExecutor(inner: ModelExecutor(directory: farm.models))
        try farm.addWorker(name: "flaky", executor: flaky)
        let failed = try await farm.run(TestFarm.request(seed: 21))
        #expect(failed.state == "failed")
        #expect(failed.reason?.contains("injected failure") == true || failed.reason?.contains("blocklisted") == true, "\(failed.reason ?? "")")
        flaky.failing.clear()
        let retried = try await farm.service.retry(failed.id)
        #expect(retried.state == "running")
        let done = try await farm.wait(failed.id)
        #expect(done.state == "succeeded", "\(done.reason ?? "")")
        #expect(done.run == 2)
    }
}
