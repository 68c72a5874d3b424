import CZeroMQ

/// A socket option, set with ``ZMQSocket/set(_:)``.
///
/// Durations are sent to libzmq in whole milliseconds, rounded up so a short
/// positive duration never becomes "no wait".
public enum ZMQOption: Sendable, Hashable {
    /// `ZMQ_MAXMSGSIZE`: largest single frame accepted; a peer sending a larger one
    /// is disconnected by libzmq and the frame never reaches ``ZMQSocket/receive(timeout:)``.
    /// Set it on both sides; `nil` removes the limit.
    case maxMessageSize(Int?)
    /// `ZMQ_LINGER`: how long `close()` and context termination wait to deliver
    /// queued messages; `nil` waits forever. ``ZMQSocket`` starts at zero.
    case linger(Duration?)
    /// `ZMQ_ROUTER_MANDATORY`: a ROUTER send to an unknown routing id fails with
    /// ``WireError/peerUnreachable(peer:endpoint:)`` instead of being dropped.
    case routerMandatory(Bool)
    /// `ZMQ_ROUTER_HANDOVER`: a new connection presenting a routing id already in
    /// use takes it over (a worker that reconnected keeps its identity) instead of
    /// being ignored.
    case routerHandover(Bool)
    /// `ZMQ_ROUTING_ID`: the id a DEALER presents to a ROUTER (1 to 255 bytes, not
    /// starting with a zero byte, which ZeroMQ reserves). Set before `connect`.
    case routingID([UInt8])
    /// `ZMQ_RECONNECT_IVL`: first wait before reconnecting a dropped connection.
    case reconnectInterval(Duration)
    /// `ZMQ_RECONNECT_IVL_MAX`: reconnect waits double up to this (zero: no backoff).
    case reconnectIntervalMax(Duration)
    /// `ZMQ_HEARTBEAT_IVL`: send a ZMTP ping this often (zero: off).
    case heartbeatInterval(Duration)
    /// `ZMQ_HEARTBEAT_TIMEOUT`: drop the connection when no traffic arrives this
    /// long after a ping.
    case heartbeatTimeout(Duration)
    /// `ZMQ_HEARTBEAT_TTL`: tell the peer to drop the connection after this long
    /// without pings from us (rounded to tenths of seconds by libzmq).
    case heartbeatTTL(Duration)
    /// `ZMQ_SNDHWM`: messages queued per peer before sends block or fail.
    case sendHighWaterMark(Int)
    /// `ZMQ_RCVHWM`: messages queued per peer before libzmq stops reading.
    case receiveHighWaterMark(Int)
    /// `ZMQ_SNDTIMEO`: how long a send waits for queue space before failing with
    /// ``WireError/sendTimedOut(endpoint:)``; `nil` waits forever (the default).
    case sendTimeout(Duration?)
    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections.
    case immediate(Bool)
    /// `ZMQ_CURVE_SERVER`: this socket is a CurveZMQ server (the coordinator's
    /// ROUTER); its secret key comes from ``curveSecretKey(_:)``.
    case curveServer(Bool)
    /// `ZMQ_CURVE_PUBLICKEY`: this socket's long-term public key.
    case curvePublicKey(CurvePublicKey)
    /// `ZMQ_CURVE_SECRETKEY`: this socket's long-term secret key (never printed).
    case curveSecretKey(CurveSecretKey)
    /// `ZMQ_CURVE_SERVERKEY`: the server's public key, on a client; setting it makes
    /// the socket a CurveZMQ client.
    case curveServerKey(CurvePublicKey)
    /// `ZMQ_ZAP_DOMAIN`: the domain sent in ZAP requests (RFC 27).
    case zapDomain(String)

    /// The libzmq option name and its value as bytes.
    func encoded() throws(WireError) -> (name: Int32, value: [UInt8]) {
        switch self {
        case let .maxMessageSize(bytes):
            guard (bytes ?? 0) >= 0 else { throw .invalidArgument("maxMessageSize must be ≥ 0, got \(bytes ?? 0)") }
            return (ZMQ_MAXMSGSIZE, Self.bytes(of: Int64(bytes ?? -1)))
        case let .linger(duration):
            return (ZMQ_LINGER, Self.bytes(of: try Self.milliseconds(duration, "linger")))
        case let .routerMandatory(on):
            return (ZMQ_ROUTER_MANDATORY, Self.bytes(of: Int32(on ? 1 : 0)))
        case let .routerHandover(on):
            return (ZMQ_ROUTER_HANDOVER, Self.bytes(of: Int32(on ? 1 : 0)))
        case let .routingID(id):
            guard (1...255).contains(id.count), id[0] != 0 else {
                throw .invalidArgument("routingID must be 1 to 255 bytes not starting with 0, got \(id.count) bytes")
            }
            return (ZMQ_ROUTING_ID, id)
        case let .reconnectInterval(duration):
            return (ZMQ_RECONNECT_IVL, Self.bytes(of: try Self.milliseconds(duration, "reconnectInterval")))
        case let .reconnectIntervalMax(duration):
            return (ZMQ_RECONNECT_IVL_MAX, Self.bytes(of: try Self.milliseconds(duration, "reconnectIntervalMax")))
        case let .heartbeatInterval(duration):
            return (ZMQ_HEARTBEAT_IVL, Self.bytes(of: try Self.milliseconds(duration, "heartbeatInterval")))
        case let .heartbeatTimeout(duration):
            return (ZMQ_HEARTBEAT_TIMEOUT, Self.bytes(of: try Self.milliseconds(duration, "heartbeatTimeout")))
        case let .heartbeatTTL(duration):
            return (ZMQ_HEARTBEAT_TTL, Self.bytes(of: try Self.milliseconds(duration, "heartbeatTTL")))
        case let .sendHighWaterMark(count):
            return (ZMQ_SNDHWM, Self.bytes(of: try Self.count(count, "sendHighWaterMark")))
        case let .receiveHighWaterMark(count):
            return (ZMQ_RCVHWM, Self.bytes(of: try Self.count(count, "receiveHighWaterMark")))
        case let .sendTimeout(duration):
            return (ZMQ_SNDTIMEO, Self.bytes(of: try Self.milliseconds(duration, "sendTimeout")))
        case let .immediate(on):
            return (ZMQ_IMMEDIATE, Self.bytes(of: Int32(on ? 1 : 0)))
        case let .curveServer(on):
            return (ZMQ_CURVE_SERVER, Self.bytes(of: Int32(on ? 1 : 0)))
        case let .curvePublicKey(key):
            return (ZMQ_CURVE_PUBLICKEY, Array(key.z85.utf8))
        case let .curveSecretKey(key):
            return (ZMQ_CURVE_SECRETKEY, Array(key.z85.utf8))
        case let .curveServerKey(key):
            return (ZMQ_CURVE_SERVERKEY, Array(key.z85.utf8))
        case let .zapDomain(domain):
            guard domain.utf8.count <= 254 else { throw .invalidArgument("zapDomain must be at most 254 bytes") }
            return (ZMQ_ZAP_DOMAIN, Array(domain.utf8))
        }
    }

    /// `nil` becomes -1, libzmq's "infinite".
    private static func milliseconds(_ duration: Duration?, _ name: String) throws(WireError) -> Int32 {
        guard let duration else { return -1 }
        guard let ms = duration.zmqMilliseconds, ms <= Int(Int32.max) else {
            throw .invalidArgument("\(name) must be between 0 and \(Int32.max) ms, got \(duration)")
        }
        return Int32(ms)
    }

    private static func count(_ value: Int, _ name: String) throws(WireError) -> Int32 {
        guard value >= 0, value <= Int(Int32.max) else {
            throw .invalidArgument("\(name) must be between 0 and \(Int32.max), got \(value)")
        }
        return Int32(value)
    }

    private static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }
}

extension Duration {
    /// Whole milliseconds, rounded up; `nil` for a negative duration.
    var zmqMilliseconds: Int? {
        guard self >= .zero else { return nil }
        let (seconds, attoseconds) = components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return Int.max }
        let extra = attoseconds / perMillisecond + (attoseconds % perMillisecond > 0 ? 1 : 0)
        let (total, overflow2) = ms.addingReportingOverflow(extra)
        return overflow2 ? Int.max : Int(total)
    }
}
