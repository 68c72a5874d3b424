import ReelTensor

/// `WanRMS_norm`: `F.normalize` over channels times `√C` and `gamma` (its bias is
/// the constant 0 in every Wan 2.1 layer), on channels-last `(…, C)` tensors.
public struct WanRMSNorm: Sendable {
    public var gamma: Tensor  // (C, 1, 1, 1), or (C, 1, 1) for images (attention)
    let weight: Tensor  // gamma as (C)

    init(_ prefix: String, channels: Int, images: Bool, from source: inout some WeightSource) throws(ModelError) {
        let gamma = try source.take("\(prefix).gamma", shape: [channels] + (images ? [1, 1] : [1, 1, 1]), initializer: .ones)
        self.gamma = gamma
        weight = try kernel { () throws(TensorError) in try gamma.reshaped([channels]) }
    }

    func callAsFunction(_ x: Tensor) throws(ModelError) -> Tensor {
        try kernel { () throws(TensorError) in try Normalization.l2Norm(x, weight: weight) }
    }

    /// The norm followed by SiLU, the pair every residual path and output head uses, in one pass.
    func silu(_ x: Tensor) throws(ModelError) -> Tensor {
        try kernel { () throws(TensorError) in try Normalization.l2Norm(x, weight: weight, silu: true) }
    }
}
