/// Per-row normalisations over the last axis of an `(N, D)` tensor, with
/// statistics accumulated in Double (PyTorch's CPU kernels accumulate in at
/// least float32; Double keeps us closer to exact than the reference is).
public enum Normalization {
    /// `(x − mean) / √(var + eps) · weight + bias`, biased variance, as `nn.LayerNorm`.
    /// `weight`/`bias` of nil mean `elementwise_affine=False`.
    public static func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: bias)
        let w = weight?.storage, b = bias?.storage
        return mapRows(x, width: d) { row in
            var sum = 0.0
            for j in 0 ..< d { sum += Double(row[j]) }
            let mean = sum / Double(d)
            var squares = 0.0
            for j in 0 ..< d {
                let c = Double(row[j]) - mean
                squares += c * c
            }
            let m = Float(mean), s = Float(1 / (squares / Double(d) + Double(eps)).squareRoot())
            for j in 0 ..< d {
                var v = (row[j] - m) * s
                if let w { v *= w[j] }
                if let b { v += b[j] }
                row[j] = v
            }
        }
    }

    /// `x / √(mean(x²) + eps) · weight`, as `torch.nn.RMSNorm`.
    public static func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: nil)
        let w = weight?.storage
        return mapRows(x, width: d) { row in
            var squares = 0.0
            for j in 0 ..< d { squares += Double(row[j]) * Double(row[j]) }
            let s = Float(1 / (squares / Double(d) + Double(eps)).squareRoot())
            for j in 0 ..< d {
                var v = row[j] * s
                if let w { v *= w[j] }
                row[j] = v
            }
        }
    }

    /// `x / max(‖x‖₂, eps) · √d · weight` over each row: the Wan VAE's `WanRMS_norm`,
    /// which is `F.normalize` (the eps clamps the norm rather than joining the mean
    /// square) times `√d`, i.e. an RMS norm without an additive eps. With `silu`, the
    /// SiLU that follows every such norm in the VAE is applied in the same pass.
    public static func l2Norm(_ x: Tensor, weight: Tensor?, eps: Float = 1e-12, silu: Bool = false) throws(TensorError) -> Tensor {
        let d = try rowWidth(x, weight: weight, bias: nil)
        let w = weight?.storage ?? [Float](repeating: 1, count: d), scale = Float(Double(d).squareRoot())
        var y = Tensor.uninitialized(x.shape)
        x.storage.withUnsafeBufferPointer { xp in
            y.storage.withUnsafeMutableBufferPointer { yp in
                w.withUnsafeBufferPointer { wp in
                    let box = UncheckedSendable((xp.baseAddress!, yp.baseAddress!, wp.baseAddress!))
                    Parallel.forRanges(x.count / d, grain: 64) { rows in
                        let (xb, yb, wb) = box.value
                        for r in rows {
                            let row = xb + r * d, out = yb + r * d
                            var squares = 0.0
                            for j in 0 ..< d { squares += Double(row[j]) * Double(row[j]) }
                            let norm = max(Float(squares.squareRoot()), eps)
                            for j in 0 ..< d { out[j] = row[j] / norm * scale * wb[j] }
                            if silu { VectorMath.map8(UnsafeMutableBufferPointer(start: out, count: d)) { v in v / (1 + VectorMath.exp8(-v)) } }
                        }
                    }
                }
            }
        }
        return y
    }

    /// A copy of `x` with `body` applied to each row of `width` in place, rows spread over threads.
    private static func mapRows(_ x: Tensor, width d: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        var y = x
        y.storage.withUnsafeMutableBufferPointer { yp in
            let box = UncheckedSendable(yp.baseAddress!)
            Parallel.forRanges(x.count / d, grain: 64) { rows in
                for r in rows { body(box.value + r * d) }
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
