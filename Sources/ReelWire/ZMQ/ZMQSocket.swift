import CZeroMQ
import Foundation

/// A ZeroMQ socket sending and receiving multipart messages.
///
/// **Not thread-safe**: libzmq sockets must be used from one thread at a time, so
/// one thread owns each socket for its whole life (create it on that thread; to
/// wake that thread from others, use a `.pair` socket over `inproc://`). The type
/// is deliberately not `Sendable`.
///
/// New sockets have `ZMQ_LINGER` 0: closing never blocks, and messages not yet
/// handed to the network are dropped. Keep a socket alive until what it sent has
/// been answered, or set ``ZMQOption/linger(_:)``. The socket closes on ``close()``
/// or when released.
public final class ZMQSocket {
    /// ZeroMQ socket types.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        case router, dealer, pair, publisher, subscriber, push, pull, request, reply

        var zmqType: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .dealer: return ZMQ_DEALER
            case .pair: return ZMQ_PAIR
            case .publisher: return ZMQ_PUB
            case .subscriber: return ZMQ_SUB
            case .push: return ZMQ_PUSH
            case .pull: return ZMQ_PULL
            case .request: return ZMQ_REQ
            case .reply: return ZMQ_REP
            }
        }

        public var description: String {
            switch self {
            case .router: return "ROUTER"
            case .dealer: return "DEALER"
            case .pair: return "PAIR"
            case .publisher: return "PUB"
            case .subscriber: return "SUB"
            case .push: return "PUSH"
            case .pull: return "PULL"
            case .request: return "REQ"
            case .reply: return "REP"
            }
        }
    }

    /// The socket's type.
    public let kind: Kind
    private let context: ZMQContext
    private var handle: UnsafeMutableRawPointer?
    private var endpoints: [String] = []
    /// Whether ``receive(timeout:)`` reads the message's ZAP `User-Id` property
    /// into ``lastUserID`` (on a CURVE server; see `ZMQSocket+Curve.swift`).
    var readsUserID = false
    /// The `User-Id` the ZAP handler gave the connection the last message came on.
    var lastUserID: String?

    /// A new socket of `kind` in `context`.
    public init(_ context: ZMQContext, kind: Kind) throws(WireError) {
        guard let handle = zmq_socket(context.handle, kind.zmqType) else {
            throw ZMQCall.error("zmq_socket(\(kind))", endpoint: "(new socket)")
        }
        self.context = context
        self.kind = kind
        self.handle = handle
        try set(.linger(.zero))
    }

    deinit { close() }

    /// Which socket this is, for errors: its kind and the endpoints it was bound or
    /// connected to.
    public var endpointDescription: String {
        endpoints.isEmpty ? "\(kind) (unbound)" : "\(kind) \(endpoints.joined(separator: ", "))"
    }

    /// Binds to `endpoint` and returns the endpoint actually bound: for
    /// `tcp://127.0.0.1:*` the port the system chose, read from `ZMQ_LAST_ENDPOINT`.
    @discardableResult
    public func bind(_ endpoint: String) throws(WireError) -> String {
        let socket = try open()
        guard zmq_bind(socket, endpoint) == 0 else { throw ZMQCall.error("bind", endpoint: endpoint) }
        let bound = try lastEndpoint(socket) ?? endpoint
        endpoints.append(bound)
        return bound
    }

    /// Connects to `endpoint`. Returns at once; libzmq connects (and reconnects) in
    /// the background and queues messages meanwhile.
    public func connect(_ endpoint: String) throws(WireError) {
        let socket = try open()
        guard zmq_connect(socket, endpoint) == 0 else { throw ZMQCall.error("connect", endpoint: endpoint) }
        endpoints.append(endpoint)
    }

    /// Closes the socket; later calls throw ``WireError/socketClosed(kind:)``.
    /// Closing twice is harmless.
    public func close() {
        guard let socket = handle else { return }
        zmq_close(socket)
        handle = nil
    }

    /// Sets one option (see ``ZMQOption``).
    public func set(_ option: ZMQOption) throws(WireError) {
        let socket = try open()
        let (name, value) = try option.encoded()
        let rc = value.withUnsafeBytes { zmq_setsockopt(socket, name, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQCall.error("setsockopt(\(option))", endpoint: endpointDescription) }
    }

    /// Sends `frames` as one multipart message (all frames arrive or none).
    /// On a ROUTER the first frame is the peer's routing id; prefer ``RouterSocket``.
    public func send(_ frames: [Data]) throws(WireError) {
        let socket = try open()
        guard !frames.isEmpty else { throw .invalidArgument("cannot send a message with no frames") }
        for (index, frame) in frames.enumerated() {
            let flags = index + 1 < frames.count ? ZMQ_SNDMORE : 0
            var rc: Int32
            repeat {
                rc = frame.count >= Self.zeroCopyBytes
                    ? Self.sendInPlace(frame, socket: socket, flags: flags)
                    : frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
            } while rc == -1 && zmq_errno() == EINTR
            guard rc == -1 else { continue }
            let code = zmq_errno()
            switch code {
            case EHOSTUNREACH where kind == .router && index == 0:
                throw .peerUnreachable(peer: PeerID(Array(frame)), endpoint: endpointDescription)
            case EAGAIN:
                throw .sendTimedOut(endpoint: endpointDescription)
            default:
                throw ZMQCall.error("send (frame \(index) of \(frames.count))", endpoint: endpointDescription, code: code)
            }
        }
    }

    /// Sends byte-array frames as one multipart message.
    public func send(_ frames: [[UInt8]]) throws(WireError) {
        try send(frames.map { Data($0) })
    }

    /// The next whole multipart message, or `nil` when none arrives within `timeout`
    /// (`nil` waits forever, `.zero` only takes what is already queued).
    public func receive(timeout: Duration?) throws(WireError) -> [Data]? {
        let socket = try open()
        let deadline = timeout.map { ContinuousClock.now + $0 }
        while true {
            if let frames = try receiveQueued(socket) { return frames }
            var remaining: Duration?
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero { return nil }
                remaining = left
            }
            // Readable, timed out or interrupted: the next turn receives or re-checks.
            _ = try ZMQPoller.poll([self], timeout: remaining)
        }
    }

    /// A message already queued, without waiting.
    private func receiveQueued(_ socket: UnsafeMutableRawPointer) throws(WireError) -> [Data]? {
        var frames: [Data] = []
        var userIDFound: String?
        defer { lastUserID = userIDFound }
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            // Later frames of a multipart message are already queued: libzmq delivers
            // all of them or none, so only the first receive can find nothing.
            let flags = frames.isEmpty ? ZMQ_DONTWAIT : 0
            var rc: Int32
            repeat { rc = zmq_msg_recv(&message, socket, flags) } while rc == -1 && zmq_errno() == EINTR
            if rc == -1 {
                let code = zmq_errno()
                if code == EAGAIN && frames.isEmpty { return nil }
                throw ZMQCall.error("receive", endpoint: endpointDescription, code: code)
            }
            let size = zmq_msg_size(&message)
            let more = zmq_msg_more(&message) != 0
            if readsUserID && userIDFound == nil {
                // The ZAP handler's user id for this connection (RFC 27), on each frame.
                userIDFound = zmq_msg_gets(&message, "User-Id").map { String(cString: $0) }
            }
            if size >= Self.zeroCopyBytes {
                frames.append(Self.adopt(&message, size: size))
            } else {
                frames.append(size == 0 ? Data() : Data(bytes: zmq_msg_data(&message), count: size))
            }
            if !more { return frames }
        }
    }

    /// The libzmq handle, or ``WireError/socketClosed(kind:)``; only ``ZMQPoller``
    /// outside this type sees it.
    func open() throws(WireError) -> UnsafeMutableRawPointer {
        guard let handle else { throw .socketClosed(kind: kind.description) }
        return handle
    }

    /// An integer option's current value, for tests and diagnostics.
    func intOption(_ name: Int32) throws(WireError) -> Int32 {
        let socket = try open()
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(socket, name, &value, &size) == 0 else {
            throw ZMQCall.error("getsockopt(\(name))", endpoint: endpointDescription)
        }
        return value
    }

    private func lastEndpoint(_ socket: UnsafeMutableRawPointer) throws(WireError) -> String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw ZMQCall.error("getsockopt(ZMQ_LAST_ENDPOINT)", endpoint: endpointDescription)
        }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? nil : text
    }
}
