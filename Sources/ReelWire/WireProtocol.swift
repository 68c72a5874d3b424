/// Constants of the farm's wire protocol (see `Protos/README.md`).
public enum WireProtocol {
    /// The protocol version this build speaks; an envelope with any other
    /// `protocol_version` is rejected.
    public static let version: UInt32 = 2

    /// The largest tensor rank a message may carry (latents are rank 4 or 5).
    public static let maxTensorRank = 8
}
