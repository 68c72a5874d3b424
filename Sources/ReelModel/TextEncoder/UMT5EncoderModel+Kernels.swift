import ReelTensor

extension UMT5EncoderModel {
    /// The relative-position bucket of `key − query` in an encoder layer
    /// (transformers' `_relative_position_bucket`), for tests and tools.
    public static func relativePositionBucket(_ relativePosition: Int, numBuckets: Int, maxDistance: Int) -> Int {
        UMT5Attention.bucket(relativePosition, numBuckets: numBuckets, maxDistance: maxDistance)
    }

    /// The attention kernel: `softmax(Q·Kᵀ + bias)·V` per head, unscaled as in T5.
    /// q, k, v `(L, H·d)`; bias `(H, L, L)`.
    public static func attentionKernel(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, heads: Int) throws(TensorError) -> Tensor {
        try UMT5Attention.attention(q: q, k: k, v: v, bias: bias, heads: heads)
    }

    /// The Double reference of ``attentionKernel(q:k:v:bias:heads:)``.
    public static func naiveAttentionKernel(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, heads: Int) -> Tensor {
        UMT5Attention.naiveAttention(q: q, k: k, v: v, bias: bias, heads: heads)
    }
}
