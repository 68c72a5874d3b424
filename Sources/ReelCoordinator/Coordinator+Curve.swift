import Foundation
import Logging
import ReelWire

/// The loop's side of CURVE: which key each peer's messages come with, and
/// dropping the peers whose key leaves the allow-list.
final class CoordinatorSecurity {
    let authority: WorkerAuthority
    let zap: ZAPHandler
    let keyPair: CurveKeyPair
    /// The key (ZAP user id) each peer's messages came with.
    var peerKeys: [PeerID: String] = [:]
    /// The allow-list generation last checked for revoked peers.
    var checkedGeneration: Int

    /// Reads the allow-list and binds the ZAP handler in `context`; must run before
    /// the ROUTER binds (libzmq admits every CURVE client when no handler is bound).
    /// Returns `nil` for plaintext, after checking plaintext is allowed on `config.listen`.
    static func start(config: CoordinatorConfig, context: ZMQContext, logger: Logger) throws -> CoordinatorSecurity? {
        try config.checkWorkerSecurity()
        guard let curve = config.curve else {
            if !WireEndpoint.isLoopback(config.listen) {
                logger.warning("workers connect in plaintext on a non-loopback endpoint (--insecure-plaintext)", metadata: ["endpoint": "\(config.listen)"])
            }
            return nil
        }
        guard CurveZMQ.isAvailable else { throw CoordinatorSecurityError.keys(.unavailable) }
        let authority: WorkerAuthority
        do {
            authority = try WorkerAuthority(path: curve.allowList, reloadInterval: curve.reloadInterval, logger: logger)
            if curve.reloadOnHangup { authority.reloadOnHangup() }
        } catch {
            throw CoordinatorSecurityError.keys(error)
        }
        let zap = try ZAPHandler(context: context) { request in authority.decide(request) }
        return CoordinatorSecurity(authority: authority, zap: zap, keyPair: curve.keyPair)
    }

    private init(authority: WorkerAuthority, zap: ZAPHandler, keyPair: CurveKeyPair) {
        self.authority = authority
        self.zap = zap
        self.keyPair = keyPair
        checkedGeneration = authority.generation
    }

    /// Stops the handler and the reloads; after the ROUTER is closed.
    func stop() {
        zap.stop()
        authority.stop()
    }
}

extension Coordinator {
    /// The next message from an allowed key (or from anyone, without CURVE); a
    /// message from a key no longer allowed is dropped, and its worker revoked.
    func receiveFromWorkers(timeout: Duration?) throws(WireError) -> (peer: PeerID, frames: [Data])? {
        guard let security else { return try router.receive(timeout: timeout) }
        dropRevokedWorkers(security)
        var wait = timeout
        while let (peer, userID, frames) = try router.receiveAuthenticated(timeout: wait) {
            if let userID, security.authority.allows(userID: userID) {
                security.peerKeys[peer] = userID
                return (peer, frames)
            }
            revoke(peer, security: security, reason: "its key is no longer in \(security.authority.path)")
            wait = .zero
        }
        return nil
    }

    /// After the allow-list changed: every connected peer whose key left it is revoked.
    func dropRevokedWorkers(_ security: CoordinatorSecurity) {
        let generation = security.authority.generation
        guard generation != security.checkedGeneration else { return }
        security.checkedGeneration = generation
        for (peer, userID) in security.peerKeys where !security.authority.allows(userID: userID) {
            revoke(peer, security: security, reason: "its key was removed from \(security.authority.path)")
        }
    }

    private func revoke(_ peer: PeerID, security: CoordinatorSecurity, reason: String) {
        security.peerKeys[peer] = nil
        if core.workers[peer] != nil {
            feed(.revoked(peer, reason: reason, at: time()))
        } else {
            reject(peer: peer, "message from a revoked key: \(reason)")
        }
    }
}
