import ReelTensor

/// 3D rotary position embedding of Wan: each head's features split into a
/// temporal part and two equal spatial parts (`h = w = 2·⌊d/6⌋`, `t = d − h − w`),
/// each rotated by 1D RoPE angles (θ = 10000) of the token's frame, row or column.
///
/// Angles are computed in Double and rounded once to float32, as diffusers
/// builds its float64 tables and casts them.
public struct WanRotaryPosEmbed: Sendable {
    public let attentionHeadDim: Int
    public let maxSeqLen: Int
    public let theta: Double = 10000
    public var hDim: Int { 2 * (attentionHeadDim / 6) }
    public var wDim: Int { hDim }
    public var tDim: Int { attentionHeadDim - hDim - wDim }

    public init(attentionHeadDim: Int, maxSeqLen: Int) {
        self.attentionHeadDim = attentionHeadDim
        self.maxSeqLen = maxSeqLen
    }

    /// Per-token `(cos, sin)` tables of shape `(F·H·W, d/2)` for a patch grid,
    /// tokens in (frame, row, column) order.
    public func tables(frames: Int, height: Int, width: Int) throws(ModelError) -> (cos: Tensor, sin: Tensor) {
        for (axis, n) in [("frames", frames), ("height", height), ("width", width)] where n > maxSeqLen {
            throw .inputShape(
                name: "hidden_states", expected: "at most rope_max_seq_len = \(maxSeqLen) patches along \(axis)",
                actual: [frames, height, width])
        }
        let half = attentionHeadDim / 2
        // Pair j of the head: which axis it encodes and its frequency.
        var axisOfPair = [Int](), frequency = [Double]()
        for (axis, dim) in [tDim, hDim, wDim].enumerated() {
            for j in 0 ..< dim / 2 {
                axisOfPair.append(axis)
                frequency.append(1 / pow(theta, Double(2 * j) / Double(dim)))
            }
        }
        let n = frames * height * width
        var cosT = Tensor(zeros: [n, half]), sinT = Tensor(zeros: [n, half])
        var token = 0
        for f in 0 ..< frames {
            for h in 0 ..< height {
                for w in 0 ..< width {
                    let position = [f, h, w]
                    for j in 0 ..< half {
                        let angle = Double(position[axisOfPair[j]]) * frequency[j]
                        cosT.storage[token * half + j] = Float(cos(angle))
                        sinT.storage[token * half + j] = Float(sin(angle))
                    }
                    token += 1
                }
            }
        }
        return (cosT, sinT)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
