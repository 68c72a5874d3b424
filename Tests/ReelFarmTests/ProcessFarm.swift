import Foundation
import ReelCoordinator
import ReelStore
import Testing

/// A farm of processes: `reel coordinator` on fixed ports (so it can be killed and
/// started again where the workers reconnect) and `reel worker`s.
final class ProcessFarm: @unchecked Sendable {
    let directory: URL
    let models: String
    let zmqPort: Int
    let httpPort: Int
    let listenHost: String
    private(set) var coordinator: ChildProcess?
    private var workers: [(name: String, process: ChildProcess)] = []
    private var starts = 0

    /// `listenHost`: the address workers reach the coordinator at (another
    /// namespace's workers cannot reach loopback).
    init(listenHost: String = "127.0.0.1") throws {
        self.listenHost = listenHost
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-faults-\(UUID().uuidString.prefix(8))")
        models = directory.appendingPathComponent("models").path
        try TestFarm.ensureModel(at: models)
        zmqPort = try Self.freePort()
        httpPort = try Self.freePort()
    }

    var client: CoordinatorClient { CoordinatorClient(baseURL: URL(string: "http://127.0.0.1:\(httpPort)")!) }
    var dataDirectory: String { directory.appendingPathComponent("data").path }
    var endpoint: String { "tcp://\(listenHost):\(zmqPort)" }
    /// Off loopback (a namespace's veth link, a network of the test's own) the
    /// processes are told plaintext is wanted; CURVE across namespaces is
    /// `NetworkNamespaceTests.workerInAnotherNamespaceRendersShards`'s.
    var plaintext: [String] { listenHost == "127.0.0.1" ? [] : ["--insecure-plaintext"] }

    /// `arguments` go to `reel coordinator` as they are; `wrapper` runs it inside
    /// another command (`/usr/bin/env VAR=value`), which must exec it.
    func startCoordinator(keepIntermediates: Bool = false, wrapper: [String] = [], arguments: [String] = []) async throws {
        starts += 1
        let command = wrapper + [TestFarm.reelBinary]
        let process = try ChildProcess(
            command[0],
            Array(command.dropFirst()) + ["coordinator", "--data", dataDirectory, "--http", "127.0.0.1:\(httpPort)", "--listen", endpoint]
                + (keepIntermediates ? ["--keep-intermediates"] : []) + plaintext + arguments,
            log: directory.appendingPathComponent("coordinator-\(starts).log"))
        coordinator = process
        _ = try await process.waitForLine(containing: "the CLI to http://", timeout: .seconds(60))
    }

    /// A `reel worker`; `wrapper` runs it inside another command (`ip netns exec NS`),
    /// which must exec it so that signals reach the worker itself.
    @discardableResult
    /// With `simulatedStepMs`, it runs the simulated-time stand-in model instead
    /// of the tiny one: tensors of the job's real size, no compute.
    /// `threads` and `arguments` go to `reel worker` as they are.
    func startWorker(
        _ name: String, wrapper: [String] = [], simulatedStepMs: Int? = nil, threads: Int = 1, arguments: [String] = []
    ) throws -> ChildProcess {
        let command = wrapper + [TestFarm.reelBinary]
        let model = simulatedStepMs.map { ["--simulated-step-ms", "\($0)"] } ?? ["--models", models]
        let worker = try ChildProcess(
            command[0],
            Array(command.dropFirst()) + ["worker", "--coordinator", endpoint, "--name", name, "--threads", "\(threads)"] + model + plaintext + arguments,
            log: directory.appendingPathComponent("\(name).log"))
        workers.append((name, worker))
        return worker
    }

    /// The last process started as worker `name`.
    func workerProcess(_ name: String) -> ChildProcess? {
        workers.last { $0.name == name }?.process
    }

    /// A worker as `GET /v1/workers` lists it.
    func worker(_ name: String) async throws -> FarmAPI.WorkerStatus? {
        try await client.workers().first { $0.name == name }
    }

    /// Runs the `reel` CLI against this farm's API; what it printed.
    func cli(_ arguments: [String]) throws -> String {
        let log = directory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8)).log")
        let process = try ChildProcess(TestFarm.reelBinary, arguments + ["--coordinator", "http://127.0.0.1:\(httpPort)"], log: log)
        guard process.wait(timeout: .seconds(30)) else {
            process.signal(SIGKILL)
            throw APIError.unavailable("`reel \(arguments.joined(separator: " "))` did not finish within 30 s")
        }
        return try String(contentsOf: log, encoding: .utf8)
    }

    func killCoordinator() {
        guard let coordinator else { return }
        coordinator.signal(SIGKILL)
        coordinator.wait(timeout: .seconds(10))
    }

    func waitForWorkers(_ count: Int) async throws {
        try await waitUntil(timeout: .seconds(180)) { try await self.client.health().workers >= count }
    }

    func waitUntil(timeout: Duration, _ condition: () async throws -> Bool) async throws {
        try await Self.waitUntil(timeout: timeout, logs: directory, condition)
    }

    func waitForEnd(_ id: Int64, timeout: Duration = .seconds(600)) async throws -> FarmAPI.JobStatus {
        try await Self.waitForEnd(id, client: client, timeout: timeout, logs: directory)
    }

    /// Polls `condition` until it holds; the error names where the processes' logs are.
    static func waitUntil(timeout: Duration, logs: URL, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw APIError.unavailable("condition not met within \(timeout); logs in \(logs.path)")
    }

    /// Job `id` once it has ended, as `client` reports it.
    static func waitForEnd(_ id: Int64, client: CoordinatorClient, timeout: Duration = .seconds(600), logs: URL) async throws
        -> FarmAPI.JobStatus
    {
        var status: FarmAPI.JobStatus?
        try await waitUntil(timeout: timeout, logs: logs) {
            status = try await client.job(id)
            return ["succeeded", "failed", "cancelled"].contains(status?.state ?? "")
        }
        return try #require(status)
    }

    /// The embedded PostgreSQL's postmaster, from its lock file.
    func postmasterPID() throws -> pid_t {
        let cluster = try EmbeddedPostgres(dataDirectory: URL(fileURLWithPath: dataDirectory).appendingPathComponent("postgres"))
        let file = cluster.clusterDirectory.appendingPathComponent("postmaster.pid")
        let first = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").first ?? ""
        return try #require(pid_t(first.trimmingCharacters(in: .whitespaces)), "no pid in \(file.path)")
    }

    /// Puts finished job `id` back in the state a crash between its last shard's
    /// commit and the move to decoding leaves: running, every shard done, no decode
    /// chunks. (succeeded → running is no move the farm makes, so the schema refuses
    /// it; the forged state goes round the transition trigger.)
    func forgeRunningWithEveryShardDone(_ id: Int64) throws {
        let store = try store()
        try store.connection.execute("DELETE FROM decode_chunks WHERE job_id = $1", [.int64(id)])
        try store.connection.transaction { () throws(StoreError) in
            try store.connection.execute("ALTER TABLE jobs DISABLE TRIGGER jobs_state_transition")
            try store.connection.execute(
                "UPDATE jobs SET state = 'running', latents_sha256 = NULL, output_sha256 = NULL, finished_at = NULL WHERE id = $1",
                [.int64(id)])
            try store.connection.execute("ALTER TABLE jobs ENABLE TRIGGER jobs_state_transition")
        }
    }

    /// A connection to the farm's embedded PostgreSQL.
    func store() throws -> FarmStore {
        let cluster = try EmbeddedPostgres(dataDirectory: URL(fileURLWithPath: dataDirectory).appendingPathComponent("postgres"))
        return FarmStore(connection: try PostgresConnection(url: cluster.url))
    }

    func stop() {
        for worker in workers { worker.process.stop() }
        // The last coordinator stops the PostgreSQL (it adopted the one a killed
        // predecessor left running).
        coordinator?.stop()
        // REEL_KEEP_TEST_LOGS=1 keeps the processes' logs and data for a post-mortem.
        if ProcessInfo.processInfo.environment["REEL_KEEP_TEST_LOGS"] == nil { try? FileManager.default.removeItem(at: directory) }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw APIError.unavailable("no socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw APIError.unavailable("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
