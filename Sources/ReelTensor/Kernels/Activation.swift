/// Pointwise activations, in place.
public enum Activation {
    /// GELU with the tanh approximation (`approximate="tanh"`):
    /// `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, evaluated as the identical
    /// `x / (1 + exp(−2·√(2/π)·(x + 0.044715·x³)))`: one exponential and one
    /// division in a single pass over the feed-forward's widest activation.
    public static func geluTanh(_ x: inout Tensor) {
        x.storage.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let box = UncheckedSendable(base)
            Parallel.forRanges(buffer.count, grain: 1 << 14) { range in
                VectorMath.map8(UnsafeMutableBufferPointer(start: box.value + range.lowerBound, count: range.count)) { v in
                    v / (1 + VectorMath.exp8((v + 0.044715 * v * v * v) * -1.5957691216057308))
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
