/// Everything that can go wrong on the farm's wire: a ZeroMQ call that failed, or a
/// message that breaks the protocol. Every case names the socket endpoint, tensor or
/// field involved and what was expected, so one log line says what a peer got wrong.
///
/// Every throwing API in ReelWire throws only `WireError`.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: transport

    /// A libzmq call failed; `code` is its errno and `message` its `zmq_strerror` text.
    case zmq(operation: String, endpoint: String, code: Int32, message: String)
    /// A ROUTER sent to a routing id it has no connection for (the worker vanished);
    /// reported because the router sockets set `ZMQ_ROUTER_MANDATORY`.
    case peerUnreachable(peer: PeerID, endpoint: String)
    /// A send could not be queued before the socket's send timeout (high-water mark
    /// reached: the peer is not reading).
    case sendTimedOut(endpoint: String)
    /// The socket was used after `close()`.
    case socketClosed(kind: String)
    /// A socket option or argument out of range.
    case invalidArgument(String)

    // MARK: codec

    /// A message with no frames at all.
    case emptyMessage
    /// The frames together exceed the receiver's limit.
    case messageTooLarge(bytes: Int, limit: Int)
    /// More frames than the receiver accepts.
    case tooManyFrames(count: Int, limit: Int)
    /// Frame 0 is not a protobuf `reel.v1.Envelope`.
    case malformedEnvelope(reason: String)
    /// The envelope's `protocol_version` is not ``WireProtocol/version``.
    case protocolVersionMismatch(received: UInt32, expected: UInt32)
    /// The envelope has no body.
    case missingBody
    /// The envelope's body is a field this protocol version does not know (a newer
    /// peer); `fieldNumber` is the first unknown field's number when it could be read.
    case unknownBody(fieldNumber: Int?)
    /// A tensor the message requires (e.g. `shard_result.latents`) is absent.
    case missingTensor(field: String)
    /// A decode result's encoded segment is missing or does not match its checksum.
    case invalidSegment(reason: String)
    /// A tensor header names a frame the message does not have.
    case tensorFrameMissing(tensor: String, frameIndex: Int, frameCount: Int)
    /// Two tensor headers name the same frame.
    case frameReferencedTwice(frameIndex: Int, tensors: [String])
    /// A frame after the envelope that no tensor header names.
    case unreferencedFrame(frameIndex: Int)
    /// A tensor's dtype is not `DTYPE_F32` (the raw enum value is given).
    case unsupportedDType(tensor: String, dtype: Int)
    /// A shape with rank outside 1...``WireProtocol/maxTensorRank``, a zero dimension,
    /// or more elements than the limits allow.
    case invalidShape(tensor: String, shape: [UInt64], reason: String)
    /// `byte_length` is not product(shape) × 4.
    case byteLengthMismatch(tensor: String, shape: [UInt64], expected: UInt64, declared: UInt64)
    /// The frame's size is not the header's `byte_length`.
    case frameSizeMismatch(tensor: String, declared: UInt64, frameBytes: Int)
    /// The frame's SHA-256 is not the header's `sha256`.
    case checksumMismatch(tensor: String, declared: String, computed: String)
    /// A ``WireTensor`` whose values do not fill its shape, or a bad name.
    case invalidTensor(name: String, reason: String)
    /// The envelope and tensors given to ``WireCodec/encode(_:tensors:)`` do not match.
    case cannotEncode(reason: String)

    public var description: String {
        switch self {
        case let .zmq(operation, endpoint, code, message):
            return "zmq \(operation) on \(endpoint) failed: \(message) (errno \(code))"
        case let .peerUnreachable(peer, endpoint):
            return "peer \(peer) is not connected to \(endpoint) (it disconnected or never connected)"
        case let .sendTimedOut(endpoint):
            return "send on \(endpoint) timed out: the peer's queue is full (high-water mark)"
        case let .socketClosed(kind):
            return "the \(kind) socket is already closed"
        case let .invalidArgument(message):
            return message
        case .emptyMessage:
            return "empty message: expected an envelope frame"
        case let .messageTooLarge(bytes, limit):
            return "message of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case let .tooManyFrames(count, limit):
            return "message has \(count) frames, at most \(limit) accepted"
        case let .malformedEnvelope(reason):
            return "frame 0 is not a reel.v1.Envelope: \(reason)"
        case let .protocolVersionMismatch(received, expected):
            return "protocol version \(received) received, this side speaks \(expected)"
        case .missingBody:
            return "envelope has no body"
        case let .unknownBody(fieldNumber):
            let field = fieldNumber.map { " (field \($0))" } ?? ""
            return "envelope body\(field) is unknown to protocol version \(WireProtocol.version)"
        case let .missingTensor(field):
            return "\(field) is required but absent"
        case let .invalidSegment(reason):
            return "invalid segment: \(reason)"
        case let .tensorFrameMissing(tensor, frameIndex, frameCount):
            return "\(tensor) names frame \(frameIndex), but the message has frames 0..<\(frameCount) "
                + "and frame 0 is the envelope"
        case let .frameReferencedTwice(frameIndex, tensors):
            return "frame \(frameIndex) is named by more than one tensor: \(tensors.joined(separator: ", "))"
        case let .unreferencedFrame(frameIndex):
            return "frame \(frameIndex) is not named by any tensor header"
        case let .unsupportedDType(tensor, dtype):
            return "\(tensor) has dtype \(dtype), expected DTYPE_F32 (1)"
        case let .invalidShape(tensor, shape, reason):
            return "\(tensor) has invalid shape \(shape): \(reason)"
        case let .byteLengthMismatch(tensor, shape, expected, declared):
            return "\(tensor) declares byte_length \(declared), but shape \(shape) of float32 needs \(expected)"
        case let .frameSizeMismatch(tensor, declared, frameBytes):
            return "\(tensor) declares byte_length \(declared), but its frame holds \(frameBytes) bytes"
        case let .checksumMismatch(tensor, declared, computed):
            return "\(tensor) sha256 mismatch: header says '\(declared)', frame hashes to \(computed)"
        case let .invalidTensor(name, reason):
            return "tensor '\(name)': \(reason)"
        case let .cannotEncode(reason):
            return "cannot encode message: \(reason)"
        }
    }
}
