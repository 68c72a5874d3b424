import Foundation

/// A worker's side: a DEALER connecting out to the coordinator's ROUTER, so a
/// worker needs no inbound port. libzmq reconnects it by itself after a drop.
///
/// Like ``ZMQSocket``, one thread owns it.
public final class DealerSocket {
    /// The underlying socket, for ``ZMQPoller`` and further ``ZMQOption``s.
    public let socket: ZMQSocket

    /// A new DEALER in `context`.
    public init(context: ZMQContext) throws(WireError) {
        socket = try ZMQSocket(context, kind: .dealer)
    }

    /// Sets one option (see ``ZMQOption``); set routing id and limits before connecting.
    public func set(_ option: ZMQOption) throws(WireError) {
        try socket.set(option)
    }

    /// Connects to the coordinator's endpoint (returns at once; see ``ZMQSocket/connect(_:)``).
    public func connect(_ endpoint: String) throws(WireError) {
        try socket.connect(endpoint)
    }

    /// Sends `frames` as one message.
    public func send(_ frames: [Data]) throws(WireError) {
        try socket.send(frames)
    }

    /// The next message, or `nil` after `timeout` (`nil` waits forever).
    public func receive(timeout: Duration?) throws(WireError) -> [Data]? {
        try socket.receive(timeout: timeout)
    }

    /// Closes the socket.
    public func close() {
        socket.close()
    }
}
