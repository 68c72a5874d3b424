import ReelWire

/// CURVE settings for the coordinator's workers socket.
public struct CoordinatorCurve: Sendable {
    /// The coordinator's key pair; workers hold its public half.
    public var keyPair: CurveKeyPair
    /// The allow-list of worker keys: a file or a directory of `.pub` files
    /// (``WorkerAllowList``), re-read every `reloadInterval`.
    public var allowList: String
    public var reloadInterval: Duration
    /// Whether SIGHUP re-reads the allow-list at once (``WorkerAuthority/reloadOnHangup()``):
    /// on for `reel coordinator`; a process that embeds a coordinator decides for itself.
    public var reloadOnHangup: Bool

    public init(keyPair: CurveKeyPair, allowList: String, reloadInterval: Duration = .seconds(1), reloadOnHangup: Bool = false) {
        self.keyPair = keyPair
        self.allowList = allowList
        self.reloadInterval = reloadInterval
        self.reloadOnHangup = reloadOnHangup
    }
}

extension CoordinatorConfig {
    /// Throws ``PlaintextRefused`` for plaintext on a `listen` endpoint other
    /// machines can reach without `insecurePlaintext`: checked before anything
    /// starts, and again when the socket binds.
    public func checkWorkerSecurity() throws(PlaintextRefused) {
        guard curve == nil, !insecurePlaintext, !WireEndpoint.isLoopback(listen) else { return }
        throw PlaintextRefused(
            endpoint: listen, keysHint: "give the coordinator --curve-key and --allowed-workers (make keys with `reel keys generate`)")
    }
}

/// Why the coordinator will not listen as configured.
public enum CoordinatorSecurityError: Error, Sendable, CustomStringConvertible {
    /// A key or allow-list problem.
    case keys(CurveKeyError)

    public var description: String {
        switch self {
        case .keys(let error): return error.description
        }
    }
}
