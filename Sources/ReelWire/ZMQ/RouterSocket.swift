import Foundation

/// The coordinator's side: a ROUTER that many DEALERs connect to, addressing each
/// by the ``PeerID`` ZeroMQ gives its connection.
///
/// `ZMQ_ROUTER_MANDATORY` is on, so sending to a worker that has gone throws
/// ``WireError/peerUnreachable(peer:endpoint:)`` rather than silently dropping the
/// message. Like ``ZMQSocket``, one thread owns it.
public final class RouterSocket {
    /// The underlying socket, for ``ZMQPoller`` and further ``ZMQOption``s.
    public let socket: ZMQSocket

    /// A new ROUTER in `context`.
    public init(context: ZMQContext) throws(WireError) {
        socket = try ZMQSocket(context, kind: .router)
        try socket.set(.routerMandatory(true))
    }

    /// Sets one option (see ``ZMQOption``); set `maxMessageSize` before binding.
    public func set(_ option: ZMQOption) throws(WireError) {
        try socket.set(option)
    }

    /// Binds and returns the endpoint bound (the chosen port for `tcp://host:*`).
    @discardableResult
    public func bind(_ endpoint: String) throws(WireError) -> String {
        try socket.bind(endpoint)
    }

    /// The next message and the peer that sent it, or `nil` after `timeout` (`nil`
    /// waits forever). `frames` is what the peer sent, without the routing id.
    public func receive(timeout: Duration?) throws(WireError) -> (peer: PeerID, frames: [Data])? {
        guard let frames = try socket.receive(timeout: timeout), let id = frames.first else { return nil }
        return (PeerID(Array(id)), Array(frames.dropFirst()))
    }

    /// Sends `frames` as one message to `peer`.
    public func send(to peer: PeerID, frames: [Data]) throws(WireError) {
        guard !frames.isEmpty else { throw .invalidArgument("cannot send a message with no frames to \(peer)") }
        try socket.send([Data(peer.bytes)] + frames)
    }

    /// Closes the socket.
    public func close() {
        socket.close()
    }
}
