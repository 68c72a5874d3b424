import ReelTensor

/// One `UMT5Block` of the encoder: `layer.0` (pre-norm self-attention with its own
/// position bias) and `layer.1` (pre-norm gated-GELU feed-forward), each added back
/// onto the residual stream.
///
/// transformers clamps the residual stream to ±(65504 − 1000) after each sub-layer
/// when, and only when, activations are float16. Reel's activations are float32
/// whatever the weights' dtype, as transformers' are for a float32 or bfloat16
/// model, so that guard's condition is never true here and it has no counterpart.
struct UMT5Block: Sendable {
    var attention_layer_norm: Tensor  // layer.0.layer_norm.weight (d_model)
    var SelfAttention: UMT5Attention  // layer.0.SelfAttention
    var ff_layer_norm: Tensor  // layer.1.layer_norm.weight (d_model)
    var wi_0: UMT5Matrix  // layer.1.DenseReluDense.wi_0.weight (d_ff, d_model): through GELU
    var wi_1: UMT5Matrix  // layer.1.DenseReluDense.wi_1.weight (d_ff, d_model): the gate's linear half
    var wo: UMT5Matrix  // layer.1.DenseReluDense.wo.weight (d_model, d_ff)
    let eps: Float

    init(_ prefix: String, config c: UMT5Config, from loader: inout UMT5Loader) throws(ModelError) {
        eps = c.layer_norm_epsilon
        attention_layer_norm = try loader.tensor("\(prefix).layer.0.layer_norm.weight", shape: [c.d_model])
        SelfAttention = try UMT5Attention("\(prefix).layer.0.SelfAttention", config: c, from: &loader)
        ff_layer_norm = try loader.tensor("\(prefix).layer.1.layer_norm.weight", shape: [c.d_model])
        wi_0 = try loader.matrix("\(prefix).layer.1.DenseReluDense.wi_0.weight", rows: c.d_ff, columns: c.d_model, transposed: true)
        wi_1 = try loader.matrix("\(prefix).layer.1.DenseReluDense.wi_1.weight", rows: c.d_ff, columns: c.d_model, transposed: true)
        wo = try loader.matrix("\(prefix).layer.1.DenseReluDense.wo.weight", rows: c.d_model, columns: c.d_ff, transposed: true)
    }

    /// `(L, d_model)` → `(L, d_model)`.
    func callAsFunction(_ x: Tensor) throws(ModelError) -> Tensor {
        // T5's layer norm is an RMS norm (no mean, no bias), its variance in float32.
        var h = x
        let normed = try kernel { () throws(TensorError) in try Normalization.rmsNorm(h, weight: attention_layer_norm, eps: eps) }
        try add(&h, try SelfAttention(normed))
        let normed2 = try kernel { () throws(TensorError) in try Normalization.rmsNorm(h, weight: ff_layer_norm, eps: eps) }
        var gelu = try wi_0(normed2)
        Activation.geluTanh(&gelu)  // gelu_new
        let linear = try wi_1(normed2)
        for i in 0 ..< gelu.count { gelu.storage[i] *= linear.storage[i] }
        try add(&h, try wo(gelu))
        return h
    }

    private func add(_ h: inout Tensor, _ y: Tensor) throws(ModelError) {
        guard h.shape == y.shape else { throw .inputShape(name: "umT5 residual", expected: "\(h.shape)", actual: y.shape) }
        for i in 0 ..< h.count { h.storage[i] += y.storage[i] }
    }
}
