/// `y = x · Wᵀ + b` for a batch of rows — the shape of every `nn.Linear` and of
/// convolutions lowered to GEMM.
public enum Linear {
    /// Applies a linear layer stored as PyTorch stores it.
    /// - Parameters:
    ///   - x: rows of input features, `(N, in)`
    ///   - weight: `(out, in)`
    ///   - bias: `(out)`, or nil
    /// - Returns: `(N, out)`
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) throws(TensorError) -> Tensor {
        let (n, inFeatures, outFeatures) = try check(x, weight: weight, bias: bias)
        _ = BLAS.configure
        var y = Tensor.uninitialized([n, outFeatures])
        x.storage.withUnsafeBufferPointer { xp in
            weight.storage.withUnsafeBufferPointer { wp in
                y.storage.withUnsafeMutableBufferPointer { yp in
                    let ptrs = UncheckedSendable((xp.baseAddress!, wp.baseAddress!, yp.baseAddress!))
                    // Rows are independent, so threads take contiguous row blocks; a
                    // grain of 16 rows keeps each call in OpenBLAS's efficient regime.
                    Parallel.forRanges(n, grain: 16) { rows in
                        let (xb, wb, yb) = ptrs.value
                        BLAS.sgemm(
                            m: rows.count, n: outFeatures, k: inFeatures,
                            a: xb + rows.lowerBound * inFeatures, lda: inFeatures,
                            b: wb, ldb: inFeatures, transposeB: true,
                            c: yb + rows.lowerBound * outFeatures, ldc: outFeatures)
                    }
                }
            }
        }
        if let bias { y.addRowVector(bias.storage) }
        return y
    }

    /// Reference for ``forward(_:weight:bias:)``: a triple loop in Double.
    public static func naive(_ x: Tensor, weight: Tensor, bias: Tensor?) throws(TensorError) -> Tensor {
        let (n, inFeatures, outFeatures) = try check(x, weight: weight, bias: bias)
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

    private static func check(_ x: Tensor, weight: Tensor, bias: Tensor?) throws(TensorError) -> (Int, Int, Int) {
        guard weight.rank == 2 else {
            throw .invalidArgument("linear weight must be (out, in), got \(weight.shape)")
        }
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        guard x.rank == 2, x.shape[1] == inFeatures else {
            throw .shapeMismatch(what: "linear input", expected: [x.shape.first ?? 0, inFeatures], actual: x.shape)
        }
        if let bias, bias.shape != [outFeatures] {
            throw .shapeMismatch(what: "linear bias", expected: [outFeatures], actual: bias.shape)
        }
        return (x.shape[0], inFeatures, outFeatures)
    }
}
