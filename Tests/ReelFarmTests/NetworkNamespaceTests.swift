import Foundation
import ReelCoordinator
import ReelFarm
import ReelPlan
import ReelStore
import ReelWire
import Testing

/// A worker on another host joins over TCP: here a `reel worker` process in its
/// own network namespace, reaching the coordinator only through a veth pair,
/// authenticated and encrypted with CURVE keys made by `reel keys generate`.
/// Needs root and iproute2 (CI runs as root; `Deploy/install-deps.sh` installs it):
/// for anyone else it is skipped, and the skip says why.
@Suite(.serialized, .farmSlot) struct NetworkNamespaceTests {
    @Test(.enabled(if: getuid() == 0, "needs root: it creates a network namespace and a veth pair (CI runs as root)"))
    func workerInAnotherNamespaceRendersShards() async throws {
        let link = try VethLink()
        defer { link.remove() }
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("reel-netns-keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: keys) }
        for name in ["coordinator", "remote"] { try CurveKeyPair.generate().write(to: keys, name: name) }
        let curve = CoordinatorCurve(keyPair: try CurveKeyPair.read(from: "\(keys)/coordinator.key"), allowList: "\(keys)/remote.pub")
        let farm = try TestFarm(listen: "tcp://\(link.hostAddress):*") { $0.config.curve = curve }
        defer { farm.stop() }
        #expect(farm.service.endpoint.hasPrefix("tcp://\(link.hostAddress):"))
        _ = try farm.spawnWorkerProcess(
            name: "remote", wrapper: [VethLink.ip, "netns", "exec", link.namespace],
            extraArguments: ["--coordinator-key", "\(keys)/coordinator.pub", "--key", "\(keys)/remote.key"])
        try await farm.service.waitForWorkers(1, timeout: .seconds(60))
        let status = try await farm.run(TestFarm.request(seed: 5))
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.shards["done"] == status.shardTotal && status.shardTotal > 0)
    }

    /// The remote worker's link cut while it holds a lease, for longer than the
    /// heartbeat timeout, then restored. Its leases go to the local worker; what it
    /// sends late for them is rejected as stale, not recorded; it comes back under
    /// its own name (its routing identity), active and not blocklisted; and the job
    /// ends with the undisturbed latents, which `reel status` reports.
    /// At 128×128 with the tiny model, and at 832×480 with the simulated-time
    /// stand-in model (real tensor sizes, no compute; see ``RealSizeFaultTests``).
    @Test(
        .enabled(if: getuid() == 0, "needs root: it cuts a worker's link in its own network namespace (CI runs as root)"),
        arguments: ["128x128 tiny", "832x480 simulated"])
    func workerCutOffPastTheHeartbeatTimeoutIsReplacedAndComesBack(size: String) async throws {
        let real = size.hasPrefix("832")
        let request = real ? RealSizeFaultTests.request : FaultInjectionTests.request()
        let expected = try await real ? RealSizeFaultTests.reference.sha() : FaultInjectionTests.reference.sha(request)
        let stepMs = real ? RealSizeFaultTests.stepMs : nil
        let link = try VethLink()
        defer { link.remove() }
        let farm = try ProcessFarm(listenHost: link.hostAddress)
        defer { farm.stop() }
        // Checks off: a checked shard holds its dependents back, and the cut must find the remote worker holding a lease.
        try await farm.startCoordinator(arguments: ["--verify-fraction", "0"])
        try farm.startWorker("remote", wrapper: [VethLink.ip, "netns", "exec", link.namespace], simulatedStepMs: stepMs)
        try await farm.waitForWorkers(1)
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: request))
        // Alone on the job, it holds leases from its first one until the work runs out.
        try await farm.waitUntil(timeout: .seconds(120)) { try await farm.worker("remote")?.running.isEmpty == false }
        try link.cut()
        // The local worker finishes the job while the remote one is cut off.
        try farm.startWorker("local", simulatedStepMs: stepMs)
        // The coordinator (5 s heartbeat timeout) hears nothing and loses it.
        try await farm.waitUntil(timeout: .seconds(30)) { try await farm.worker("remote")?.state == "lost" }
        // What it held then can only be answered late. (A result already on its way
        // when the link went down was recorded as usual, and is not among these.)
        let store = try farm.store()
        let cutOff = try store.events(job: id, limit: 1000).compactMap { event -> (shard: ShardID, attempt: Int)? in
            guard event.kind.rawValue == "shard.retry", event.worker == "remote", let detail = event.detail,
                detail.contains("no heartbeat"), let shard = event.shard, let attempt = detail.firstMatch(of: #/^attempt (\d+) /#)
            else { return nil }
            return (shard, Int(attempt.1)!)
        }
        try #require(!cutOff.isEmpty, "the remote worker held no lease when it was lost")
        try link.restore()
        // Back under its own name: a refusal as a duplicate would keep it out.
        try await farm.waitUntil(timeout: .seconds(60)) { try await farm.worker("remote")?.state == "active" }

        let status = try await farm.waitForEnd(id)
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.latentsSha256 == expected)
        #expect(status.progress == 1 && status.shards["done"] == status.shardTotal)
        // The late result is offered again once the worker registers again (or its
        // offer arrives when TCP retransmits): refused as stale either way, and the
        // worker is told to drop it rather than send it.
        try await farm.waitUntil(timeout: .seconds(30)) {
            try store.events(job: nil, limit: 1000).contains { event in
                event.kind.rawValue == "rejected" && event.worker == "remote"
                    && ["stale result", "unknown job"].contains { (event.detail ?? "").contains($0) }
            }
        }
        let shards = Dictionary(uniqueKeysWithValues: try store.shards(job: id).map { ($0.shard, $0.status) })
        let done = try store.events(job: id, limit: 1000).filter { $0.kind.rawValue == "shard.done" && $0.worker == "remote" }
        for (shard, attempt) in cutOff {
            #expect(shards[shard]?.state == .done && (shards[shard]?.attempt ?? 0) > attempt, "shard \(shard): \(String(describing: shards[shard]))")
            #expect(
                !done.contains { $0.shard == shard && ($0.detail ?? "").hasPrefix("attempt \(attempt) ") },
                "shard \(shard): the result of the cut-off attempt \(attempt) was recorded")
        }
        let remote = try #require(try await farm.worker("remote"))
        #expect(remote.state == "active")
        #expect(try store.blocklisted(job: id, threshold: 1).isEmpty)
        #expect(try await farm.client.health().rejectedMessages > 0)
        let events = try store.events(job: nil, limit: 1000).compactMap(\.detail)
        #expect(!events.contains { $0.contains("duplicate worker name") })
        #expect(events.contains { $0.contains("no heartbeat") })

        let printed = try farm.cli(["status", "\(id)"])
        #expect(printed.contains("job \(id) succeeded 100.0%  shards: \(status.shardTotal) done"), "\(printed)")
        #expect(printed.contains("latents_sha256 \(expected)"), "\(printed)")
    }
}

/// A namespace and a veth pair on a private /24, removed by `remove()`.
struct VethLink {
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "ip"
    let namespace: String
    let hostInterface: String
    /// The pair's end inside the namespace: the worker's only way out.
    let namespaceInterface: String
    let hostAddress: String
    let namespaceAddress: String

    init() throws {
        let tag = getpid() % 200 + 20
        namespace = "reel-test-\(getpid())"
        hostInterface = "rt\(getpid() % 100_000)h"
        let peer = "rt\(getpid() % 100_000)n"
        namespaceInterface = peer
        hostAddress = "10.231.\(tag).1"
        namespaceAddress = "10.231.\(tag).2"
        try Self.run(["netns", "add", namespace])
        try Self.run(["link", "add", hostInterface, "type", "veth", "peer", "name", peer])
        try Self.run(["link", "set", peer, "netns", namespace])
        try Self.run(["addr", "add", "\(hostAddress)/24", "dev", hostInterface])
        try Self.run(["link", "set", hostInterface, "up"])
        try Self.run(["netns", "exec", namespace, Self.ip, "addr", "add", "\(namespaceAddress)/24", "dev", peer])
        try Self.run(["netns", "exec", namespace, Self.ip, "link", "set", peer, "up"])
        try Self.run(["netns", "exec", namespace, Self.ip, "link", "set", "lo", "up"])
    }

    /// The namespace's end goes down, as a host losing its network would: the
    /// TCP connection stays open but nothing crosses it, in either direction.
    func cut() throws {
        try Self.run(["netns", "exec", namespace, Self.ip, "link", "set", namespaceInterface, "down"])
    }

    /// The link is back (with its route); the same TCP connection carries on.
    func restore() throws {
        try Self.run(["netns", "exec", namespace, Self.ip, "link", "set", namespaceInterface, "up"])
    }

    func remove() {
        try? Self.run(["link", "del", hostInterface])
        try? Self.run(["netns", "del", namespace])
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "`ip \(arguments.joined(separator: " "))` exited with \(process.terminationStatus)")
        }
    }
}
