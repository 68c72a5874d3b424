import ReelTensor

/// `WanResidualBlock`: `conv2(silu(norm2(conv1(silu(norm1(x)))))) + shortcut(x)`,
/// both 3×3×3 convolutions causal and cached. (Dropout is inference-time identity.)
public struct WanResidualBlock: Sendable {
    public var norm1: WanRMSNorm  // gamma (C_in, 1, 1, 1)
    public var conv1: WanCausalConv3d  // (C_out, C_in, 3, 3, 3)
    public var norm2: WanRMSNorm  // gamma (C_out, 1, 1, 1)
    public var conv2: WanCausalConv3d  // (C_out, C_out, 3, 3, 3)
    public var conv_shortcut: WanCausalConv3d?  // (C_out, C_in, 1, 1, 1), only when C_in ≠ C_out

    init(_ p: String, in inDim: Int, out outDim: Int, from source: inout some WeightSource) throws(ModelError) {
        norm1 = try WanRMSNorm("\(p).norm1", channels: inDim, images: false, from: &source)
        conv1 = try WanCausalConv3d("\(p).conv1", in: inDim, out: outDim, kernel: [3, 3, 3], padding: [1, 1, 1], from: &source)
        norm2 = try WanRMSNorm("\(p).norm2", channels: outDim, images: false, from: &source)
        conv2 = try WanCausalConv3d("\(p).conv2", in: outDim, out: outDim, kernel: [3, 3, 3], padding: [1, 1, 1], from: &source)
        if inDim != outDim {
            conv_shortcut = try WanCausalConv3d("\(p).conv_shortcut", in: inDim, out: outDim, kernel: [1, 1, 1], from: &source)
        }
    }

    /// `x`: `(T, H, W, C_in)` → `(T, H, W, C_out)`.
    func callAsFunction(_ x: Tensor, cache: inout WanFeatureCache) throws(ModelError) -> Tensor {
        let shortcut = try conv_shortcut?(x) ?? x
        var h = try conv1(try norm1.silu(x), cache: &cache)
        h = try conv2(try norm2.silu(h), cache: &cache)
        h.addGated(shortcut, gate: nil)
        return h
    }
}
