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
                        // Rows are independent, so threads take contiguous row blocks; a
                        // grain of 16 rows keeps each call in OpenBLAS's efficient regime.
                        Parallel.forRanges(n, grain: 16) { rows in
                            let (xb, wb, yb, bias) = ptrs.value
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
        return y
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
