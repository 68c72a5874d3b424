import Foundation

/// `text_encoder/config.json` of a transformers `UMT5EncoderModel`, with the keys and
/// defaults transformers' `UMT5Config` has (the defaults are umT5-XXL's, as Wan ships).
/// Options Reel does not implement are refused by name.
public struct UMT5Config: Sendable, Equatable {
    public var vocab_size = 256_384
    public var d_model = 4096
    public var d_kv = 64
    public var d_ff = 10240
    public var num_layers = 24
    public var num_heads = 64
    public var relative_attention_num_buckets = 32
    public var relative_attention_max_distance = 128
    public var layer_norm_epsilon: Float = 1e-6
    public var feed_forward_proj = "gated-gelu"
    public var pad_token_id = 0
    public var eos_token_id = 1

    public init() {}

    /// Bound on every width and count, as ``WanTransformerConfig/maxExtent``: it keeps
    /// the products the loader computes far from overflow.
    public static let maxExtent = 1 << 20

    /// `num_heads × d_kv`, the width of q, k and v.
    public var inner_dim: Int { num_heads * d_kv }

    /// Reads and validates `path`.
    public static func load(path: String) throws(ModelError) -> UMT5Config {
        let object = try ConfigFile.readObject(path: path)
        let r = ConfigFile.Reader(path: path, object: object)
        // T5 (model_type "t5") shares one position bias from the first layer; umT5 has
        // one per layer, and loading a T5 checkpoint as umT5 would miss tensors.
        if let type = try r.string("model_type", default: nil), type != "umt5" {
            throw .unsupportedOption(path: path, key: "model_type", value: type, supported: "expected umt5 (UMT5EncoderModel)")
        }
        var c = UMT5Config()
        c.vocab_size = try r.int("vocab_size") ?? c.vocab_size
        c.d_model = try r.int("d_model") ?? c.d_model
        c.d_kv = try r.int("d_kv") ?? c.d_kv
        c.d_ff = try r.int("d_ff") ?? c.d_ff
        c.num_layers = try r.int("num_layers") ?? c.num_layers
        c.num_heads = try r.int("num_heads") ?? c.num_heads
        c.relative_attention_num_buckets = try r.int("relative_attention_num_buckets") ?? c.relative_attention_num_buckets
        c.relative_attention_max_distance = try r.int("relative_attention_max_distance") ?? c.relative_attention_max_distance
        c.layer_norm_epsilon = try r.float("layer_norm_epsilon") ?? c.layer_norm_epsilon
        c.feed_forward_proj = try r.string("feed_forward_proj", default: c.feed_forward_proj) ?? c.feed_forward_proj
        c.pad_token_id = try r.int("pad_token_id") ?? c.pad_token_id
        c.eos_token_id = try r.int("eos_token_id") ?? c.eos_token_id
        for (key, value) in [
            ("vocab_size", c.vocab_size), ("d_model", c.d_model), ("d_kv", c.d_kv), ("d_ff", c.d_ff),
            ("num_layers", c.num_layers), ("num_heads", c.num_heads),
            ("relative_attention_num_buckets", c.relative_attention_num_buckets),
            ("relative_attention_max_distance", c.relative_attention_max_distance),
        ] where value < 1 || value > maxExtent {
            throw .invalidConfig(path: path, key: key, reason: "must be between 1 and \(maxExtent), got \(value)")
        }
        // Half the buckets go to each direction and half of those to exact distances.
        if c.relative_attention_num_buckets < 4 {
            throw .invalidConfig(path: path, key: "relative_attention_num_buckets", reason: "must be at least 4, got \(c.relative_attention_num_buckets)")
        }
        // "gated-gelu" is transformers' alias for gelu_new (tanh GELU) with a gate.
        guard c.feed_forward_proj == "gated-gelu" else {
            throw .unsupportedOption(
                path: path, key: "feed_forward_proj", value: c.feed_forward_proj, supported: "Reel implements gated-gelu, which umT5 uses")
        }
        if let gated = try r.bool("is_gated_act"), !gated {
            throw .unsupportedOption(path: path, key: "is_gated_act", value: "false", supported: "umT5's feed-forward is gated")
        }
        if let act = try r.string("dense_act_fn", default: nil), act != "gelu_new" {
            throw .unsupportedOption(path: path, key: "dense_act_fn", value: act, supported: "gelu_new (tanh GELU)")
        }
        return c
    }
}
