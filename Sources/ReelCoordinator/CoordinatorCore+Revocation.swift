import ReelWire

/// A worker whose CURVE key was removed from the allow-list while it was connected.
extension CoordinatorCore {
    /// Drops the worker as if it were lost (its leases go back to the queue) and
    /// tells it why, so an honest worker stops instead of retrying; a dishonest
    /// one gets no further: the I/O layer drops every later message from its key,
    /// and the ZAP handler refuses its new connections.
    mutating func revoke(peer: PeerID, reason: String, at time: LoopTime) -> [CoordinatorAction] {
        guard let worker = workers[peer] else { return [] }
        return [
            .refuse(peer, .invalid, "this worker's key was revoked: \(reason)"),
            .log(.warning, "worker revoked", ["worker": "\(worker.name)", "reason": "\(reason)"]),
        ] + workerLost(peer, reason: "key revoked: \(reason)", at: time)
    }
}
