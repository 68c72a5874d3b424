/// `y = x · Wᵀ + b` for a batch of rows — the shape of every `nn.Linear` and of
/// convolutions lowered to GEMM.
public enum Linear {
    /// How a weight matrix is stored.
    public enum Layout: Sendable {
        /// `(out, in)`, as `nn.Linear` and checkpoints store it.
        case outIn
        /// `(in, out)`: the transpose, which models keep for their hot layers.
        /// OpenBLAS packs this operand from contiguous rows rather than gathering
        /// it through the transpose, measurably faster when the weight is cold in
        /// cache (as every weight is once per forward).
        case inOut
    }

    /// Applies a linear layer.
    /// - Parameters:
    ///   - x: rows of input features, `(N, in)`
    ///   - weight: `(out, in)`, or `(in, out)` when `layout` is `.inOut`
    ///   - bias: `(out)`, or nil
    /// - Returns: `(N, out)`
    public static func forward(_ x: Tensor, weight: Tensor, layout: Layout = .outIn, bias: Tensor?) throws(TensorError)
        -> Tensor
    {
        let (n, inFeatures, outFeatures) = try check(x, weight: weight, layout: layout, bias: bias)
        _ = BLAS.configure
        var y = Tensor.uninitialized([n, outFeatures])
        guard n > 0 else { return y }
        let ldb = layout == .outIn ? inFeatures : outFeatures
        x.storage.withUnsafeBufferPointer { xp in
            weight.storage.withUnsafeBufferPointer { wp in
                y.storage.withUnsafeMutableBufferPointer { yp in
                    Tensor.withStorage(of: bias) { bp in
                        let ptrs = UncheckedSendable((xp.baseAddress!, wp.baseAddress!, yp.baseAddress!, bp))
                        // Rows are independent, so threads take blocks of rows. The blocks
                        // depend on `n` alone, not on the thread count: some OpenBLAS kernel
                        // families (Haswell, what Zen CPUs get) round a row differently with
                        // the number of rows in its call, and a clip must have the same bits
                        // on one worker or two.
                        let block = rowBlock(n)
                        Parallel.forRanges((n + block - 1) / block) { blocks in
                            let (xb, wb, yb, bias) = ptrs.value
                            for b in blocks {
                                let rows = b * block ..< min(n, (b + 1) * block)
                                let c = yb + rows.lowerBound * outFeatures
                                // The bias goes in first and the GEMM accumulates onto it
                                // (beta = 1): OpenBLAS would otherwise spend a pass zeroing C,
                                // and a second pass would add the bias.
                                if let bias {
                                    for r in 0 ..< rows.count { (c + r * outFeatures).update(from: bias, count: outFeatures) }
                                }
                                BLAS.sgemm(
                                    m: rows.count, n: outFeatures, k: inFeatures,
                                    a: xb + rows.lowerBound * inFeatures, lda: inFeatures,
                                    b: wb, ldb: ldb, transposeB: layout == .outIn,
                                    beta: bias == nil ? 0 : 1, c: c, ldc: outFeatures)
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Rows per GEMM call for `n` rows: up to eight blocks, each a multiple of 16 rows
    /// (OpenBLAS's efficient regime) and at least 256, so that the weight, which every
    /// call packs anew, is packed no more often than before for a 512-token prompt on
    /// two threads (umT5's largest weight is 168 MB).
    static func rowBlock(_ n: Int) -> Int {
        let eighth = (n + 7) / 8
        return max(256, (eighth + 15) / 16 * 16)
    }

    /// Reference for ``forward(_:weight:bias:)``: a triple loop in Double.
    public static func naive(_ x: Tensor, weight: Tensor, bias: Tensor?) throws(TensorError) -> Tensor {
        let (n, inFeatures, outFeatures) = try check(x, weight: weight, layout: .outIn, bias: bias)
        var y = Tensor(zeros: [n, outFeatures])
        for r in 0 ..< n {
            for o in 0 ..< outFeatures {
                var sum = Double(bias?.storage[o] ?? 0)
                for i in 0 ..< inFeatures {
                    sum += Double(x.storage[r * inFeatures + i]) * Double(weight.storage[o * inFeatures + i])
                }
                y.storage[r * outFeatures + o] = Float(sum)
            }
        }
        return y
    }

    private static func check(_ x: Tensor, weight: Tensor, layout: Layout, bias: Tensor?) throws(TensorError) -> (Int, Int, Int) {
        guard weight.rank == 2 else {
            throw .invalidArgument("linear weight must be \(layout == .outIn ? "(out, in)" : "(in, out)"), got \(weight.shape)")
        }
        let (outFeatures, inFeatures) = layout == .outIn ? (weight.shape[0], weight.shape[1]) : (weight.shape[1], weight.shape[0])
        guard x.rank == 2, x.shape[1] == inFeatures else {
            throw .shapeMismatch(what: "linear input", expected: [x.shape.first ?? 0, inFeatures], actual: x.shape)
        }
        if let bias, bias.shape != [outFeatures] {
            throw .shapeMismatch(what: "linear bias", expected: [outFeatures], actual: bias.shape)
        }
        return (x.shape[0], inFeatures, outFeatures)
    }
}
