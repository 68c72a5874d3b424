import ReelTensor

/// `WanUpBlock` (Wan 2.1's decoder level): `num_res_blocks + 1` residual blocks,
/// then an upsampler on every level but the last.
public struct WanUpBlock: Sendable {
    public var resnets: [WanResidualBlock]  // first C_in → C_out, then C_out → C_out
    public var upsamplers_0: WanResample?  // upsamplers.0, C_out → C_out / 2

    init(_ p: String, in inDim: Int, out outDim: Int, blocks: Int, upsample: WanResample.Mode?, from source: inout some WeightSource)
        throws(ModelError)
    {
        resnets = []
        for i in 0 ..< blocks {
            resnets.append(try WanResidualBlock("\(p).resnets.\(i)", in: i == 0 ? inDim : outDim, out: outDim, from: &source))
        }
        if let upsample {
            upsamplers_0 = try WanResample("\(p).upsamplers.0", channels: outDim, mode: upsample, from: &source)
        }
    }

    /// The residual blocks; the decoder runs the upsampler as a stage of its own.
    func residuals(_ x: Tensor, cache: inout WanFeatureCache) throws(ModelError) -> Tensor {
        var x = x
        for resnet in resnets { x = try resnet(x, cache: &cache) }
        return x
    }
}
