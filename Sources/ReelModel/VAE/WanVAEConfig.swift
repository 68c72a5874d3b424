import Foundation

/// `vae/config.json` of an `AutoencoderKLWan`, with the keys (including the
/// `temperal` misspelling) and defaults diffusers writes. Wan 2.2's options
/// (`is_residual`, `patch_size`) and encoder attention (`attn_scales`) are
/// rejected by name rather than silently ignored.
public struct WanVAEConfig: Sendable, Equatable {
    public var base_dim = 96
    /// The decoder's base width; nil means `base_dim`.
    public var decoder_base_dim: Int? = nil
    public var z_dim = 16
    public var dim_mult = [1, 2, 4, 4]
    public var num_res_blocks = 2
    public var attn_scales: [Double] = []
    /// Per encoder level (all but the last): whether it also halves time.
    public var temperal_downsample = [false, true, true]
    /// Training only; inference ignores it.
    public var dropout = 0.0
    /// Per-channel statistics of the latent space, used by ``LatentNormalization``.
    public var latents_mean = Self.wan21LatentsMean
    public var latents_std = Self.wan21LatentsStd
    public var is_residual = false
    public var in_channels = 3
    public var out_channels = 3
    public var patch_size: Int? = nil
    public var scale_factor_temporal: Int? = 4
    public var scale_factor_spatial: Int? = 8

    /// Wan 2.1's latent statistics, diffusers' defaults.
    public static let wan21LatentsMean = [
        -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
        0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
    ]
    public static let wan21LatentsStd = [
        2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160,
    ]

    public init() {}

    /// The widest channel count a level may have (Wan 2.1's widest is 384); with it a
    /// convolution weight's extents multiply to well within an `Int`.
    public static let maxWidth = 1 << 16
    /// The most levels `dim_mult` may list (Wan 2.1 has 4): each halves the frame,
    /// and the spatial stride `2^(levels − 1)` must stay a small positive number.
    public static let maxLevels = 8
    /// The most residual blocks per level (Wan 2.1 has 2).
    public static let maxResBlocks = 64

    /// The decoder's temporal layout: the encoder's, reversed.
    public var temperal_upsample: [Bool] { temperal_downsample.reversed() }
    /// Pixel frames per latent frame after the first: 2 per temporal level.
    public var temporalStride: Int { 1 << temperal_downsample.filter { $0 }.count }
    /// Pixels per latent pixel along each side: 2 per level but the last.
    public var spatialStride: Int { 1 << (dim_mult.count - 1) }
    /// The decoder's base width.
    public var decoderBaseDim: Int { decoder_base_dim ?? base_dim }

    /// How many latent frames before a frame its decoded pixels depend on: the causal
    /// 3-tap convolutions each reach two frames back at their own frame rate (and
    /// `time_conv` two frames at the lower rate). A chunk decoded after this many
    /// warm-up frames equals the uninterrupted decode exactly; 30 for the tiny
    /// preset, 38 for Wan 2.1's VAE.
    public var decoderReceptiveField: Int { decoderStageReach[0] }

    /// For each decoder stage in order — `conv_in`, the mid block, each level's residual
    /// blocks and then its upsampler, the head — how many latent frames before a frame
    /// that stage must still run for the frame's pixels: the dependency walked back from
    /// the frame's first pixel frame. Non-increasing; the first entry is the receptive field.
    public var decoderStageReach: [Int] {
        let a = 1 << 20  // a latent frame far from the clip's start
        var rate = temporalStride, earliest = 1 + rate * (a - 1)
        // The latent frame whose chunk holds frame `e` at `rate` frames per latent frame.
        func reach() -> Int { a - (earliest <= 0 ? 0 : (earliest - 1) / rate + 1) }
        var stages = [Int]()
        earliest -= 2  // conv_out
        stages.append(reach())
        for level in stride(from: dim_mult.count - 1, through: 0, by: -1) {
            if level < dim_mult.count - 1 {
                if temperal_upsample[level] {
                    // Frames 2τ − 1 and 2τ (τ ≥ 1) come from time_conv's frame τ, which reads τ − 2 … τ.
                    earliest = (earliest - 1) / 2 + 1 - 2
                    rate /= 2
                }
                stages.append(reach())
            }
            earliest -= 2 * 2 * (num_res_blocks + 1)
            stages.append(reach())
        }
        earliest -= 2 * 4  // the mid block's two residual blocks
        stages.append(reach())
        earliest -= 2  // conv_in
        stages.append(reach())
        return stages.reversed()
    }

    /// Pixel frames that `latentFrames` latent frames decode to: `1 + stride·(F − 1)`.
    public func pixelFrames(latentFrames f: Int) -> Int { f <= 0 ? 0 : 1 + temporalStride * (f - 1) }

    /// Reads and validates `path`.
    public static func load(path: String) throws(ModelError) -> WanVAEConfig {
        let object = try ConfigFile.readObject(path: path)
        if let cls = object["_class_name"] as? String, cls != "AutoencoderKLWan" {
            throw .unsupportedOption(path: path, key: "_class_name", value: cls, supported: "expected AutoencoderKLWan")
        }
        var c = WanVAEConfig()
        let r = ConfigFile.Reader(path: path, object: object)
        c.base_dim = try r.int("base_dim") ?? c.base_dim
        c.decoder_base_dim = try r.int("decoder_base_dim")
        c.z_dim = try r.int("z_dim") ?? c.z_dim
        c.dim_mult = try r.intArray("dim_mult") ?? c.dim_mult
        c.num_res_blocks = try r.int("num_res_blocks") ?? c.num_res_blocks
        c.attn_scales = try r.doubleArray("attn_scales") ?? c.attn_scales
        c.temperal_downsample = try r.boolArray("temperal_downsample") ?? c.temperal_downsample
        c.dropout = try r.double("dropout") ?? c.dropout
        c.latents_mean = try r.doubleArray("latents_mean") ?? c.latents_mean
        c.latents_std = try r.doubleArray("latents_std") ?? c.latents_std
        c.is_residual = try r.bool("is_residual") ?? c.is_residual
        c.in_channels = try r.int("in_channels") ?? c.in_channels
        c.out_channels = try r.int("out_channels") ?? c.out_channels
        c.patch_size = try r.int("patch_size")
        c.scale_factor_temporal = object["scale_factor_temporal"] == nil ? c.scale_factor_temporal : try r.int("scale_factor_temporal")
        c.scale_factor_spatial = object["scale_factor_spatial"] == nil ? c.scale_factor_spatial : try r.int("scale_factor_spatial")
        try c.validate(path: path)
        return c
    }

    /// Checks the values this engine can run, naming the first that it cannot.
    public func validate(path: String) throws(ModelError) {
        if is_residual {
            throw .unsupportedOption(
                path: path, key: "is_residual", value: "true",
                supported: "Wan 2.2's residual VAE is not supported; Reel implements Wan 2.1's AutoencoderKLWan (is_residual false)")
        }
        if let patch_size {
            throw .unsupportedOption(
                path: path, key: "patch_size", value: "\(patch_size)",
                supported: "patchified (Wan 2.2) VAEs are not supported; expected null")
        }
        if !attn_scales.isEmpty {
            throw .unsupportedOption(
                path: path, key: "attn_scales", value: "\(attn_scales)",
                supported: "encoder attention blocks are not implemented; Wan 2.1 ships []")
        }
        for (key, value, limit) in [
            ("base_dim", base_dim, Self.maxWidth), ("z_dim", z_dim, Self.maxWidth), ("num_res_blocks", num_res_blocks, Self.maxResBlocks),
            ("in_channels", in_channels, Self.maxWidth), ("out_channels", out_channels, Self.maxWidth),
            ("decoder_base_dim", decoderBaseDim, Self.maxWidth),
        ] where value <= 0 || value > limit {
            throw .invalidConfig(path: path, key: key, reason: "must be in 1...\(limit), got \(value)")
        }
        guard (1 ... Self.maxLevels).contains(dim_mult.count), dim_mult.allSatisfy({ $0 > 0 }) else {
            throw .invalidConfig(
                path: path, key: "dim_mult", reason: "must be 1 to \(Self.maxLevels) positive integers, got \(dim_mult)")
        }
        // Every level's width is a base times a multiplier; both are bounded only by
        // the JSON, so the product is checked before any shape is built from it.
        for (key, base) in [("base_dim", base_dim), ("decoder_base_dim", decoderBaseDim)] {
            for mult in dim_mult {
                let (width, overflow) = base.multipliedReportingOverflow(by: mult)
                guard !overflow, width <= Self.maxWidth else {
                    throw .invalidConfig(
                        path: path, key: "dim_mult", reason: "× \(key) \(base) gives a width above \(Self.maxWidth) (multiplier \(mult))")
                }
            }
        }
        guard temperal_downsample.count == dim_mult.count - 1 else {
            throw .invalidConfig(
                path: path, key: "temperal_downsample",
                reason: "must have one entry per downsampling level (len(dim_mult) − 1 = \(dim_mult.count - 1)), got \(temperal_downsample.count)")
        }
        guard dropout >= 0, dropout < 1 else {
            throw .invalidConfig(path: path, key: "dropout", reason: "must be in [0, 1), got \(dropout)")
        }
    }

    /// The JSON diffusers would write for this config.
    public func jsonObject(diffusersVersion: String = "0.42.1") -> [String: Any] {
        [
            "_class_name": "AutoencoderKLWan", "_diffusers_version": diffusersVersion,
            "base_dim": base_dim, "decoder_base_dim": decoder_base_dim as Any? ?? NSNull(), "z_dim": z_dim,
            "dim_mult": dim_mult, "num_res_blocks": num_res_blocks, "attn_scales": attn_scales,
            "temperal_downsample": temperal_downsample, "dropout": dropout,
            "latents_mean": latents_mean, "latents_std": latents_std, "is_residual": is_residual,
            "in_channels": in_channels, "out_channels": out_channels, "patch_size": patch_size as Any? ?? NSNull(),
            "scale_factor_temporal": scale_factor_temporal as Any? ?? NSNull(),
            "scale_factor_spatial": scale_factor_spatial as Any? ?? NSNull(),
        ]
    }
}
