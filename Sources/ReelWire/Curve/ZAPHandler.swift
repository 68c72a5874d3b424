import CZeroMQ
import Foundation

/// A ZAP handler (ZeroMQ RFC 27): libzmq asks it, over `inproc://zeromq.zap.01`,
/// whether each new connection to a CURVE server socket of the same context may
/// complete its handshake, and it answers from ``authorize``.
///
/// It serves its REP socket on a thread of its own, so a handshake never waits
/// for the coordinator's loop and the loop never waits for a handshake.
///
/// **Fail closed.** libzmq lets a CURVE handshake through when *no* handler is
/// bound, so the handler must be bound before the server socket binds and must
/// outlive it: create it first, ``stop()`` it only after the server socket is closed.
public final class ZAPHandler: @unchecked Sendable {
    /// The endpoint libzmq sends ZAP requests to (fixed by RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    /// One ZAP request: who is connecting, with which mechanism and key.
    public struct Request: Sendable {
        /// The server socket's ZAP domain.
        public var domain: String
        /// The peer's IP address as libzmq saw it.
        public var address: String
        /// `CURVE`, `PLAIN` or `NULL`.
        public var mechanism: String
        /// The client's long-term public key, for `CURVE`.
        public var publicKey: CurvePublicKey?

        public init(domain: String, address: String, mechanism: String, publicKey: CurvePublicKey?) {
            self.domain = domain
            self.address = address
            self.mechanism = mechanism
            self.publicKey = publicKey
        }
    }

    /// The handler's answer.
    public enum Decision: Sendable, Equatable {
        /// Status 200: the connection's messages then carry `userID` (``RouterSocket/receiveAuthenticated(timeout:)``).
        case allow(userID: String)
        /// Status 400: the handshake fails and the peer is disconnected.
        case deny(reason: String)
    }

    private let authorize: @Sendable (Request) -> Decision
    private let stopped = StopSignal()
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    /// Binds the handler's socket in `context` and starts its thread. Only one ZAP
    /// handler may exist per context.
    public init(context: ZMQContext, authorize: @escaping @Sendable (Request) -> Decision) throws(WireError) {
        self.authorize = authorize
        let socket = try ZMQSocket(context, kind: .reply)
        try socket.bind(Self.endpoint)
        let box = SocketBox(socket)
        let thread = Thread { [authorize, stopped, finished] in
            Self.serve(box.socket, authorize: authorize, stopped: stopped)
            box.socket.close()
            finished.signal()
        }
        thread.name = "reel-zap"
        self.thread = thread
        thread.start()
    }

    /// Stops serving and closes the socket; call after the server socket is closed.
    /// Calling it twice is harmless.
    public func stop() {
        guard thread != nil else { return }
        thread = nil
        stopped.set()
        finished.wait()
    }

    deinit { stop() }

    private static func serve(_ socket: ZMQSocket, authorize: @Sendable (Request) -> Decision, stopped: StopSignal) {
        while !stopped.isSet {
            let frames: [Data]?
            do {
                frames = try socket.receive(timeout: .milliseconds(100))
            } catch {
                continue
            }
            guard let frames else { continue }
            let reply = answer(frames, authorize: authorize)
            // A REP socket must answer before it can receive again; a failed send
            // leaves the handshake to libzmq's own timeout, which then fails it.
            try? socket.send(reply)
        }
    }

    /// The reply frames for one request (RFC 27): version, request id, status code,
    /// status text, user id, metadata.
    static func answer(_ frames: [Data], authorize: (Request) -> Decision) -> [Data] {
        let text = { (index: Int) -> String in
            index < frames.count ? String(decoding: frames[index], as: UTF8.self) : ""
        }
        let requestID = frames.count > 1 ? frames[1] : Data()
        func reply(_ code: String, _ status: String, userID: String = "") -> [Data] {
            [Data("1.0".utf8), requestID, Data(code.utf8), Data(status.utf8), Data(userID.utf8), Data()]
        }
        guard frames.count >= 6, text(0) == "1.0" else { return reply("500", "malformed ZAP request") }
        var request = Request(domain: text(2), address: text(3), mechanism: text(5), publicKey: nil)
        if request.mechanism == "CURVE" {
            guard frames.count == 7, frames[6].count == 32 else { return reply("400", "CURVE request without a 32-byte key") }
            var encoded = [CChar](repeating: 0, count: 41)
            let raw = [UInt8](frames[6])
            guard zmq_z85_encode(&encoded, raw, 32) != nil, let key = try? CurvePublicKey(z85: String(cString: encoded)) else {
                return reply("400", "CURVE key cannot be encoded")
            }
            request.publicKey = key
        }
        switch authorize(request) {
        case .allow(let userID): return reply("200", "OK", userID: userID)
        case .deny(let reason): return reply("400", String(reason.prefix(200)))
        }
    }
}

/// Hands the socket to the handler's thread (it is used there only).
private final class SocketBox: @unchecked Sendable {
    let socket: ZMQSocket
    init(_ socket: ZMQSocket) { self.socket = socket }
}

/// A flag set from one thread and read from another.
private final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
