import Foundation
import ReelTensor

/// umT5's self-attention (`UMT5Attention`, encoder side): q, k, v and o projections
/// without biases, no `1/√d` scaling (T5 folds it into the weights' initialisation),
/// and a learned relative position bias that — unlike T5, where only the first layer
/// has one — every layer owns.
struct UMT5Attention: Sendable {
    var q: UMT5Matrix  // (inner, d_model)
    var k: UMT5Matrix  // (inner, d_model)
    var v: UMT5Matrix  // (inner, d_model)
    var o: UMT5Matrix  // (d_model, inner)
    var relative_attention_bias: Tensor  // (num_buckets, num_heads)
    let config: UMT5Config

    init(_ prefix: String, config c: UMT5Config, from loader: inout UMT5Loader) throws(ModelError) {
        config = c
        q = try loader.matrix("\(prefix).q.weight", rows: c.inner_dim, columns: c.d_model, transposed: true)
        k = try loader.matrix("\(prefix).k.weight", rows: c.inner_dim, columns: c.d_model, transposed: true)
        v = try loader.matrix("\(prefix).v.weight", rows: c.inner_dim, columns: c.d_model, transposed: true)
        o = try loader.matrix("\(prefix).o.weight", rows: c.d_model, columns: c.inner_dim, transposed: true)
        relative_attention_bias = try loader.tensor(
            "\(prefix).relative_attention_bias.weight", shape: [c.relative_attention_num_buckets, c.num_heads])
    }

    /// `(L, d_model)` → `(L, d_model)` over `L` real tokens. Padding is left out rather
    /// than masked: transformers adds `finfo.min` to padded keys, whose softmax weight
    /// is then exactly 0, so the real positions' outputs are the same either way.
    func callAsFunction(_ x: Tensor) throws(ModelError) -> Tensor {
        let length = x.shape[0]
        let bias = Self.positionBias(relative_attention_bias, queries: length, keys: length, config: config)
        let (qx, kx, vx) = (try q(x), try k(x), try v(x))
        let context = try kernel { () throws(TensorError) in try Self.attention(q: qx, k: kx, v: vx, bias: bias, heads: config.num_heads) }
        return try o(context)
    }

    /// `_relative_position_bucket` for an encoder (bidirectional): half the buckets per
    /// direction, the first half of those exact, the rest logarithmic up to
    /// `max_distance`. The logarithm is evaluated in float32 as torch does, then
    /// truncated, so bucket edges fall where transformers puts them.
    static func bucket(_ relativePosition: Int, numBuckets: Int, maxDistance: Int) -> Int {
        let half = numBuckets / 2
        var bucket = relativePosition > 0 ? half : 0
        let distance = abs(relativePosition)
        let maxExact = half / 2
        if distance < maxExact { return bucket + distance }
        let ratio = Float(distance) / Float(maxExact)
        let logRatio = (logf(ratio) / Float(Foundation.log(Double(maxDistance) / Double(maxExact)))) * Float(half - maxExact)
        bucket += min(maxExact + Int(logRatio), half - 1)
        return bucket
    }

    /// `compute_bias`: `(H, Lq, Lk)`, head-major, as `values.permute([2, 0, 1])`.
    static func positionBias(_ table: Tensor, queries: Int, keys: Int, config c: UMT5Config) -> Tensor {
        let heads = c.num_heads
        var buckets = [Int](repeating: 0, count: queries + keys - 1)  // for key − query = −(q−1) ... k−1
        for r in 0 ..< buckets.count {
            buckets[r] = bucket(r - (queries - 1), numBuckets: c.relative_attention_num_buckets, maxDistance: c.relative_attention_max_distance)
        }
        var out = Tensor(zeros: [heads, queries, keys])
        for h in 0 ..< heads {
            for i in 0 ..< queries {
                for j in 0 ..< keys {
                    out.storage[(h * queries + i) * keys + j] = table.storage[buckets[j - i + queries - 1] * heads + h]
                }
            }
        }
        return out
    }

    /// `softmax(Q·Kᵀ + bias)·V` per head, heads side by side in the feature axis.
    /// Each head's `(L, L)` scores are one GEMM (L ≤ 512, so 1 MiB a head); the softmax
    /// uses the engine's vectorised `2^x` on scores scaled by log₂e.
    /// - Parameters: q, k, v `(L, H·d)`; bias `(H, L, L)`
    /// - Returns: `(L, H·d)`
    static func attention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, heads: Int) throws(TensorError) -> Tensor {
        let (length, width) = (q.shape[0], q.shape[1])
        let d = width / heads
        guard k.shape == q.shape, v.shape == q.shape, bias.shape == [heads, length, length] else {
            throw .shapeMismatch(what: "umT5 attention bias", expected: [heads, length, length], actual: bias.shape)
        }
        var out = Tensor(zeros: [length, width])
        let log2e = Float(1.4426950408889634)
        q.storage.withUnsafeBufferPointer { qp in
            k.storage.withUnsafeBufferPointer { kp in
                v.storage.withUnsafeBufferPointer { vp in
                    bias.storage.withUnsafeBufferPointer { bp in
                        out.storage.withUnsafeMutableBufferPointer { op in
                            let ptrs = SendablePointers((qp.baseAddress!, kp.baseAddress!, vp.baseAddress!, bp.baseAddress!, op.baseAddress!))
                            Parallel.forEach(heads) { h in
                                let (qb, kb, vb, bb, ob) = ptrs.value
                                let scores = UnsafeMutablePointer<Float>.allocate(capacity: length * length)
                                defer { scores.deallocate() }
                                // scores = bias, then += Q_h·K_hᵀ (beta 1), as transformers adds them.
                                scores.update(from: bb + h * length * length, count: length * length)
                                BLAS.sgemm(
                                    m: length, n: length, k: d, a: qb + h * d, lda: width, b: kb + h * d, ldb: width,
                                    transposeB: true, beta: 1, c: scores, ldc: length)
                                for i in 0 ..< length {
                                    let row = UnsafeMutableBufferPointer(start: scores + i * length, count: length)
                                    for j in 0 ..< length { row[j] *= log2e }
                                    let shift = VectorMath.maximum(row)
                                    let sum = VectorMath.exp2ShiftedSum(row, shift: shift)
                                    let inverse = 1 / sum
                                    for j in 0 ..< length { row[j] *= inverse }
                                }
                                BLAS.sgemm(
                                    m: length, n: d, k: length, a: scores, lda: length, b: vb + h * d, ldb: width,
                                    transposeB: false, c: ob + h * d, ldc: width)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Reference for ``attention(q:k:v:bias:heads:)``: every score, softmax and sum in Double.
    static func naiveAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, heads: Int) -> Tensor {
        let (length, width) = (q.shape[0], q.shape[1])
        let d = width / heads
        var out = Tensor(zeros: [length, width])
        for h in 0 ..< heads {
            for i in 0 ..< length {
                var scores = [Double](repeating: 0, count: length)
                for j in 0 ..< length {
                    var s = Double(bias.storage[(h * length + i) * length + j])
                    for c in 0 ..< d { s += Double(q.storage[i * width + h * d + c]) * Double(k.storage[j * width + h * d + c]) }
                    scores[j] = s
                }
                let m = scores.max() ?? 0
                let e = scores.map { Foundation.exp($0 - m) }
                let total = e.reduce(0, +)
                for c in 0 ..< d {
                    var acc = 0.0
                    for j in 0 ..< length { acc += e[j] / total * Double(v.storage[j * width + h * d + c]) }
                    out.storage[i * width + h * d + c] = Float(acc)
                }
            }
        }
        return out
    }
}

/// Pointers shared read-only (or written at disjoint offsets) by the head loop.
struct SendablePointers<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
