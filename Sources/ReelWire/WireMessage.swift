/// A received message that passed ``WireCodec/decode(_:limits:)``: the envelope and
/// the tensors its headers describe, each already checked against its header.
public struct WireMessage: Sendable {
    /// Frame 0, parsed; its protocol version is ``WireProtocol/version`` and it has a body.
    public let envelope: Reel_V1_Envelope
    /// The tensor frames in frame order: `tensors[i]` is frame `i + 1`.
    public let tensors: [WireTensor]

    /// The tensor a header of this message's envelope describes, e.g.
    /// `message.tensor(for: assignment.latents)`; `nil` if `header` names no frame
    /// of this message.
    public func tensor(for header: Reel_V1_TensorHeader) -> WireTensor? {
        let index = Int(header.frameIndex) - 1
        return tensors.indices.contains(index) ? tensors[index] : nil
    }
}
