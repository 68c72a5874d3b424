import CZeroMQ
import Foundation

/// Waiting on several sockets at once (`zmq_poll`), from the thread that owns them.
public enum ZMQPoller {
    /// Waits until at least one of `sockets` has a message to receive, or `timeout`
    /// passes (`nil` waits forever, `.zero` only checks), and returns the indices of
    /// the sockets that can receive now, in order; empty on timeout. An interrupted
    /// wait (EINTR) resumes with the time left.
    public static func poll(_ sockets: [ZMQSocket], timeout: Duration?) throws(WireError) -> [Int] {
        guard !sockets.isEmpty else { throw .invalidArgument("poll needs at least one socket") }
        var items: [zmq_pollitem_t] = []
        items.reserveCapacity(sockets.count)
        for socket in sockets {
            items.append(zmq_pollitem_t(socket: try socket.open(), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            var milliseconds = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                milliseconds = left <= .zero ? 0 : (left.zmqMilliseconds ?? 0)
            }
            let count = zmq_poll(&items, Int32(items.count), milliseconds)
            if count >= 0 {
                return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
            }
            let code = zmq_errno()
            guard code == EINTR else {
                let names = sockets.map(\.endpointDescription).joined(separator: "; ")
                throw ZMQCall.error("poll", endpoint: names, code: code)
            }
        }
    }
}
