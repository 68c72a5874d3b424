/// What a receiver accepts; anything larger is rejected before it is parsed.
public struct WireLimits: Sendable, Hashable {
    /// Largest message, all frames together. The coordinator announces its limit
    /// in `Welcome.max_message_bytes`; both sides also set `ZMQ_MAXMSGSIZE` to it so
    /// ZeroMQ drops oversized frames before they are buffered.
    public var maxMessageBytes: Int
    /// Most frames in one message (envelope included); each tensor needs one.
    public var maxFrames: Int

    /// 512 MiB: a decoded 720p chunk of 33 frames is about 365 MB.
    public static let defaultMaxMessageBytes = 512 << 20

    /// 16 frames: the largest message today carries three tensors.
    public static let defaultMaxFrames = 16

    public init(maxMessageBytes: Int = defaultMaxMessageBytes, maxFrames: Int = defaultMaxFrames) {
        self.maxMessageBytes = maxMessageBytes
        self.maxFrames = maxFrames
    }
}
