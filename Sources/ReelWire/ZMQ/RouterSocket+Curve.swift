import Foundation

/// A ROUTER that authenticates its peers: with CURVE and a ZAP handler
/// (``ZAPHandler``), each connection carries the user id the handler gave it,
/// here the peer's public key, so the coordinator can tell which key sent each
/// message and drop the messages of a key revoked after its connection was made.
extension RouterSocket {
    /// Makes this socket a CurveZMQ server with `keyPair`, asking the ZAP handler
    /// of its context (bound first, see ``ZAPHandler``) about every connection in
    /// ZAP domain `domain`. Set before binding.
    public func enableCurveServer(_ keyPair: CurveKeyPair, zapDomain domain: String) throws(WireError) {
        try set(.curveServer(true))
        try set(.curveSecretKey(keyPair.secretKey))
        try set(.curvePublicKey(keyPair.publicKey))
        try set(.zapDomain(domain))
        socket.readsUserID = true
    }

    /// Like ``receive(timeout:)``, with the ZAP user id of the connection the
    /// message came on (`nil` on a socket without ZAP).
    public func receiveAuthenticated(timeout: Duration?) throws(WireError) -> (peer: PeerID, userID: String?, frames: [Data])? {
        guard let (peer, frames) = try receive(timeout: timeout) else { return nil }
        return (peer, socket.lastUserID, frames)
    }
}

extension DealerSocket {
    /// Makes this socket a CurveZMQ client of the server whose public key is
    /// `server`, presenting `keyPair`. Set before connecting.
    public func enableCurveClient(server: CurvePublicKey, keyPair: CurveKeyPair) throws(WireError) {
        try set(.curveServerKey(server))
        try set(.curvePublicKey(keyPair.publicKey))
        try set(.curveSecretKey(keyPair.secretKey))
    }
}
