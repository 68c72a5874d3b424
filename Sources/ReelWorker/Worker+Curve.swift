import ReelWire

/// CURVE settings for a worker's connection.
public struct WorkerCurve: Sendable {
    /// The coordinator's public key (its `.pub` file).
    public var coordinatorKey: CurvePublicKey
    /// This worker's key pair, whose public half is on the coordinator's allow-list.
    public var keyPair: CurveKeyPair

    public init(coordinatorKey: CurvePublicKey, keyPair: CurveKeyPair) {
        self.coordinatorKey = coordinatorKey
        self.keyPair = keyPair
    }
}

extension Worker {
    /// Makes `dealer` a CURVE client when keys are configured; otherwise checks that
    /// plaintext is allowed for the coordinator's endpoint.
    func secure(_ dealer: DealerSocket, config: WorkerConfig) throws {
        if let curve = config.curve {
            try dealer.enableCurveClient(server: curve.coordinatorKey, keyPair: curve.keyPair)
            return
        }
        guard WireEndpoint.isLoopback(config.coordinator) || config.insecurePlaintext else {
            throw PlaintextRefused(
                endpoint: config.coordinator,
                keysHint: "give the worker --coordinator-key (the coordinator's .pub file) and --key (this worker's .key file)")
        }
    }
}
