import ReelTensor

/// `WanEncoder3d` (Wan 2.1): `conv_in`, then per level `num_res_blocks` residual
/// blocks and (except on the last level) a downsampler, the mid block, and an
/// RMS-norm/SiLU/`conv_out` head to `2·z_dim` channels (mean and log-variance).
public struct WanEncoder3d: Sendable {
    /// One entry of `down_blocks`, which diffusers keeps as a flat list.
    public enum Layer: Sendable {
        case residual(WanResidualBlock)
        case resample(WanResample)
    }

    public var conv_in: WanCausalConv3d  // (C_base, in_channels, 3, 3, 3)
    public var down_blocks: [Layer]
    public var mid_block: WanMidBlock
    public var norm_out: WanRMSNorm  // gamma (C_top, 1, 1, 1)
    public var conv_out: WanCausalConv3d  // (2·z, C_top, 3, 3, 3)

    init(_ p: String, config c: WanVAEConfig, from source: inout some WeightSource) throws(ModelError) {
        let dims = ([1] + c.dim_mult).map { c.base_dim * $0 }
        conv_in = try WanCausalConv3d("\(p).conv_in", in: c.in_channels, out: dims[0], kernel: [3, 3, 3], padding: [1, 1, 1], from: &source)
        down_blocks = []
        for level in 0 ..< c.dim_mult.count {
            var inDim = dims[level]
            for _ in 0 ..< c.num_res_blocks {
                let block = try WanResidualBlock("\(p).down_blocks.\(down_blocks.count)", in: inDim, out: dims[level + 1], from: &source)
                down_blocks.append(.residual(block))
                inDim = dims[level + 1]
            }
            if level != c.dim_mult.count - 1 {
                let mode: WanResample.Mode = c.temperal_downsample[level] ? .downsample3d : .downsample2d
                let resample = try WanResample("\(p).down_blocks.\(down_blocks.count)", channels: dims[level + 1], mode: mode, from: &source)
                down_blocks.append(.resample(resample))
            }
        }
        let top = dims.last!
        mid_block = try WanMidBlock("\(p).mid_block", channels: top, from: &source)
        norm_out = try WanRMSNorm("\(p).norm_out", channels: top, images: false, from: &source)
        conv_out = try WanCausalConv3d("\(p).conv_out", in: top, out: 2 * c.z_dim, kernel: [3, 3, 3], padding: [1, 1, 1], from: &source)
    }

    /// One chunk of pixel frames `(T, H, W, in_channels)` → `(T', H/s, W/s, 2·z)`.
    func callAsFunction(_ x: Tensor, cache: inout WanFeatureCache) throws(ModelError) -> Tensor {
        cache.beginChunk()
        var x = try conv_in(x, cache: &cache)
        for layer in down_blocks {
            switch layer {
            case let .residual(block): x = try block(x, cache: &cache)
            case let .resample(resample): x = try resample(x, cache: &cache)
            }
        }
        x = try mid_block(x, cache: &cache)
        return try conv_out(try norm_out.silu(x), cache: &cache)
    }
}
