import ReelTensor

/// Cutting latents into spacetime patches (tokens) and putting them back.
extension WanTransformer3DModel {
    struct PatchGrid {
        let f: Int, h: Int, w: Int
        var tokens: Int { f * h * w }
    }

    func patchGrid(_ shape: [Int], name: String) throws(ModelError) -> PatchGrid {
        let p = config.patch_size
        guard shape.count == 4, shape[0] == config.in_channels,
            shape[1] % p[0] == 0, shape[2] % p[1] == 0, shape[3] % p[2] == 0,
            shape[1] > 0, shape[2] > 0, shape[3] > 0
        else {
            throw .inputShape(
                name: name,
                expected: "(\(config.in_channels), F, H, W) with F, H, W positive multiples of the patch size \(p)",
                actual: shape)
        }
        return PatchGrid(f: shape[1] / p[0], h: shape[2] / p[1], w: shape[3] / p[2])
    }

    /// `patch_embedding`, a Conv3d whose stride equals its kernel, as one GEMM:
    /// each token's patch is gathered in the weight's `(C_in, p_t, p_h, p_w)` order.
    func patchify(_ x: Tensor, grid g: PatchGrid) throws(ModelError) -> Tensor {
        let (c, frames, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (pt, ph, pw) = (config.patch_size[0], config.patch_size[1], config.patch_size[2])
        let patch = c * pt * ph * pw
        var columns = Tensor(zeros: [g.tokens, patch])
        columns.storage.withUnsafeMutableBufferPointer { out in
            x.storage.withUnsafeBufferPointer { src in
                var token = 0
                for f in 0 ..< g.f {
                    for h in 0 ..< g.h {
                        for w in 0 ..< g.w {
                            var k = token * patch
                            for ch in 0 ..< c {
                                for kt in 0 ..< pt {
                                    for kh in 0 ..< ph {
                                        let row = ((ch * frames + f * pt + kt) * height + h * ph + kh) * width + w * pw
                                        for kw in 0 ..< pw {
                                            out[k] = src[row + kw]
                                            k += 1
                                        }
                                    }
                                }
                            }
                            token += 1
                        }
                    }
                }
            }
        }
        let weight = try kernel { () throws(TensorError) in try patch_embedding_weight.reshaped([config.inner_dim, patch]) }
        let bias = patch_embedding_bias
        return try kernel { () throws(TensorError) in try Linear.forward(columns, weight: weight, bias: bias) }
    }

    /// The inverse layout of `proj_out`'s output: token features are ordered
    /// `(p_t, p_h, p_w, C_out)` and land at `(C_out, F, H, W)`.
    func unpatchify(_ y: Tensor, grid g: PatchGrid) -> Tensor {
        let (pt, ph, pw) = (config.patch_size[0], config.patch_size[1], config.patch_size[2])
        let c = config.out_channels
        let (frames, height, width) = (g.f * pt, g.h * ph, g.w * pw)
        var out = Tensor(zeros: [c, frames, height, width])
        let features = y.shape[1]
        var token = 0
        for f in 0 ..< g.f {
            for h in 0 ..< g.h {
                for w in 0 ..< g.w {
                    var k = token * features
                    for kt in 0 ..< pt {
                        for kh in 0 ..< ph {
                            for kw in 0 ..< pw {
                                for ch in 0 ..< c {
                                    out.storage[((ch * frames + f * pt + kt) * height + h * ph + kh) * width + w * pw + kw] = y.storage[k]
                                    k += 1
                                }
                            }
                        }
                    }
                    token += 1
                }
            }
        }
        return out
    }
}
