import ReelTensor

/// `condition_embedder`: timestep → sinusoid → MLP (`temb`) → `time_proj`
/// (the six modulation vectors per block), and text embeddings → 2-layer
/// GELU-tanh projection to the model width.
public struct WanTimeTextImageEmbedding: Sendable {
    public let freqDim: Int
    // time
    public var time_embedder_linear_1: LinearWeights  // time_embedder.linear_1 (C, freq_dim)
    public var time_embedder_linear_2: LinearWeights  // time_embedder.linear_2 (C, C)
    public var time_proj: LinearWeights  // (6·C, C)
    // text
    public var text_embedder_linear_1: LinearWeights  // text_embedder.linear_1 (C, text_dim)
    public var text_embedder_linear_2: LinearWeights  // text_embedder.linear_2 (C, C)

    init(_ p: String, config c: WanTransformerConfig, from source: inout some WeightSource) throws(ModelError) {
        let dim = c.inner_dim
        freqDim = c.freq_dim
        time_embedder_linear_1 = try LinearWeights("\(p).time_embedder.linear_1", in: c.freq_dim, out: dim, from: &source)
        time_embedder_linear_2 = try LinearWeights("\(p).time_embedder.linear_2", in: dim, out: dim, from: &source)
        time_proj = try LinearWeights("\(p).time_proj", in: dim, out: 6 * dim, from: &source)
        text_embedder_linear_1 = try LinearWeights("\(p).text_embedder.linear_1", in: c.text_dim, out: dim, from: &source)
        text_embedder_linear_2 = try LinearWeights("\(p).text_embedder.linear_2", in: dim, out: dim, from: &source)
    }

    /// `(temb (1, C), timestep_proj (1, 6·C))` for one timestep.
    func time(_ t: Float) throws(ModelError) -> (temb: Tensor, projection: Tensor) {
        var temb = try time_embedder_linear_1(Self.sinusoid(t, channels: freqDim))
        Activation.silu(&temb)
        temb = try time_embedder_linear_2(temb)
        var activated = temb
        Activation.silu(&activated)
        return (temb, try time_proj(activated))
    }

    /// Text embeddings `(L, text_dim)` → `(L, C)`.
    func text(_ encoderHiddenStates: Tensor) throws(ModelError) -> Tensor {
        var h = try text_embedder_linear_1(encoderHiddenStates)
        Activation.geluTanh(&h)
        return try text_embedder_linear_2(h)
    }

    /// diffusers' `Timesteps(flip_sin_to_cos=True, downscale_freq_shift=0)`:
    /// `[cos(t·fᵢ), sin(t·fᵢ)]` with `fᵢ = exp(−ln(10⁴)·i/half)`, every product
    /// rounded to float32 where PyTorch rounds it, since `t` reaches 1000 and an
    /// ulp of the argument there is visible in the output.
    static func sinusoid(_ t: Float, channels: Int) -> Tensor {
        let half = channels / 2
        let c = Float(-log(10000.0))
        var out = Tensor(zeros: [1, channels])
        for i in 0 ..< half {
            let exponent = (c * Float(i)) / Float(half)
            let argument = t * expf(exponent)
            out.storage[i] = Float(cos(Double(argument)))
            out.storage[half + i] = Float(sin(Double(argument)))
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
