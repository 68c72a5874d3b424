import Foundation
import Logging
import ReelCoordinator
import ReelFarm
import ReelPlan
import ReelWire
import ReelWorker
import Testing

/// Workers authenticated with CurveZMQ against a real coordinator, database and
/// engine: the farm's keys render, a stranger's key never joins, a key removed
/// from the allow-list drops its worker while the job runs, and plaintext off
/// loopback is refused.
@Suite(.serialized, .farmSlot) struct CurveFarmTests {
    /// The coordinator's pair and worker pairs in `keys/`; `allowed/` holds the
    /// `.pub` files of the workers the farm accepts.
    struct Keys {
        let root: URL
        let coordinator: CurveKeyPair
        var workers: [String: CurveKeyPair] = [:]
        var allowed: String { root.appendingPathComponent("allowed").path }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("reel-curve-\(UUID().uuidString.prefix(8))")
            coordinator = try CurveKeyPair.generate()
            try coordinator.write(to: root.appendingPathComponent("keys").path, name: "coordinator")
            try FileManager.default.createDirectory(atPath: allowed, withIntermediateDirectories: true)
        }

        mutating func add(_ name: String, allowed isAllowed: Bool) throws {
            let pair = try CurveKeyPair.generate()
            let (_, publicPath) = try pair.write(to: root.appendingPathComponent("keys").path, name: name)
            if isAllowed { try FileManager.default.copyItem(atPath: publicPath, toPath: "\(allowed)/\(name).pub") }
            workers[name] = pair
        }

        func revoke(_ name: String) throws {
            try FileManager.default.removeItem(atPath: "\(allowed)/\(name).pub")
        }

        func curve() -> CoordinatorCurve {
            CoordinatorCurve(keyPair: coordinator, allowList: allowed, reloadInterval: .milliseconds(200))
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    /// A worker loop on a thread with `name`'s keys; its `run` error, if any, lands in `ended`.
    final class CurveWorker: @unchecked Sendable {
        let stop = StopFlag()
        private let lock = NSLock()
        private var error: String?
        private var done = false
        var ended: (done: Bool, error: String?) { lock.withLock { (done, error) } }

        init(name: String, keys: Keys, endpoint: String, executor: any ShardExecutor) throws {
            var config = WorkerConfig(coordinator: endpoint, name: name, slots: 1, threads: 1, heartbeatTimeout: .seconds(2))
            config.curve = WorkerCurve(coordinatorKey: keys.coordinator.publicKey, keyPair: try #require(keys.workers[name]))
            var logger = Logger(label: "reel.test.worker")
            logger.logLevel = TestFarm.logLevel
            let worker = Box(try Worker(config: config, executor: executor, encoder: MediaChunkEncoder(), logger: logger))
            let stop = self.stop
            Thread { [self] in
                let failure: String?
                do {
                    try worker.value.run { stop.isSet }
                    failure = nil
                } catch {
                    failure = "\(error)"
                }
                lock.withLock { (self.done, self.error) = (true, failure) }
            }.start()
        }
    }

    @Test func theFarmsKeysRenderAndAStrangersKeyNeverJoins() async throws {
        var keys = try Keys()
        defer { keys.remove() }
        try keys.add("member", allowed: true)
        try keys.add("stranger", allowed: false)
        let curve = keys.curve()
        let farm = try TestFarm { $0.config.curve = curve }
        defer { farm.stop() }
        let stranger = try CurveWorker(name: "stranger", keys: keys, endpoint: farm.service.endpoint, executor: ModelExecutor(directory: farm.models))
        defer { stranger.stop.set() }
        let member = try CurveWorker(name: "member", keys: keys, endpoint: farm.service.endpoint, executor: ModelExecutor(directory: farm.models))
        defer { member.stop.set() }

        try await farm.service.waitForWorkers(1, timeout: .seconds(60))
        let id = try await farm.service.submit(FarmAPI.SubmitRequest(request: TestFarm.request(seed: 5, frames: 25)))
        let status = try await farm.wait(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        let workers = try await farm.workerStatuses()
        #expect(workers.map(\.name) == ["member"], "only the allowed key registered: \(workers.map(\.name))")
        #expect((workers.first?.shardsDone ?? 0) > 0, "the member ran the shards")
        #expect(stranger.ended.done == false, "the stranger is still trying, unheard")
    }

    @Test func aRevokedWorkerIsDroppedAndItsLeaseRunsElsewhere() async throws {
        var keys = try Keys()
        defer { keys.remove() }
        try keys.add("keeps", allowed: true)
        try keys.add("revoked", allowed: true)
        let curve = keys.curve()
        let farm = try TestFarm { $0.config.curve = curve }
        defer { farm.stop() }
        // Simulated shards of 8 steps × 250 ms = 2 s: long enough to revoke one mid-shard.
        let executor = SimulatedExecutor(stepTime: .milliseconds(250))
        let keeps = try CurveWorker(name: "keeps", keys: keys, endpoint: farm.service.endpoint, executor: executor)
        defer { keeps.stop.set() }
        let revoked = try CurveWorker(name: "revoked", keys: keys, endpoint: farm.service.endpoint, executor: executor)
        defer { revoked.stop.set() }
        try await farm.service.waitForWorkers(2, timeout: .seconds(60))

        let request = JobRequest(
            name: "revocation", model: SimulatedExecutor.modelName, prompt: "simulated", frames: 49, fps: 16, width: 64, height: 64,
            seed: 1, guidance: 1, plan: PlanConfig(window: 6, overlap: 2, steps: 8, blendEvery: 8))
        let id = try await farm.service.submit(FarmAPI.SubmitRequest(request: request))
        try await farm.waitUntil(timeout: .seconds(60)) {
            try await farm.workerStatuses().first { $0.name == "revoked" }?.running.isEmpty == false
        }
        try keys.revoke("revoked")
        // The allow-list is re-read every 200 ms; the worker is dropped at once, not after a heartbeat timeout.
        try await farm.waitUntil(timeout: .seconds(5)) {
            try await farm.workerStatuses().first { $0.name == "revoked" }.map { $0.state != "active" } ?? true
        }
        try await farm.waitUntil(timeout: .seconds(10)) { revoked.ended.done }
        #expect(revoked.ended.error?.contains("revoked") == true, "\(revoked.ended.error ?? "no error")")
        let status = try await farm.wait(id, timeout: .seconds(120))
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(try await farm.workerStatuses().first { $0.name == "revoked" }?.state != "active")
    }

    @Test func plaintextOffLoopbackIsRefused() throws {
        #expect {
            _ = try TestFarm(listen: "tcp://0.0.0.0:*")
        } throws: { error in
            "\(error)".contains("--insecure-plaintext") && "\(error)".contains("tcp://0.0.0.0:*")
        }
        var config = WorkerConfig(coordinator: "tcp://10.0.0.5:5555", name: "w")
        #expect {
            _ = try Worker(config: config, executor: SimulatedExecutor(stepTime: .milliseconds(1)), encoder: MediaChunkEncoder(), logger: Logger(label: "t"))
        } throws: { error in
            "\(error)".contains("--insecure-plaintext") && "\(error)".contains("--coordinator-key")
        }
        // Asked for explicitly, it is allowed (the worker connects in the background).
        config.insecurePlaintext = true
        _ = try Worker(config: config, executor: SimulatedExecutor(stepTime: .milliseconds(1)), encoder: MediaChunkEncoder(), logger: Logger(label: "t"))
    }
}
