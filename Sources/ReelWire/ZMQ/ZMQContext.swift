import CZeroMQ

/// A ZeroMQ context: the I/O threads behind every socket made from it.
///
/// Thread-safe (libzmq contexts are), so one context serves the whole process.
/// Sockets keep their context alive; it is terminated when the last reference
/// goes, which waits for each socket's linger period (0 by default, see
/// ``ZMQSocket``).
public final class ZMQContext: @unchecked Sendable {
    /// The `void *` libzmq returned; never leaves this module.
    let handle: UnsafeMutableRawPointer

    /// A new context with libzmq's default of one I/O thread.
    public init() throws(WireError) {
        guard let handle = zmq_ctx_new() else {
            throw ZMQCall.error("zmq_ctx_new", endpoint: "(context)")
        }
        self.handle = handle
    }

    deinit {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// libzmq's version, e.g. `4.3.4`, for startup logs.
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}

/// Turning libzmq's errno results into ``WireError``.
enum ZMQCall {
    /// The error for the call that just failed, with `zmq_strerror`'s text.
    static func error(_ operation: String, endpoint: String, code: Int32 = zmq_errno()) -> WireError {
        .zmq(operation: operation, endpoint: endpoint, code: code, message: String(cString: zmq_strerror(code)))
    }
}
