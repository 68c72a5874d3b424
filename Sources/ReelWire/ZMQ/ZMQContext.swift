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

    /// A new context with `ioThreads` I/O threads (libzmq's default is one).
    ///
    /// A socket's connections are spread over the I/O threads, and each carries
    /// its connections' copies and, under CURVE, their encryption: a coordinator
    /// serving many workers on a machine with cores to spare gives them more than
    /// one, so no single thread bounds its bytes per second.
    public init(ioThreads: Int = 1) throws(WireError) {
        guard let handle = zmq_ctx_new() else {
            throw ZMQCall.error("zmq_ctx_new", endpoint: "(context)")
        }
        self.handle = handle
        if ioThreads != 1, zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(clamping: max(1, ioThreads))) != 0 {
            let error = ZMQCall.error("zmq_ctx_set(ZMQ_IO_THREADS)", endpoint: "(context)")
            zmq_ctx_term(handle)
            throw error
        }
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
