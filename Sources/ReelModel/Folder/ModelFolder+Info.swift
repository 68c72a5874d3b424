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
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n")
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
