/// What an endpoint string says about who can reach it, for the rule that
/// plaintext is refused beyond this machine unless the operator asks for it.
public enum WireEndpoint {
    /// Whether `endpoint` stays on this machine: `ipc://` and `inproc://`, or
    /// `tcp://` on 127.0.0.0/8, `localhost` or `[::1]`. `tcp://*`, `0.0.0.0`, any
    /// other address or interface name is not.
    public static func isLoopback(_ endpoint: String) -> Bool {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return true }
        guard endpoint.hasPrefix("tcp://") else { return false }
        var host = Substring(endpoint.dropFirst("tcp://".count))
        // A connect endpoint may name a source first: tcp://SOURCE;HOST:PORT.
        if let semicolon = host.lastIndex(of: ";") { host = host[host.index(after: semicolon)...] }
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            return host[host.index(after: host.startIndex) ..< close] == "::1"
        }
        if let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        if host == "localhost" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

}

/// Plaintext on an endpoint other machines can reach, without `--insecure-plaintext`.
public struct PlaintextRefused: Error, Sendable, CustomStringConvertible {
    /// The endpoint refused.
    public var endpoint: String
    /// How to give this side keys, e.g. which flags.
    public var keysHint: String

    public init(endpoint: String, keysHint: String) {
        self.endpoint = endpoint
        self.keysHint = keysHint
    }

    public var description: String {
        "\(endpoint) is reachable from other machines, and without CURVE keys anyone who reaches it could join the farm or read its data; \(keysHint), or pass --insecure-plaintext to accept that on a trusted network"
    }
}
