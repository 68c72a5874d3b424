import ReelTensor

extension TextEncoderFolder {
    /// Bytes of weights ``load(storage:)`` would keep in memory, from the
    /// safetensors headers alone (nothing is read): matrices in bfloat16 when
    /// stored so (or with `.bfloat16`), everything else in float32, the tied copy of
    /// the embedding not at all. A worker decides from this whether it can hold the
    /// encoder beside its shards before loading 11 GB.
    public func residentBytes(storage: UMT5WeightStorage = .asStored) throws(ModelError) -> Int {
        let checkpoint = try checkpoint()
        let names = checkpoint.names
        var bytes = 0
        for name in names {
            guard let entry = checkpoint.entry(name) else { continue }
            // The loader skips the tied copy when `shared.weight` is there.
            if name == "encoder.embed_tokens.weight", names.contains("shared.weight") { continue }
            // Matrices are the rank-2 weights except the (buckets, heads) position bias, read as float32.
            let isMatrix = entry.shape.count == 2 && !name.hasSuffix("relative_attention_bias.weight")
            let halfWidth = isMatrix && (entry.dtype == .bf16 || storage == .bfloat16)
            bytes += entry.shape.reduce(1, *) * (halfWidth ? 2 : 4)
        }
        return bytes
    }
}
