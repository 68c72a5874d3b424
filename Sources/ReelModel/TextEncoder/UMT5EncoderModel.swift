import ReelTensor

/// transformers' `UMT5EncoderModel`: token embedding, `num_layers` ``UMT5Block``s
/// (each with its own relative position bias), and a final RMS norm. Parameter names
/// are the checkpoint's; Wan ships it as `text_encoder/` (umT5-XXL).
public struct UMT5EncoderModel: Sendable {
    public let config: UMT5Config
    var shared: UMT5Matrix  // shared.weight (vocab_size, d_model), tied to encoder.embed_tokens.weight
    var block: [UMT5Block]  // encoder.block.{i}
    var final_layer_norm: Tensor  // encoder.final_layer_norm.weight (d_model)

    /// Loads every tensor from `checkpoint`, checking names and shapes, and that none is left over.
    /// The embedding is saved as `shared.weight`, `encoder.embed_tokens.weight`, or both
    /// (transformers ties them; safetensors files usually keep one).
    public init(config c: UMT5Config, checkpoint: Checkpoint, storage: UMT5WeightStorage = .asStored) throws(ModelError) {
        config = c
        var loader = UMT5Loader(checkpoint, storage: storage)
        let embeddingShape = [c.vocab_size, c.d_model]
        let names = checkpoint.names
        let embeddingName = names.contains("shared.weight") ? "shared.weight" : "encoder.embed_tokens.weight"
        shared = try loader.matrix(embeddingName, rows: c.vocab_size, columns: c.d_model, transposed: false)
        if embeddingName == "shared.weight", names.contains("encoder.embed_tokens.weight") {
            try loader.skip("encoder.embed_tokens.weight", shape: embeddingShape)
        }
        var blocks = [UMT5Block]()
        for i in 0 ..< c.num_layers { blocks.append(try UMT5Block("encoder.block.\(i)", config: c, from: &loader)) }
        block = blocks
        final_layer_norm = try loader.tensor("encoder.final_layer_norm.weight", shape: [c.d_model])
        try loader.finish()
    }

    /// Bytes of weights held in memory.
    public var weightBytes: Int {
        shared.bytes + 4 * final_layer_norm.count
            + block.reduce(0) {
                $0 + [$1.SelfAttention.q, $1.SelfAttention.k, $1.SelfAttention.v, $1.SelfAttention.o, $1.wi_0, $1.wi_1, $1.wo].reduce(0) { $0 + $1.bytes }
                    + 4 * ($1.attention_layer_norm.count + $1.ff_layer_norm.count + $1.SelfAttention.relative_attention_bias.count)
            }
    }

    /// `last_hidden_state` for the real tokens of one prompt: `(L, d_model)` for `L` ids
    /// (what the pipeline keeps of its padded batch; see ``UMT5Attention``).
    public func forward(ids: [Int32]) throws(ModelError) -> Tensor {
        let c = config
        guard !ids.isEmpty else { throw .inputShape(name: "input_ids", expected: "(L) with L ≥ 1", actual: [0]) }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= c.vocab_size }) {
            throw .inputShape(name: "input_ids", expected: "ids in 0..<\(c.vocab_size) (vocab_size); got \(bad)", actual: [ids.count])
        }
        var h = Tensor(zeros: [ids.count, c.d_model])
        h.storage.withUnsafeMutableBufferPointer { out in
            for (row, id) in ids.enumerated() {
                let target = out.baseAddress! + row * c.d_model
                switch shared {
                case let .float32(table):
                    table.storage.withUnsafeBufferPointer { target.update(from: $0.baseAddress! + Int(id) * c.d_model, count: c.d_model) }
                case let .bfloat16(table):
                    table.row(Int(id), into: target)
                }
            }
        }
        for layer in block { h = try layer(h) }
        return try kernel { () throws(TensorError) in try Normalization.rmsNorm(h, weight: final_layer_norm, eps: c.layer_norm_epsilon) }
    }
}
