import ReelTensor

/// `WanDecoder3d` (Wan 2.1): `conv_in` from the latent channels, the mid block, one
/// up block per level from the widest, and an RMS-norm/SiLU/`conv_out` head.
/// Every call decodes one chunk (diffusers: one latent frame) and continues the
/// clip through the cache.
public struct WanDecoder3d: Sendable {
    public var conv_in: WanCausalConv3d  // (C_top, z, 3, 3, 3)
    public var mid_block: WanMidBlock
    public var up_blocks: [WanUpBlock]
    public var norm_out: WanRMSNorm  // gamma (C_base, 1, 1, 1)
    public var conv_out: WanCausalConv3d  // (out_channels, C_base, 3, 3, 3)

    init(_ p: String, config c: WanVAEConfig, from source: inout some WeightSource) throws(ModelError) {
        let base = c.decoderBaseDim
        let mult = c.dim_mult
        // dims = base · [mult[-1]] + mult reversed; each level after the first starts
        // from half of the previous width, since the upsampler halves the channels.
        let dims = ([mult.last!] + mult.reversed()).map { base * $0 }
        conv_in = try WanCausalConv3d("\(p).conv_in", in: c.z_dim, out: dims[0], kernel: [3, 3, 3], padding: [1, 1, 1], from: &source)
        mid_block = try WanMidBlock("\(p).mid_block", channels: dims[0], from: &source)
        up_blocks = []
        let upsample = c.temperal_upsample
        for i in 0 ..< mult.count {
            let inDim = i > 0 ? dims[i] / 2 : dims[i]
            let mode: WanResample.Mode? = i == mult.count - 1 ? nil : upsample[i] ? .upsample3d : .upsample2d
            up_blocks.append(
                try WanUpBlock("\(p).up_blocks.\(i)", in: inDim, out: dims[i + 1], blocks: c.num_res_blocks + 1, upsample: mode, from: &source))
        }
        norm_out = try WanRMSNorm("\(p).norm_out", channels: dims.last!, images: false, from: &source)
        conv_out = try WanCausalConv3d("\(p).conv_out", in: dims.last!, out: c.out_channels, kernel: [3, 3, 3], padding: [1, 1, 1], from: &source)
    }

    /// One chunk `(T, h, w, z)` of latent frame `latentFrame` → `(T', h·s, w·s, out_channels)`,
    /// unclamped. With `stages`, only the first that many stages run (in the order of
    /// `WanVAEConfig.decoderStageReach`), updating their caches; the result is then the
    /// last stage's output, for warm-up frames whose pixels nobody needs.
    func callAsFunction(
        _ x: Tensor, cache: inout WanFeatureCache, latentFrame: Int = 0, stages: Int = .max
    ) throws(ModelError) -> Tensor {
        cache.beginChunk(latentFrame: latentFrame)
        guard stages > 0 else { return x }
        var x = try conv_in(x, cache: &cache)
        guard stages > 1 else { return x }
        x = try mid_block(x, cache: &cache)
        var done = 2
        for block in up_blocks {
            guard done < stages else { return x }
            x = try block.residuals(x, cache: &cache)
            done += 1
            if let upsampler = block.upsamplers_0 {
                guard done < stages else { return x }
                x = try upsampler(x, cache: &cache)
                done += 1
            }
        }
        guard done < stages else { return x }
        return try conv_out(try norm_out.silu(x), cache: &cache)
    }
}
