import Foundation
import ReelTensor

/// What `reel model info` reports.
extension ModelFolder {
    /// A human-readable summary: configs, parameter count, dtypes and sizes.
    public func info() throws(ModelError) -> String {
        let checkpoint = try checkpoint()
        let c = transformerConfig
        var lines = ["model folder: \(path)", "transformer: WanTransformer3DModel"]
        let keys: [(String, String)] = [
            ("patch_size", "\(c.patch_size)"), ("num_attention_heads", "\(c.num_attention_heads)"),
            ("attention_head_dim", "\(c.attention_head_dim)"), ("inner_dim", "\(c.inner_dim)"),
            ("in_channels", "\(c.in_channels)"), ("out_channels", "\(c.out_channels)"), ("text_dim", "\(c.text_dim)"),
            ("freq_dim", "\(c.freq_dim)"), ("ffn_dim", "\(c.ffn_dim)"), ("num_layers", "\(c.num_layers)"),
            ("cross_attn_norm", "\(c.cross_attn_norm)"), ("qk_norm", c.qk_norm ?? "null"), ("eps", "\(c.eps)"),
            ("rope_max_seq_len", "\(c.rope_max_seq_len)"),
        ]
        for (k, v) in keys { lines.append("  \(k): \(v)") }
        var parameters = 0, bytes = 0
        for name in checkpoint.names {
            if let e = checkpoint.entry(name) {
                parameters += e.shape.reduce(1, *)
                bytes += e.range.count
            }
        }
        lines.append("parameters: \(parameters) (\(Self.formatCount(parameters))) in \(checkpoint.names.count) tensors")
        let dtypes = checkpoint.dtypeCounts.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        lines.append("dtypes: \(dtypes)")
        lines.append("weights: \(Self.formatBytes(bytes)) in \(checkpoint.files.count) file(s)")
        for file in checkpoint.files { lines.append("  \(file)") }
        lines.append("float32 in memory: \(Self.formatBytes(parameters * 4))")
        lines.append("scheduler: flow-matching Euler, num_train_timesteps \(schedulerConfig.numTrainTimesteps), shift \(schedulerConfig.shift)")
        lines += try vaeInfo()
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n")
    }

    /// The VAE's config and weights, when the folder has one.
    func vaeInfo() throws(ModelError) -> [String] {
        guard hasVAE else { return ["vae: none (vae/config.json absent; `reel model decode` and `render` need one)"] }
        let c = try WanVAEConfig.load(path: (vaeDirectory as NSString).appendingPathComponent("config.json"))
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(directory: vaeDirectory, baseName: Self.weightsBaseName) } catch { throw .weights(error) }
        let parameters = checkpoint.names.reduce(0) { $0 + (checkpoint.entry($1)?.shape.reduce(1, *) ?? 0) }
        let dtypes = checkpoint.dtypeCounts.keys.map(\.rawValue).sorted().joined(separator: ", ")
        return [
            "vae: AutoencoderKLWan",
            "  base_dim: \(c.base_dim), decoder_base_dim: \(c.decoderBaseDim), z_dim: \(c.z_dim), dim_mult: \(c.dim_mult)",
            "  num_res_blocks: \(c.num_res_blocks), temperal_downsample: \(c.temperal_downsample)",
            "  stride: \(c.temporalStride) frames × \(c.spatialStride)×\(c.spatialStride) pixels per latent, decoder receptive field \(c.decoderReceptiveField) latent frames",
            "  parameters: \(parameters) (\(Self.formatCount(parameters))), \(dtypes)",
        ]
    }

    static func formatCount(_ n: Int) -> String {
        n >= 1_000_000_000 ? String(format: "%.2fB", Double(n) / 1e9)
            : n >= 1_000_000 ? String(format: "%.2fM", Double(n) / 1e6) : String(format: "%.1fK", Double(n) / 1e3)
    }

    static func formatBytes(_ n: Int) -> String {
        n >= 1 << 30 ? String(format: "%.2f GiB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / Double(1 << 20)) : String(format: "%.1f KiB", Double(n) / 1024)
    }
}
