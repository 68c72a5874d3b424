/// Per-row normalisations over the last axis of an `(N, D)` tensor.
///
/// Statistics are summed in eight float lanes and folded into Double every
/// ``foldEvery`` elements: as vectorised as a float sum, and no less exact than
/// PyTorch's float32 kernels even for rows of tens of thousands of features.
public enum Normalization {
    /// Elements of a row summed in float (each of the eight lanes taking an eighth
    /// of them) before the lanes are folded into Double.
    static let foldEvery = 256

    /// `(x − mean) / √(var + eps) · weight + bias`, biased variance, as `nn.LayerNorm`.
    /// `weight`/`bias` of nil mean `elementwise_affine=False`.
    public static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: bias)
        return mapRows(x, width: d, weight: weight, bias: bias) { row, out, w, b in
            // Rows far from zero mean lose nothing: both passes sum differences
            // (`v − pivot`, `v − m`), which are exact in float for v near those, so
            // float lanes never accumulate large values; what Float(mean) rounded
            // away is `residual`, taken out of the sum of squares and of every output.
            let pivot = row[0]
            let mean = Double(pivot) + sum(row, d) { $0 - pivot } / Double(d)
            let m = Float(mean), residual = mean - Double(m)
            let centred = sum(row, d) { v in (v - m) * (v - m) } / Double(d)
            let variance = max(0, centred - residual * residual)
            let s = 1 / (variance + Double(eps)).squareRoot()
            normalize(row, out, d, shift: m, scale: Float(s), offset: Float(-residual * s), weight: w, bias: b)
        }
    }

    /// `x / √(mean(x²) + eps) · weight`, as `torch.nn.RMSNorm`.
    public static func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: nil)
        return mapRows(x, width: d, weight: weight, bias: nil) { row, out, w, _ in
            let meanSquare = sum(row, d) { $0 * $0 } / Double(d)
            normalize(row, out, d, shift: 0, scale: Float(1 / (meanSquare + Double(eps)).squareRoot()), offset: 0, weight: w, bias: nil)
        }
    }

    /// `Σ f(row[j])`: eight float lanes, folded into Double every ``foldEvery``
    /// elements; the ragged tail is summed in Double.
    @inline(__always)
    static func sum(_ row: UnsafePointer<Float>, _ d: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) -> Double {
        let raw = UnsafeRawPointer(row)
        var total = 0.0
        var i = 0
        while i + 8 <= d {
            let end = min(d, i + foldEvery)
            var lanes = SIMD8<Float>(repeating: 0)
            while i + 8 <= end {
                lanes += f(raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self))
                i += 8
            }
            total += Double(lanes.sum())
        }
        while i < d {
            total += Double(f(SIMD8(repeating: row[i]))[0])
            i += 1
        }
        return total
    }

    /// `out = ((row − shift) · scale + offset) · weight + bias`, eight lanes at a time.
    @inline(__always)
    static func normalize(
        _ row: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ d: Int, shift: Float, scale: Float, offset: Float,
        weight: UnsafePointer<Float>?, bias: UnsafePointer<Float>?
    ) {
        typealias V = SIMD8<Float>
        let x = UnsafeRawPointer(row), y = UnsafeMutableRawPointer(out)
        var i = 0
        while i + 8 <= d {
            var v = (x.loadUnaligned(fromByteOffset: i * 4, as: V.self) - shift) * scale + offset
            if let weight { v *= UnsafeRawPointer(weight).loadUnaligned(fromByteOffset: i * 4, as: V.self) }
            if let bias { v += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: i * 4, as: V.self) }
            y.storeBytes(of: v, toByteOffset: i * 4, as: V.self)
            i += 8
        }
        while i < d {
            var v = (row[i] - shift) * scale + offset
            if let weight { v *= weight[i] }
            if let bias { v += bias[i] }
            out[i] = v
            i += 1
        }
    }

    /// `x / max(‖x‖₂, eps) · √d · weight` over each row: the Wan VAE's `WanRMS_norm`,
    /// which is `F.normalize` (the eps clamps the norm rather than joining the mean
    /// square) times `√d`, i.e. an RMS norm without an additive eps. With `silu`, the
    /// SiLU that follows every such norm in the VAE is applied in the same pass.
    public static func l2Norm(_ x: Tensor, weight: Tensor?, eps: Float = 1e-12, silu: Bool = false) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: nil)
        let rootD = Double(d).squareRoot()
        return mapRows(x, width: d, weight: weight, bias: nil) { row, out, w, _ in
            let norm = max(Float(sum(row, d) { $0 * $0 }.squareRoot()), eps)
            normalize(row, out, d, shift: 0, scale: Float(rootD / Double(norm)), offset: 0, weight: w, bias: nil)
            if silu { VectorMath.map8(UnsafeMutableBufferPointer(start: out, count: d)) { v in v / (1 + VectorMath.exp8(-v)) } }
        }
    }

    /// `body(row, out, weight, bias)` for each row of `x` into a new tensor, rows spread over threads.
    private static func mapRows(
        _ x: Tensor, width d: Int, weight: Tensor?, bias: Tensor?,
        _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, UnsafePointer<Float>?, UnsafePointer<Float>?) -> Void
    ) -> Tensor {
        guard x.count > 0 else { return x }
        var y = Tensor.uninitialized(x.shape)
        x.storage.withUnsafeBufferPointer { xp in
            y.storage.withUnsafeMutableBufferPointer { yp in
                Tensor.withStorage(of: weight) { w in
                    Tensor.withStorage(of: bias) { b in
                        let box = UncheckedSendable((xp.baseAddress!, yp.baseAddress!, w, b))
                        Parallel.forRanges(x.count / d, grain: 64) { rows in
                            let (xb, yb, w, b) = box.value
                            for r in rows { body(xb + r * d, yb + r * d, w, b) }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Reference layer norm: each row in Double end to end.
    public static func naiveLayerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: nil)
        var y = x
        for r in 0 ..< x.count / d {
            let row = (0 ..< d).map { Double(x.storage[r * d + $0]) }
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            for j in 0 ..< d {
                var v = (row[j] - mean) / (variance + Double(eps)).squareRoot()
                if let weight { v *= Double(weight.storage[j]) }
                if let bias { v += Double(bias.storage[j]) }
                y.storage[r * d + j] = Float(v)
            }
        }
        return y
    }

    /// Reference RMS norm: each row in Double end to end.
    public static func naiveRMSNorm(_ x: Tensor, weight: Tensor?, eps: Float) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: nil)
        var y = x
        for r in 0 ..< x.count / d {
            let row = (0 ..< d).map { Double(x.storage[r * d + $0]) }
            let rms = (row.reduce(0) { $0 + $1 * $1 } / Double(d) + Double(eps)).squareRoot()
            for j in 0 ..< d {
                y.storage[r * d + j] = Float(row[j] / rms * Double(weight?.storage[j] ?? 1))
            }
        }
        return y
    }

    /// Reference L2 norm: each row in Double end to end, then SiLU through libm.
    public static func naiveL2Norm(_ x: Tensor, weight: Tensor?, eps: Float = 1e-12, silu: Bool = false) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: nil)
        var y = x
        for r in 0 ..< x.count / d {
            let row = (0 ..< d).map { Double(x.storage[r * d + $0]) }
            let norm = max(row.reduce(0) { $0 + $1 * $1 }.squareRoot(), Double(eps))
            for j in 0 ..< d {
                let v = Float(row[j] / norm * Double(d).squareRoot() * Double(weight?.storage[j] ?? 1))
                y.storage[r * d + j] = silu ? Activation.naiveSilu(v) : v
            }
        }
        return y
    }

    private static func rowWidth(_ x: Tensor, weight: Tensor?, bias: Tensor?) throws(TensorError) -> Int {
        guard let d = x.shape.last, d > 0 else { throw .invalidArgument("cannot normalise \(x.shape)") }
        if let weight, weight.shape != [d] { throw .shapeMismatch(what: "norm weight", expected: [d], actual: weight.shape) }
        if let bias, bias.shape != [d] { throw .shapeMismatch(what: "norm bias", expected: [d], actual: bias.shape) }
        return d
    }
}
