/// Multi-head scaled dot-product attention, `softmax(Q·Kᵀ·scale)·V` per head.
///
/// The fast path never materialises the `(Nq, Nk)` score matrix of a head: it
/// walks keys in chunks and keeps a running row maximum and row sum (the online
/// softmax of FlashAttention), so scratch memory is
/// `threads × queryChunk × keyChunk` floats whatever the token count.
public enum Attention {
    /// Query rows per task; with `keyChunk` it sizes each thread's score tile.
    public static let queryChunk = 512
    /// Keys per step of the online softmax.
    public static let keyChunk = 512

    /// Attention over heads laid side by side in the feature axis.
    /// - Parameters:
    ///   - q: `(Nq, H·d)`
    ///   - k: `(Nk, H·d)`
    ///   - v: `(Nk, H·d)`
    ///   - heads: `H`
    ///   - scale: score scale; defaults to `1/√d`
    /// - Returns: `(Nq, H·d)`, heads side by side as `q` has them
    public static func forward(q: Tensor, k: Tensor, v: Tensor, heads: Int, scale: Float? = nil) throws(TensorError)
        -> Tensor
    {
        let (nq, nk, width, d) = try check(q: q, k: k, v: v, heads: heads)
        let scale = scale ?? 1 / Float(d).squareRoot()
        _ = BLAS.configure
        // Every tile's first key chunk writes with beta = 0, so no zero fill.
        var out = Tensor.uninitialized([nq, width])
        let queryBlocks = (nq + queryChunk - 1) / queryChunk
        q.storage.withUnsafeBufferPointer { qp in
            k.storage.withUnsafeBufferPointer { kp in
                v.storage.withUnsafeBufferPointer { vp in
                    out.storage.withUnsafeMutableBufferPointer { op in
                        let ptrs = UncheckedSendable((qp.baseAddress!, kp.baseAddress!, vp.baseAddress!, op.baseAddress!))
                        // A task is one (head, query block); tasks write disjoint output tiles.
                        Parallel.forRanges(heads * queryBlocks) { tasks in
                            let (qb, kb, vb, ob) = ptrs.value
                            var scratch = Scratch(rows: queryChunk, keys: keyChunk)
                            for task in tasks {
                                let head = task / queryBlocks
                                let row0 = (task % queryBlocks) * queryChunk
                                let rows = min(queryChunk, nq - row0)
                                let column = head * d
                                attendTile(
                                    q: qb + row0 * width + column, k: kb + column, v: vb + column,
                                    out: ob + row0 * width + column,
                                    rows: rows, keys: nk, d: d, stride: width, scale: scale, scratch: &scratch)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    struct Scratch {
        var scores: [Float]
        var rowMax: [Float]
        var rowSum: [Float]
        init(rows: Int, keys: Int) {
            // Every score is written by the GEMM before it is read: no fill needed.
            scores = [Float](unsafeUninitializedCapacity: rows * keys) { _, count in count = rows * keys }
            rowMax = [Float](repeating: 0, count: rows)
            rowSum = [Float](repeating: 0, count: rows)
        }
    }

    /// One head's attention for `rows` queries against all `keys`, by key chunks.
    private static func attendTile(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>,
        rows: Int, keys: Int, d: Int, stride: Int, scale: Float, scratch: inout Scratch
    ) {
        scratch.rowMax.withUnsafeMutableBufferPointer { rowMax in
            scratch.rowSum.withUnsafeMutableBufferPointer { rowSum in
                scratch.scores.withUnsafeMutableBufferPointer { scores in
                    let s = scores.baseAddress!
                    for r in 0 ..< rows {
                        rowMax[r] = -.infinity
                        rowSum[r] = 0
                    }
                    var key0 = 0
                    while key0 < keys {
                        let chunk = min(keyChunk, keys - key0)
                        // S = scale · log₂e · Q Kᵀ for this key chunk, (rows, chunk) with row
                        // stride `chunk`: base-2 scores, so the softmax needs only 2^x.
                        BLAS.sgemm(
                            m: rows, n: chunk, k: d, alpha: scale * 1.442695040888963,
                            a: q, lda: stride, b: k + key0 * stride, ldb: stride, transposeB: true,
                            c: s, ldc: chunk)
                        for r in 0 ..< rows {
                            let row = UnsafeMutableBufferPointer(start: s + r * chunk, count: chunk)
                            let newMax = max(rowMax[r], VectorMath.maximum(row))
                            let sum = VectorMath.exp2ShiftedSum(row, shift: newMax)
                            if key0 > 0 {
                                // Rescale what earlier chunks accumulated to the new maximum.
                                let correction = VectorMath.exp2(rowMax[r] - newMax)
                                rowSum[r] *= correction
                                let o = out + r * stride
                                for j in 0 ..< d { o[j] *= correction }
                            }
                            rowSum[r] += sum
                            rowMax[r] = newMax
                        }
                        // O (+)= P · V for this chunk.
                        BLAS.sgemm(
                            m: rows, n: d, k: chunk,
                            a: s, lda: chunk, b: v + key0 * stride, ldb: stride, transposeB: false,
                            beta: key0 == 0 ? 0 : 1, c: out, ldc: stride)
                        key0 += chunk
                    }
                    for r in 0 ..< rows {
                        let inverse = 1 / rowSum[r]
                        let o = out + r * stride
                        for j in 0 ..< d { o[j] *= inverse }
                    }
                }
            }
        }
    }

    /// Reference for ``forward(q:k:v:heads:scale:)``: full score rows, softmax and sums in Double.
    public static func naive(q: Tensor, k: Tensor, v: Tensor, heads: Int, scale: Float? = nil) throws(TensorError)
        -> Tensor
    {
        let (nq, nk, width, d) = try check(q: q, k: k, v: v, heads: heads)
        let scale = Double(scale ?? 1 / Float(d).squareRoot())
        var out = Tensor(zeros: [nq, width])
        var scores = [Double](repeating: 0, count: nk)
        for h in 0 ..< heads {
            for i in 0 ..< nq {
                var m = -Double.infinity
                for j in 0 ..< nk {
                    var dot = 0.0
                    for c in 0 ..< d { dot += Double(q.storage[i * width + h * d + c]) * Double(k.storage[j * width + h * d + c]) }
                    scores[j] = dot * scale
                    m = max(m, scores[j])
                }
                var total = 0.0
                for j in 0 ..< nk {
                    scores[j] = libmExp(scores[j] - m)
                    total += scores[j]
                }
                for c in 0 ..< d {
                    var acc = 0.0
                    for j in 0 ..< nk { acc += scores[j] * Double(v.storage[j * width + h * d + c]) }
                    out.storage[i * width + h * d + c] = Float(acc / total)
                }
            }
        }
        return out
    }

    private static func check(q: Tensor, k: Tensor, v: Tensor, heads: Int) throws(TensorError) -> (Int, Int, Int, Int) {
        guard q.rank == 2, heads > 0, q.shape[1] % heads == 0 else {
            throw .invalidArgument("attention query \(q.shape) does not split into \(heads) heads")
        }
        let width = q.shape[1]
        guard k.rank == 2, k.shape[1] == width else {
            throw .shapeMismatch(what: "attention key", expected: [k.shape.first ?? 0, width], actual: k.shape)
        }
        guard v.shape == k.shape else {
            throw .shapeMismatch(what: "attention value", expected: k.shape, actual: v.shape)
        }
        guard k.shape[0] > 0 else { throw .invalidArgument("attention over zero keys") }
        return (q.shape[0], k.shape[0], width, width / heads)
    }
}
