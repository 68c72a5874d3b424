import Foundation
import ReelCoordinator
import ReelFarm
import Testing

/// A worker on another host joins over TCP: here a `reel worker` process in its
/// own network namespace, reaching the coordinator only through a veth pair.
/// Needs root and iproute2 (CI runs as root; `Deploy/install-deps.sh` installs it):
/// for anyone else it is skipped, and the skip says why.
@Suite(.serialized) struct NetworkNamespaceTests {
    @Test(.enabled(if: getuid() == 0, "needs root: it creates a network namespace and a veth pair (CI runs as root)"))
    func workerInAnotherNamespaceRendersShards() async throws {
        let link = try VethLink()
        defer { link.remove() }
        let farm = try TestFarm(listen: "tcp://\(link.hostAddress):*")
        defer { farm.stop() }
        #expect(farm.service.endpoint.hasPrefix("tcp://\(link.hostAddress):"))
        _ = try farm.spawnWorkerProcess(name: "remote", wrapper: [VethLink.ip, "netns", "exec", link.namespace])
        try await farm.service.waitForWorkers(1, timeout: .seconds(60))
        let status = try await farm.run(TestFarm.request(seed: 5))
        #expect(status.state == "succeeded", "\(status.reason ?? "")")
        #expect(status.shards["done"] == status.shardTotal && status.shardTotal > 0)
    }
}

/// A namespace and a veth pair on a private /24, removed by `remove()`.
struct VethLink {
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "ip"
    let namespace: String
    let hostInterface: String
    let hostAddress: String
    let namespaceAddress: String

    init() throws {
        let tag = getpid() % 200 + 20
        namespace = "reel-test-\(getpid())"
        hostInterface = "rt\(getpid() % 100_000)h"
        let peer = "rt\(getpid() % 100_000)n"
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
