import ReelModel

extension DecodeBenchmark {
    /// FLOPs of decoding `latentFrames` latent frames of `h × w`: 2·C_out·C_in·taps per output
    /// value of every convolution (as the GEMMs run them, zero padding included), plus the
    /// mid block's attention (4·N²·C per frame for scores and weighted sums). Norms,
    /// activations and copies are left out, as in `DiTBenchmark.flops`.
    public static func flops(_ c: WanVAEConfig, latentFrames: Int, height h: Int, width w: Int) -> Double {
        let mult = c.dim_mult, base = c.decoderBaseDim
        let dims = ([mult.last!] + mult.reversed()).map { Double(base * $0) }
        let z = Double(c.z_dim)
        var total = 0.0
        for frame in 0 ..< latentFrames {
            var t = 1.0, pixels = Double(h * w)
            func conv(_ cin: Double, _ cout: Double, taps: Double) { total += 2 * cin * cout * taps * t * pixels }
            func resnet(_ cin: Double, _ cout: Double) {
                conv(cin, cout, taps: 27)
                conv(cout, cout, taps: 27)
                if cin != cout { conv(cin, cout, taps: 1) }
            }
            conv(z, z, taps: 1)  // post_quant_conv
            conv(z, dims[0], taps: 27)
            resnet(dims[0], dims[0])
            total += t * (2 * pixels * dims[0] * 4 * dims[0] + 4 * pixels * pixels * dims[0])  // qkv, proj; attention
            resnet(dims[0], dims[0])
            for level in 0 ..< mult.count {
                var cin = level > 0 ? (dims[level] / 2).rounded(.down) : dims[level]
                for _ in 0 ... c.num_res_blocks {
                    resnet(cin, dims[level + 1])
                    cin = dims[level + 1]
                }
                guard level < mult.count - 1 else { break }
                if c.temperal_upsample[level], frame > 0 {
                    conv(cin, 2 * cin, taps: 3)  // time_conv
                    t *= 2
                }
                pixels *= 4
                conv(cin, (cin / 2).rounded(.down), taps: 9)
            }
            conv(dims.last!, Double(c.out_channels), taps: 27)
        }
        return total
    }
}
