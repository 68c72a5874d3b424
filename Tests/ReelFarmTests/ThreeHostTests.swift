import Foundation
import FoundationNetworking
import ReelCoordinator
import ReelPlan
import Testing

/// The secure multi-machine path of the README, on three hosts: network
/// namespaces on a bridge (``ThreeHostNetwork``). The coordinator and the
/// PostgreSQL it starts run on one; workers on the other two, each with its own
/// CURVE key on the coordinator's allow-list; the test process is the operator's
/// machine, reaching the API over the bridge with bearer tokens it got the way
/// the README says. Every process is a real `reel`.
///
/// Checked: a job renders across the hosts to the undisturbed latents, though one
/// of its workers returns finite but wrong latents (the `--poison-results` test
/// fault): verification (every shard checked here) quarantines it; a worker with
/// a key not on the allow-list never joins; an API call without a token is
/// refused with 401; a worker whose key is revoked mid-job is dropped, and that
/// job too ends with the undisturbed latents.
@Suite(.serialized, .farmSlot) struct ThreeHostTests {
    static let zmqPort = 5555
    static let httpPort = 8787

    /// More blocks than ``FaultInjectionTests/request(seed:)`` so a worker still
    /// holds leases when its key is revoked.
    static func longRequest() -> JobRequest {
        var request = FaultInjectionTests.request(seed: 23)
        request.plan.steps = 12
        return request
    }

    @Test(.enabled(if: getuid() == 0, "needs root: it creates network namespaces and a bridge (CI runs as root)"))
    func anAuthenticatedFarmOnThreeHosts() async throws {
        let net = try ThreeHostNetwork()
        defer { net.remove() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-3hosts-\(UUID().uuidString.prefix(8))")
        var processes: [ChildProcess] = []
        defer {
            for process in processes.reversed() { process.stop() }
            if ProcessInfo.processInfo.environment["REEL_KEEP_TEST_LOGS"] == nil { try? FileManager.default.removeItem(at: directory) }
        }
        let models = directory.appendingPathComponent("models").path
        try TestFarm.ensureModel(at: models)
        let keys = directory.appendingPathComponent("keys").path
        let allowed = directory.appendingPathComponent("allowed").path
        try FileManager.default.createDirectory(atPath: allowed, withIntermediateDirectories: true)

        /// Runs `reel ARGS` to its end; what it printed.
        func reel(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
            let log = directory.appendingPathComponent("cli-\(UUID().uuidString.prefix(8)).log")
            let process = try ChildProcess(TestFarm.reelBinary, arguments, log: log, environment: environment)
            #expect(process.wait(timeout: .seconds(60)), "`reel \(arguments.joined(separator: " "))` did not finish")
            return try String(contentsOf: log, encoding: .utf8)
        }

        // 1. Keys, made by the CLI: the coordinator's pair, one per worker, and a
        // stranger's that is never put on the allow-list.
        for name in ["coordinator", "w1", "w2", "w3", "poisoner", "stranger"] {
            _ = try reel(["keys", "generate", "--out", keys, "--name", name])
        }
        for name in ["w1", "w2", "w3", "poisoner"] {
            try FileManager.default.copyItem(atPath: "\(keys)/\(name).pub", toPath: "\(allowed)/\(name).pub")
        }

        // 2. The coordinator on its host, listening on the LAN address only.
        let host = net.coordinator.address
        let coordinator = try ChildProcess(
            net.coordinator.wrapper[0],
            Array(net.coordinator.wrapper.dropFirst()) + [
                TestFarm.reelBinary, "coordinator", "--data", directory.appendingPathComponent("data").path,
                "--http", "\(host):\(Self.httpPort)", "--listen", "tcp://\(host):\(Self.zmqPort)",
                "--curve-key", "\(keys)/coordinator.key", "--allowed-workers", allowed,
                // Every shard is re-run on a second worker, so the poisoner is caught in the first job.
                "--verify-fraction", "1",
            ],
            log: directory.appendingPathComponent("coordinator.log"))
        processes.append(coordinator)
        _ = try await coordinator.waitForLine(containing: "the CLI to http://", timeout: .seconds(90))
        let base = "http://\(host):\(Self.httpPort)"

        // 3. From the operator's machine: health is open, everything else needs a token.
        #expect(try await Self.status(base + "/v1/health", token: nil) == 200)
        #expect(try await Self.status(base + "/v1/jobs", token: nil) == 401)
        #expect(try await Self.status(base + "/v1/workers", token: "reel_" + String(repeating: "0", count: 64)) == 401)
        // The admin token the coordinator wrote (0600) makes a submit token, as the README's step 5 does.
        let adminFile = directory.appendingPathComponent("data/api-token").path
        let mode = (try FileManager.default.attributesOfItem(atPath: adminFile)[.posixPermissions] as? Int) ?? -1
        #expect(mode == 0o600)
        let admin = try String(contentsOfFile: adminFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let printed = try reel(["token", "create", "--scope", "submit", "--name", "operator", "--coordinator", base], environment: ["REEL_TOKEN": admin])
        let token = try #require(printed.split(separator: "\n").map(String.init).first { $0.hasPrefix("reel_") }, "no token in: \(printed)")
        let client = CoordinatorClient(baseURL: URL(string: base)!, token: token)
        await #expect(throws: (any Error).self) { _ = try await client.tokens() }

        // 4. Workers on the two other hosts, with their keys; the stranger on one of them.
        func worker(_ name: String, on target: ThreeHostNetwork.Host, key: String, fault: [String] = []) throws {
            let process = try ChildProcess(
                target.wrapper[0],
                Array(target.wrapper.dropFirst()) + [
                    TestFarm.reelBinary, "worker", "--coordinator", "tcp://\(host):\(Self.zmqPort)", "--name", name, "--threads", "1",
                    "--models", models, "--coordinator-key", "\(keys)/coordinator.pub", "--key", "\(keys)/\(key).key",
                ] + fault,
                log: directory.appendingPathComponent("\(name).log"),
                environment: fault.isEmpty ? [:] : ["REEL_TEST_FAULTS": "poison-results"])
            processes.append(process)
        }
        try worker("w1", on: net.workers[0], key: "w1")
        try worker("w3", on: net.workers[0], key: "w3")
        try worker("w2", on: net.workers[1], key: "w2")
        try worker("poisoner", on: net.workers[1], key: "poisoner", fault: ["--poison-results", "1"])
        try worker("stranger", on: net.workers[1], key: "stranger")
        try await ProcessFarm.waitUntil(timeout: .seconds(90), logs: directory) {
            Set(try await client.workers().filter { $0.state == "active" }.map(\.name)) == ["w1", "w2", "w3", "poisoner"]
        }

        // 5. A job across the hosts, one worker poisoning every result: the undisturbed latents.
        let first = FaultInjectionTests.request()
        let expected = try await FaultInjectionTests.reference.sha(first)
        let id = try await client.submit(FarmAPI.SubmitRequest(request: first))
        let done = try await ProcessFarm.waitForEnd(id, client: client, timeout: .seconds(300), logs: directory)
        #expect(done.state == "succeeded", "\(done.reason ?? "")")
        #expect(done.latentsSha256 == expected)
        let workers = try await client.workers()
        #expect(workers.first { $0.name == "poisoner" }?.quarantinedAt != nil, "the poisoner was not quarantined")
        #expect(workers.filter { $0.name != "poisoner" }.allSatisfy { $0.quarantinedAt == nil }, "an honest worker was quarantined")
        // The stranger never joined, and the coordinator said why.
        #expect(try await !client.workers().contains { $0.name == "stranger" })
        let log = try String(contentsOf: directory.appendingPathComponent("coordinator.log"), encoding: .utf8)
        #expect(log.contains("worker connection rejected"), "no rejection logged")
        #expect(!log.contains(admin) && !log.contains(token), "a token in the coordinator's log")

        // 6. Revoked mid-job: w2 is dropped, its leases run on w1 and w3, the latents are undisturbed.
        let second = Self.longRequest()
        let expectedSecond = try await FaultInjectionTests.reference.sha(second)
        let id2 = try await client.submit(FarmAPI.SubmitRequest(request: second))
        try await ProcessFarm.waitUntil(timeout: .seconds(120), logs: directory) {
            try await client.workers().first { $0.name == "w2" }?.running.isEmpty == false
        }
        try FileManager.default.removeItem(atPath: "\(allowed)/w2.pub")
        try await ProcessFarm.waitUntil(timeout: .seconds(30), logs: directory) {
            try await client.workers().first { $0.name == "w2" }?.state != "active"
        }
        let done2 = try await ProcessFarm.waitForEnd(id2, client: client, timeout: .seconds(300), logs: directory)
        #expect(done2.state == "succeeded", "\(done2.reason ?? "")")
        #expect(done2.latentsSha256 == expectedSecond)
        #expect(try await client.workers().first { $0.name == "w2" }?.state != "active", "the revoked worker came back")
    }

    static func status(_ url: String, token: String?) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}
