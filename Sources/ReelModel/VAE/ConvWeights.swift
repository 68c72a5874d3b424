import ReelTensor

/// A convolution's `weight` and `bias` as PyTorch names and shapes them, packed
/// once for the GEMM (see ``ConvolutionWeights``).
public struct ConvWeights: Sendable {
    public let packed: ConvolutionWeights

    /// `(C_out, C_in, k…)`, rebuilt from the packed copy.
    public var weight: Tensor { packed.weight }
    /// `(C_out)`.
    public var bias: Tensor { packed.bias ?? Tensor(zeros: [packed.outChannels]) }

    /// Takes `prefix.weight` `(out, in, kernel…)` and `prefix.bias` `(out)` from `source`.
    init(_ prefix: String, in inChannels: Int, out: Int, kernel size: [Int], from source: inout some WeightSource) throws(ModelError) {
        let fanIn = inChannels * size.reduce(1, *)
        let weight = try source.take("\(prefix).weight", shape: [out, inChannels] + size, initializer: .uniformFanIn(fanIn))
        let bias = try source.take("\(prefix).bias", shape: [out], initializer: .uniformFanIn(fanIn))
        packed = try kernel { () throws(TensorError) in try ConvolutionWeights(weight: weight, bias: bias) }
    }

    /// The convolution of `leadingZeros` zero frames ++ `history` ++ `x`, all `(T, H, W, C_in)`.
    func callAsFunction(
        _ x: Tensor, history: Tensor? = nil, leadingZeros: Int = 0, geometry: Convolution.Geometry = .init()
    ) throws(ModelError) -> Tensor {
        try kernel { () throws(TensorError) in
            try Convolution.conv3d(x, history: history, leadingZeros: leadingZeros, weights: packed, geometry: geometry)
        }
    }
}
