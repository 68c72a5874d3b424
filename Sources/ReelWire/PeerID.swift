import ReelHash
import ReelTensor

/// The routing id a ROUTER socket gives each connected peer: the first frame of
/// everything it receives from that peer, and the address to send back to.
public struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// The raw id: 1 to 255 bytes (ZeroMQ's automatic ids are 5 bytes starting with 0).
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Lowercase hex, e.g. `0080000001`.
    public var description: String { SHA256.hex(bytes) }
}
