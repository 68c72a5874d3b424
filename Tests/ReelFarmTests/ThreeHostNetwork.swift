import Foundation

/// Three "hosts" on one machine: network namespaces joined by a bridge, as three
/// machines on a LAN are by a switch. The coordinator and its PostgreSQL live on
/// one, a worker on each of the other two; the test process (the bridge's own
/// address) plays the operator's machine, which reaches the API over the LAN.
/// Needs root and iproute2; `remove()` takes it all down.
struct ThreeHostNetwork {
    struct Host {
        let namespace: String
        let address: String
        /// Runs a command on this host: `ip netns exec NS …`, which execs it, so
        /// signals reach the command itself.
        var wrapper: [String] { [VethLink.ip, "netns", "exec", namespace] }
    }

    let bridge: String
    let operatorAddress: String
    let coordinator: Host
    let workers: [Host]
    private let links: [String]

    init() throws {
        let tag = getpid() % 200 + 20
        let prefix = "10.232.\(tag)"
        bridge = "rb\(getpid() % 100_000)"
        operatorAddress = "\(prefix).1"
        let names = ["coord", "w1", "w2"]
        var hosts: [Host] = []
        var links: [String] = []
        try VethLink.run(["link", "add", bridge, "type", "bridge"])
        try VethLink.run(["addr", "add", "\(operatorAddress)/24", "dev", bridge])
        try VethLink.run(["link", "set", bridge, "up"])
        for (index, name) in names.enumerated() {
            let namespace = "reel-\(name)-\(getpid())"
            let outside = "r\(getpid() % 100_000)\(index)h"
            let inside = "r\(getpid() % 100_000)\(index)n"
            let address = "\(prefix).\(10 + index)"
            try VethLink.run(["netns", "add", namespace])
            try VethLink.run(["link", "add", outside, "type", "veth", "peer", "name", inside])
            links.append(outside)
            try VethLink.run(["link", "set", inside, "netns", namespace])
            try VethLink.run(["link", "set", outside, "master", bridge])
            try VethLink.run(["link", "set", outside, "up"])
            let inNamespace = ["netns", "exec", namespace, VethLink.ip]
            try VethLink.run(inNamespace + ["addr", "add", "\(address)/24", "dev", inside])
            try VethLink.run(inNamespace + ["link", "set", inside, "up"])
            try VethLink.run(inNamespace + ["link", "set", "lo", "up"])
            hosts.append(Host(namespace: namespace, address: address))
        }
        self.links = links
        coordinator = hosts[0]
        workers = Array(hosts.dropFirst())
    }

    func remove() {
        for link in links { try? VethLink.run(["link", "del", link]) }
        try? VethLink.run(["link", "del", bridge])
        for host in [coordinator] + workers { try? VethLink.run(["netns", "del", host.namespace]) }
    }
}
