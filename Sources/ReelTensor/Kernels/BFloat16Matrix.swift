/// A weight matrix kept in bfloat16, two bytes an element, for models whose float32
/// weights would not fit in memory (umT5-XXL: 5.7 B parameters, 11.4 GB in bf16 and
/// 22.7 GB in float32). ``Linear/forward(_:weight:panelRows:)`` widens it to float32
/// one panel of rows at a time inside the GEMM, so the arithmetic is float32 throughout
/// and the result equals a float32 GEMM on the widened weight.
public struct BFloat16Matrix: Sendable, Equatable {
    /// `(rows, columns)`; for a linear layer, `(out, in)` as checkpoints store it.
    public let rows: Int, columns: Int
    /// Row-major bfloat16 bit patterns.
    public let bits: [UInt16]

    public init(rows: Int, columns: Int, bits: [UInt16]) throws(TensorError) {
        guard rows >= 0, columns >= 0, let count = Tensor.elementCount(of: [rows, columns]), count == bits.count else {
            throw .shapeMismatch(what: "bfloat16 matrix", expected: [rows, columns], actual: [bits.count])
        }
        self.rows = rows
        self.columns = columns
        self.bits = bits
    }

    /// The whole matrix in float32 (exact: bf16 is the top half of a float32).
    public func widened() -> Tensor {
        Tensor(uncheckedShape: [rows, columns], storage: bits.map { HalfPrecision.float(fromBFloat16: $0) })
    }

    /// Row `index` in float32, for embedding look-ups.
    public func row(_ index: Int, into out: UnsafeMutablePointer<Float>) {
        bits.withUnsafeBufferPointer { b in
            let base = b.baseAddress! + index * columns
            for j in 0 ..< columns { out[j] = HalfPrecision.float(fromBFloat16: base[j]) }
        }
    }
}

extension Linear {
    /// Rows of `W` widened per panel. Each panel is one sgemm call, and each call
    /// packs all of `x` again (tokens × in floats), so taller panels cost less,
    /// until the panel no longer stays in cache between being widened and being
    /// packed. Measured with `reel bench text --panel-rows` on umT5-XXL's shapes
    /// (README, "Text encoder"): 256 rows (4 MiB of float32 at in = 4096, 10 MiB at
    /// 10240) gave one layer's GEMMs 1.00 of OpenBLAS's float32 time, 64 gave 0.94
    /// and 2048 0.79.
    public static let bfloat16PanelRows = 256

    /// `y = x · Wᵀ` with a bfloat16 `W (out, in)`: each thread takes a contiguous
    /// block of output features and walks it a panel at a time, widening the panel
    /// into one float32 buffer it reuses, and multiplying it with all of `x` in one
    /// sgemm (M = every token). Each weight element is widened once per call, and
    /// that cost is shared by all rows of `x`.
    /// - Parameters:
    ///   - x: `(N, in)`
    ///   - weight: `(out, in)`
    ///   - panelRows: rows of `W` per panel (default ``bfloat16PanelRows``, or an eighth of them if fewer)
    /// - Returns: `(N, out)`
    public static func forward(_ x: Tensor, weight: BFloat16Matrix, panelRows: Int? = nil) throws(TensorError) -> Tensor {
        let (n, inFeatures, outFeatures) = (x.shape.first ?? 0, weight.columns, weight.rows)
        guard x.rank == 2, x.shape[1] == inFeatures else {
            throw .shapeMismatch(what: "linear input", expected: [n, inFeatures], actual: x.shape)
        }
        _ = BLAS.configure
        var y = Tensor.uninitialized([n, outFeatures])
        guard n > 0, outFeatures > 0 else { return y }
        // No taller than an eighth, so that up to eight threads each have a panel; not
        // a thread's share, since the columns a call computes may change their bits
        // (see ``Linear/forward(_:weight:layout:bias:)``).
        let share = (outFeatures + 7) / 8
        let rows = max(1, panelRows ?? min(bfloat16PanelRows, share))
        let panels = (outFeatures + rows - 1) / rows
        x.storage.withUnsafeBufferPointer { xp in
            weight.bits.withUnsafeBufferPointer { wp in
                y.storage.withUnsafeMutableBufferPointer { yp in
                    let ptrs = UncheckedSendable((xp.baseAddress!, wp.baseAddress!, yp.baseAddress!))
                    Parallel.forRanges(panels) { panelRange in
                        let (xb, wb, yb) = ptrs.value
                        let panel = UnsafeMutablePointer<Float>.allocate(capacity: rows * inFeatures)
                        defer { panel.deallocate() }
                        for p in panelRange {
                            let first = p * rows
                            let count = min(rows, outFeatures - first)
                            widen(wb + first * inFeatures, into: panel, count: count * inFeatures)
                            BLAS.sgemm(
                                m: n, n: count, k: inFeatures, a: xb, lda: inFeatures,
                                b: panel, ldb: inFeatures, transposeB: true, c: yb + first, ldc: outFeatures)
                        }
                    }
                }
            }
        }
        return y
    }

    /// bf16 → float32 is a 16-bit shift; eight lanes at a time.
    @inline(__always)
    static func widen(_ source: UnsafePointer<UInt16>, into out: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeRawPointer(source), rawOut = UnsafeMutableRawPointer(out)
        var i = 0
        while i + 8 <= count {
            let halves = raw.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<UInt16>.self)
            let words = SIMD8<UInt32>(truncatingIfNeeded: halves) &<< 16
            rawOut.storeBytes(of: words, toByteOffset: 4 * i, as: SIMD8<UInt32>.self)
            i += 8
        }
        while i < count {
            out[i] = HalfPrecision.float(fromBFloat16: source[i])
            i += 1
        }
    }

    /// Reference for ``forward(_:weight:panelRows:)``: the whole weight widened, then the
    /// Double triple loop of ``naive(_:weight:bias:)``.
    public static func naive(_ x: Tensor, weight: BFloat16Matrix) throws(TensorError) -> Tensor {
        try naive(x, weight: weight.widened(), bias: nil)
    }
}
