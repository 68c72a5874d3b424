import CZeroMQ
import Foundation

/// Large frames cross between Swift and libzmq without a copy: a shard's latents
/// at 832×480 are 8 MB, and copying each into and out of libzmq's buffers (with
/// fresh pages each time) cost the coordinator more than blending them.
extension ZMQSocket {
    /// Frames at least this large are lent or adopted rather than copied; smaller
    /// ones are cheaper to copy than to track.
    static let zeroCopyBytes = 64 << 10

    /// Keeps a sent frame's bytes alive until libzmq has written them out.
    private final class LentFrame {
        let data: Data
        init(_ data: Data) { self.data = data }
    }

    /// Sends `frame` from its own storage: libzmq holds a reference and drops it
    /// (on its I/O thread) once the bytes are on the socket. Foundation's `Data`
    /// keeps a large buffer at one address while it is alive and not mutated,
    /// which the retained ``LentFrame`` guarantees until the free callback runs.
    static func sendInPlace(_ frame: Data, socket: UnsafeMutableRawPointer, flags: Int32) -> Int32 {
        let lent = LentFrame(frame)
        let base = lent.data.withUnsafeBytes { UnsafeMutableRawPointer(mutating: $0.baseAddress!) }
        var message = zmq_msg_t()
        let hint = Unmanaged.passRetained(lent).toOpaque()
        let release: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
            if let hint { Unmanaged<LentFrame>.fromOpaque(hint).release() }
        }
        guard zmq_msg_init_data(&message, base, lent.data.count, release, hint) == 0 else {
            Unmanaged<LentFrame>.fromOpaque(hint).release()
            return -1
        }
        let rc = zmq_msg_send(&message, socket, flags)
        if rc == -1 {
            // Not sent: the message is still ours, and closing it runs `release`.
            let code = zmq_errno()
            zmq_msg_close(&message)
            errno = code
        }
        return rc
    }

    /// A received frame as `Data` over libzmq's own buffer: the message moves to
    /// the heap and is closed when the `Data` is released.
    static func adopt(_ message: inout zmq_msg_t, size: Int) -> Data {
        let owned = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        zmq_msg_init(owned)
        zmq_msg_move(owned, &message)
        return Data(bytesNoCopy: zmq_msg_data(owned), count: size, deallocator: .custom { _, _ in
            zmq_msg_close(owned)
            owned.deallocate()
        })
    }
}
