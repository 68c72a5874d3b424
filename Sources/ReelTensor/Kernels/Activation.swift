/// Pointwise activations, in place.
public enum Activation {
    /// GELU with the tanh approximation (`approximate="tanh"`):
    /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
    public static func geluTanh(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { buffer in
            let box = UncheckedSendable(buffer.baseAddress!)
            Parallel.forRanges(buffer.count, grain: 4096) { range in
                let base = box.value + range.lowerBound
                let n = range.count
                // The tanh argument is staged in a small stack-sized block so the
                // vectorised tanh runs over contiguous memory.
                var inner = [Float](repeating: 0, count: min(n, 1024))
                var i = 0
                while i < n {
                    let m = min(1024, n - i)
                    for j in 0 ..< m {
                        let v = base[i + j]
                        inner[j] = 0.7978845608028654 * (v + 0.044715 * v * v * v)
                    }
                    inner.withUnsafeMutableBufferPointer { t in
                        VectorMath.tanhInPlace(UnsafeMutableBufferPointer(rebasing: t[0 ..< m]))
                        for j in 0 ..< m { base[i + j] = 0.5 * base[i + j] * (1 + t[j]) }
                    }
                    i += m
                }
            }
        }
    }

    /// `x · sigmoid(x)`, eight lanes at a time, spread over threads (VAE activations
    /// run to hundreds of millions of elements).
    public static func silu(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { buffer in
            let box = UncheckedSendable(buffer.baseAddress!)
            Parallel.forRanges(buffer.count, grain: 1 << 16) { range in
                VectorMath.map8(UnsafeMutableBufferPointer(start: box.value + range.lowerBound, count: range.count)) { v in
                    v / (1 + VectorMath.exp8(-v))
                }
            }
        }
    }

    /// Reference GELU-tanh through libm, in Double.
    public static func naiveGeluTanh(_ x: Float) -> Float {
        let v = Double(x)
        return Float(0.5 * v * (1 + libmTanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
    }

    /// Reference SiLU through libm, in Double.
    public static func naiveSilu(_ x: Float) -> Float {
        let v = Double(x)
        return Float(v / (1 + libmExp(-v)))
    }
}
