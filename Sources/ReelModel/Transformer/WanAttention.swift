import ReelTensor

/// `attn1` / `attn2` of a Wan block: q/k/v projections, RMS norm of q and k
/// across all heads (`qk_norm="rms_norm_across_heads"`), optional rotary
/// embedding, scaled dot-product attention and the output projection.
public struct WanAttention: Sendable {
    public let heads: Int
    public let eps: Float
    public var to_q: LinearWeights  // (C, C)
    public var to_k: LinearWeights  // (C, C)
    public var to_v: LinearWeights  // (C, C)
    public var to_out: LinearWeights  // to_out.0 (C, C)
    public var norm_q: Tensor  // norm_q.weight (C)
    public var norm_k: Tensor  // norm_k.weight (C)

    init(_ p: String, config c: WanTransformerConfig, from source: inout some WeightSource) throws(ModelError) {
        let dim = c.inner_dim
        heads = c.num_attention_heads
        eps = c.eps
        to_q = try LinearWeights("\(p).to_q", in: dim, out: dim, from: &source)
        to_k = try LinearWeights("\(p).to_k", in: dim, out: dim, from: &source)
        to_v = try LinearWeights("\(p).to_v", in: dim, out: dim, from: &source)
        to_out = try LinearWeights("\(p).to_out.0", in: dim, out: dim, from: &source)
        norm_q = try source.take("\(p).norm_q.weight", shape: [dim], initializer: .ones)
        norm_k = try source.take("\(p).norm_k.weight", shape: [dim], initializer: .ones)
    }

    /// Normalised keys and values for `context` (the attention's key/value source).
    /// Cross-attention calls this once per prompt: the text does not change
    /// between steps, so neither do its keys and values.
    func keysAndValues(_ context: Tensor) throws(ModelError) -> (k: Tensor, v: Tensor) {
        let k = try to_k(context)
        return (try kernel { () throws(TensorError) in try Normalization.rmsNorm(k, weight: norm_k, eps: eps) }, try to_v(context))
    }

    /// Attention of `x` `(N, C)` over precomputed keys and values, with rotary
    /// tables when positions matter (self-attention).
    func callAsFunction(_ x: Tensor, keysAndValues kv: (k: Tensor, v: Tensor), rotary: (cos: Tensor, sin: Tensor)?) throws(ModelError)
        -> Tensor
    {
        var q = try to_q(x)
        q = try kernel { () throws(TensorError) in try Normalization.rmsNorm(q, weight: norm_q, eps: eps) }
        var k = kv.k
        if let rotary {
            try kernel { () throws(TensorError) in
                try Rotary.apply(&q, cos: rotary.cos, sin: rotary.sin, heads: heads)
                try Rotary.apply(&k, cos: rotary.cos, sin: rotary.sin, heads: heads)
            }
        }
        let keys = k
        let out = try kernel { () throws(TensorError) in try Attention.forward(q: q, k: keys, v: kv.v, heads: heads) }
        return try to_out(out)
    }
}
