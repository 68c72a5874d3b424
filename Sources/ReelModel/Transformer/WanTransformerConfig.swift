import Foundation

/// `transformer/config.json` of a `WanTransformer3DModel`, with the keys and
/// defaults diffusers writes. Options this engine does not implement are
/// rejected by name rather than silently ignored.
public struct WanTransformerConfig: Sendable, Equatable, Codable {
    public var patch_size: [Int] = [1, 2, 2]
    public var num_attention_heads = 40
    public var attention_head_dim = 128
    public var in_channels = 16
    public var out_channels = 16
    public var text_dim = 4096
    public var freq_dim = 256
    public var ffn_dim = 13824
    public var num_layers = 40
    public var cross_attn_norm = true
    public var qk_norm: String? = "rms_norm_across_heads"
    public var eps: Float = 1e-6
    public var image_dim: Int? = nil
    public var added_kv_proj_dim: Int? = nil
    public var rope_max_seq_len = 1024
    public var pos_embed_seq_len: Int? = nil

    public init() {}

    /// The largest width, count or length a config may give (Wan 2.1 14B's largest is
    /// `ffn_dim` 13,824). The bound is what makes the shapes computed from a config
    /// safe to multiply: a weight's extents are at most three of these and a patch,
    /// so its element count fits in an `Int` with room to spare.
    public static let maxExtent = 1 << 20
    /// The largest patch extent (Wan uses 1 × 2 × 2).
    public static let maxPatch = 64

    /// `num_attention_heads × attention_head_dim`.
    public var inner_dim: Int { num_attention_heads * attention_head_dim }

    /// Reads and validates `path`.
    public static func load(path: String) throws(ModelError) -> WanTransformerConfig {
        let object = try ConfigFile.readObject(path: path)
        if let cls = object["_class_name"] as? String, cls != "WanTransformer3DModel" {
            throw .unsupportedOption(path: path, key: "_class_name", value: cls, supported: "expected WanTransformer3DModel")
        }
        var c = WanTransformerConfig()
        let r = ConfigFile.Reader(path: path, object: object)
        c.patch_size = try r.intArray("patch_size") ?? c.patch_size
        c.num_attention_heads = try r.int("num_attention_heads") ?? c.num_attention_heads
        c.attention_head_dim = try r.int("attention_head_dim") ?? c.attention_head_dim
        c.in_channels = try r.int("in_channels") ?? c.in_channels
        c.out_channels = try r.int("out_channels") ?? c.in_channels
        c.text_dim = try r.int("text_dim") ?? c.text_dim
        c.freq_dim = try r.int("freq_dim") ?? c.freq_dim
        c.ffn_dim = try r.int("ffn_dim") ?? c.ffn_dim
        c.num_layers = try r.int("num_layers") ?? c.num_layers
        c.cross_attn_norm = try r.bool("cross_attn_norm") ?? c.cross_attn_norm
        c.qk_norm = try r.string("qk_norm", default: c.qk_norm)
        c.eps = try r.float("eps") ?? c.eps
        c.image_dim = try r.int("image_dim")
        c.added_kv_proj_dim = try r.int("added_kv_proj_dim")
        c.rope_max_seq_len = try r.int("rope_max_seq_len") ?? c.rope_max_seq_len
        c.pos_embed_seq_len = try r.int("pos_embed_seq_len")
        try c.validate(path: path)
        return c
    }

    /// Checks the values this engine can run, naming the first that it cannot.
    public func validate(path: String) throws(ModelError) {
        func positive(_ key: String, _ value: Int) throws(ModelError) {
            guard value > 0, value <= Self.maxExtent else {
                throw .invalidConfig(path: path, key: key, reason: "must be in 1...\(Self.maxExtent), got \(value)")
            }
        }
        if let image_dim {
            throw .unsupportedOption(
                path: path, key: "image_dim", value: "\(image_dim)",
                supported: "image-to-video checkpoints are not supported yet; use a text-to-video Wan 2.1 checkpoint (image_dim null)")
        }
        if let added_kv_proj_dim {
            throw .unsupportedOption(
                path: path, key: "added_kv_proj_dim", value: "\(added_kv_proj_dim)",
                supported: "image-conditioning cross-attention is not supported yet; expected null")
        }
        if let pos_embed_seq_len {
            throw .unsupportedOption(path: path, key: "pos_embed_seq_len", value: "\(pos_embed_seq_len)", supported: "expected null")
        }
        guard qk_norm == "rms_norm_across_heads" else {
            throw .unsupportedOption(
                path: path, key: "qk_norm", value: qk_norm.map { "'\($0)'" } ?? "null",
                supported: "Reel implements 'rms_norm_across_heads', as Wan 2.1 ships")
        }
        guard patch_size.count == 3, patch_size.allSatisfy({ $0 > 0 && $0 <= Self.maxPatch }) else {
            throw .invalidConfig(
                path: path, key: "patch_size", reason: "must be three integers in 1...\(Self.maxPatch), got \(patch_size)")
        }
        for (key, value) in [
            ("num_attention_heads", num_attention_heads), ("attention_head_dim", attention_head_dim),
            ("in_channels", in_channels), ("out_channels", out_channels), ("text_dim", text_dim),
            ("freq_dim", freq_dim), ("ffn_dim", ffn_dim), ("num_layers", num_layers), ("rope_max_seq_len", rope_max_seq_len),
        ] { try positive(key, value) }
        // Both factors are at most maxExtent here, so the product cannot overflow.
        guard inner_dim <= Self.maxExtent else {
            throw .invalidConfig(
                path: path, key: "num_attention_heads",
                reason: "× attention_head_dim = \(num_attention_heads) × \(attention_head_dim) must be at most \(Self.maxExtent)")
        }
        guard freq_dim % 2 == 0 else { throw .invalidConfig(path: path, key: "freq_dim", reason: "must be even, got \(freq_dim)") }
        // The rotary split gives t/h/w sub-dimensions; each must hold whole (cos, sin) pairs.
        guard attention_head_dim % 2 == 0, attention_head_dim >= 6 else {
            throw .invalidConfig(path: path, key: "attention_head_dim", reason: "must be even and at least 6 for 3D rotary embedding, got \(attention_head_dim)")
        }
        guard eps > 0 else { throw .invalidConfig(path: path, key: "eps", reason: "must be positive, got \(eps)") }
    }

    /// The JSON diffusers would write for this config.
    public func jsonObject(diffusersVersion: String = "0.42.1") -> [String: Any] {
        [
            "_class_name": "WanTransformer3DModel", "_diffusers_version": diffusersVersion,
            "patch_size": patch_size, "num_attention_heads": num_attention_heads,
            "attention_head_dim": attention_head_dim, "in_channels": in_channels, "out_channels": out_channels,
            "text_dim": text_dim, "freq_dim": freq_dim, "ffn_dim": ffn_dim, "num_layers": num_layers,
            "cross_attn_norm": cross_attn_norm, "qk_norm": qk_norm as Any? ?? NSNull(), "eps": Double(eps),
            "image_dim": NSNull(), "added_kv_proj_dim": NSNull(), "rope_max_seq_len": rope_max_seq_len,
            "pos_embed_seq_len": NSNull(),
        ]
    }
}
