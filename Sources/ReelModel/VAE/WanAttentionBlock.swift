import ReelTensor

/// `WanAttentionBlock`: single-head self-attention over the pixels of each frame
/// (no attention across time), with a 1×1 `to_qkv` and `proj` and a residual.
public struct WanAttentionBlock: Sendable {
    public var norm: WanRMSNorm  // gamma (C, 1, 1)
    public var to_qkv: ConvWeights  // (3C, C, 1, 1): q, k, v stacked along the output channels
    public var proj: ConvWeights  // (C, C, 1, 1)
    /// `to_qkv` cut into its three `(C, C)` / `(C)` parts, so q, k and v come out as separate rows.
    let query: (weight: Tensor, bias: Tensor), key: (weight: Tensor, bias: Tensor), value: (weight: Tensor, bias: Tensor)

    init(_ p: String, channels c: Int, from source: inout some WeightSource) throws(ModelError) {
        norm = try WanRMSNorm("\(p).norm", channels: c, images: true, from: &source)
        to_qkv = try ConvWeights("\(p).to_qkv", in: c, out: 3 * c, kernel: [1, 1], from: &source)
        proj = try ConvWeights("\(p).proj", in: c, out: c, kernel: [1, 1], from: &source)
        let w = to_qkv.packed.packed, b = to_qkv.bias
        func part(_ i: Int) throws(ModelError) -> (weight: Tensor, bias: Tensor) {
            try kernel { () throws(TensorError) in
                (w.rows(i * c ..< (i + 1) * c), try b.reshaped([3, c]).slice(i))
            }
        }
        (query, key, value) = (try part(0), try part(1), try part(2))
    }

    /// `x`: `(T, H, W, C)`, each frame attended on its own.
    func callAsFunction(_ x: Tensor) throws(ModelError) -> Tensor {
        let (frames, c) = (x.shape[0], x.shape[3])
        let pixels = x.shape[1] * x.shape[2]
        var outputs = [Tensor]()
        for t in 0 ..< frames {
            var frame = try kernel { () throws(TensorError) in try x.frames(t ..< t + 1).reshaped([pixels, c]) }
            let h = try norm(frame)
            let attended = try kernel { () throws(TensorError) in
                let q = try Linear.forward(h, weight: query.weight, bias: query.bias)
                let k = try Linear.forward(h, weight: key.weight, bias: key.bias)
                let v = try Linear.forward(h, weight: value.weight, bias: value.bias)
                let a = try Attention.forward(q: q, k: k, v: v, heads: 1)
                return try Linear.forward(a, weight: proj.packed.packed, bias: proj.bias)
            }
            frame.addGated(attended, gate: nil)
            outputs.append(frame)
        }
        return try kernel { () throws(TensorError) in try Tensor.concatenate(outputs).reshaped(x.shape) }
    }
}

/// `WanMidBlock`: residual block, attention, residual block, at the lowest resolution.
public struct WanMidBlock: Sendable {
    public var resnets: [WanResidualBlock]  // 2 × (C → C)
    public var attentions: [WanAttentionBlock]  // 1

    init(_ p: String, channels c: Int, from source: inout some WeightSource) throws(ModelError) {
        attentions = [try WanAttentionBlock("\(p).attentions.0", channels: c, from: &source)]
        resnets = [
            try WanResidualBlock("\(p).resnets.0", in: c, out: c, from: &source),
            try WanResidualBlock("\(p).resnets.1", in: c, out: c, from: &source),
        ]
    }

    func callAsFunction(_ x: Tensor, cache: inout WanFeatureCache) throws(ModelError) -> Tensor {
        var x = try resnets[0](x, cache: &cache)
        for (attention, resnet) in zip(attentions, resnets.dropFirst()) {
            x = try resnet(try attention(x), cache: &cache)
        }
        return x
    }
}
