import ReelTensor

/// The Wan 2.1 text-to-video diffusion transformer, parameter for parameter as
/// diffusers' `WanTransformer3DModel` stores it, computing what its forward computes.
///
/// Latents `(B, C_in, F, H, W)` are cut into `(p_t, p_h, p_w)` patches (tokens),
/// embedded, run through `num_layers` blocks conditioned on the timestep and the
/// text, and projected back to `(B, C_out, F, H, W)`.
public struct WanTransformer3DModel: Sendable {
    public let config: WanTransformerConfig
    /// Number of parameters.
    public let parameterCount: Int
    let rope: WanRotaryPosEmbed

    // patch embedding
    public var patch_embedding_weight: Tensor  // patch_embedding.weight (C, C_in, p_t, p_h, p_w)
    public var patch_embedding_bias: Tensor  // patch_embedding.bias (C)
    // condition embeddings
    public var condition_embedder: WanTimeTextImageEmbedding
    // transformer blocks
    public var blocks: [WanTransformerBlock]
    // output norm & projection
    public var proj_out: LinearWeights  // (C_out·p_t·p_h·p_w, C)
    public var scale_shift_table: Tensor  // (1, 2, C)

    /// Builds the model from `source`, asking for every parameter by its checkpoint name.
    public init(config c: WanTransformerConfig, from source: inout some WeightSource) throws(ModelError) {
        // A config built in code skips `load(path:)`; the shapes below rely on its bounds.
        try c.validate(path: "(config)")
        var counted = CountingWeights(base: source)
        defer { source = counted.base }
        config = c
        rope = WanRotaryPosEmbed(attentionHeadDim: c.attention_head_dim, maxSeqLen: c.rope_max_seq_len)
        let dim = c.inner_dim, patch = c.patch_size.reduce(1, *)
        let fanIn = c.in_channels * patch
        patch_embedding_weight = try counted.take(
            "patch_embedding.weight", shape: [dim, c.in_channels] + c.patch_size, initializer: .uniformFanIn(fanIn))
        patch_embedding_bias = try counted.take("patch_embedding.bias", shape: [dim], initializer: .uniformFanIn(fanIn))
        condition_embedder = try WanTimeTextImageEmbedding("condition_embedder", config: c, from: &counted)
        var blocks = [WanTransformerBlock]()
        for i in 0 ..< c.num_layers {
            blocks.append(try WanTransformerBlock("blocks.\(i)", config: c, from: &counted))
        }
        self.blocks = blocks
        proj_out = try LinearWeights("proj_out", in: dim, out: c.out_channels * patch, from: &counted)
        scale_shift_table = try counted.take(
            "scale_shift_table", shape: [1, 2, dim], initializer: .normal(scale: 1 / Float(dim).squareRoot()))
        parameterCount = counted.elements
    }

    /// Text conditioning prepared once per prompt: the projected embeddings'
    /// keys and values for every block's cross-attention.
    public struct TextContext: Sendable {
        let crossKV: [(k: Tensor, v: Tensor)]
    }

    /// Prepares one prompt's `(L, text_dim)` embeddings for ``forward(latents:timestep:context:)``.
    public func context(_ encoderHiddenStates: Tensor) throws(ModelError) -> TextContext {
        guard encoderHiddenStates.rank == 2, encoderHiddenStates.shape[1] == config.text_dim, encoderHiddenStates.shape[0] > 0 else {
            throw .inputShape(name: "encoder_hidden_states", expected: "(L ≥ 1, \(config.text_dim)) per batch element", actual: encoderHiddenStates.shape)
        }
        let text = try condition_embedder.text(encoderHiddenStates)
        var kv = [(k: Tensor, v: Tensor)]()
        for block in blocks { kv.append(try block.attn2.keysAndValues(text)) }
        return TextContext(crossKV: kv)
    }

    /// One sample's forward: latents `(C_in, F, H, W)` at `timestep` → `(C_out, F, H, W)`.
    public func forward(latents: Tensor, timestep: Float, context: TextContext) throws(ModelError) -> Tensor {
        let grid = try patchGrid(latents.shape, name: "hidden_states")
        let rotary = try rope.tables(frames: grid.f, height: grid.h, width: grid.w)
        var x = try patchify(latents, grid: grid)
        let (temb, projection) = try condition_embedder.time(timestep)
        for (block, kv) in zip(blocks, context.crossKV) {
            try block.forward(&x, timestepProjection: projection, crossKV: kv, rotary: rotary)
        }
        // output norm: shift = table[0] + temb, scale = table[1] + temb
        let dim = config.inner_dim
        var shift = Array(scale_shift_table.storage[0 ..< dim]), scale = Array(scale_shift_table.storage[dim ..< 2 * dim])
        for j in 0 ..< dim {
            shift[j] += temb.storage[j]
            scale[j] += temb.storage[j]
        }
        x = try kernel { () throws(TensorError) in try Normalization.layerNorm(x, weight: nil, bias: nil, eps: config.eps) }
        x.modulate(scale: scale[...], shift: shift[...])
        return unpatchify(try proj_out(x), grid: grid)
    }

    /// Batched forward with the signature of diffusers' `transformer(...)`:
    /// `hidden_states (B, C_in, F, H, W)`, `timestep (B)`, `encoder_hidden_states (B, L, text_dim)`.
    public func forward(hiddenStates: Tensor, timestep: Tensor, encoderHiddenStates: Tensor) throws(ModelError) -> Tensor {
        guard hiddenStates.rank == 5 else {
            throw .inputShape(name: "hidden_states", expected: "(B, \(config.in_channels), F, H, W)", actual: hiddenStates.shape)
        }
        let b = hiddenStates.shape[0]
        guard timestep.shape == [b] else { throw .inputShape(name: "timestep", expected: "(\(b))", actual: timestep.shape) }
        guard encoderHiddenStates.rank == 3, encoderHiddenStates.shape[0] == b, encoderHiddenStates.shape[2] == config.text_dim else {
            throw .inputShape(name: "encoder_hidden_states", expected: "(\(b), L, \(config.text_dim))", actual: encoderHiddenStates.shape)
        }
        var outputs = [Tensor]()
        for i in 0 ..< b {
            let context = try context(encoderHiddenStates.slice(i))
            outputs.append(try forward(latents: hiddenStates.slice(i), timestep: timestep.storage[i], context: context))
        }
        return try kernel { () throws(TensorError) in try Tensor.stack(outputs) }
    }
}
