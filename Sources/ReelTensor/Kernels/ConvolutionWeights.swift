/// A convolution's weight, repacked once from PyTorch's `(C_out, C_in, k…)` into
/// the order ``Convolution`` gathers its input in, so every call is one GEMM
/// against a contiguous matrix.
///
/// Only the packed copy is kept (a Wan VAE's weights are hundreds of megabytes);
/// ``weight`` rebuilds PyTorch's layout on demand.
public struct ConvolutionWeights: Sendable {
    public let outChannels: Int
    public let inChannels: Int
    /// `[k_t, k_h, k_w]`; a 2D or 1×1 weight has `k_t = 1` (and `k_h = k_w = 1`).
    public let kernel: [Int]
    /// `(C_out, k_t·k_h·k_w·C_in)`: row `o` holds output channel `o`'s taps, each tap's
    /// input channels contiguous, taps in `(t, h, w)` order — the im2col column order.
    public let packed: Tensor
    /// `(C_out)`, or nil for a convolution without bias.
    public let bias: Tensor?
    /// The rank of the weight as given (5 for Conv3d, 4 for Conv2d, 2 for a 1×1 as a matrix).
    let sourceRank: Int

    /// Taps per output channel: `k_t·k_h·k_w`.
    public var taps: Int { kernel.reduce(1, *) }

    /// Packs `weight`, shaped `(C_out, C_in, k_t, k_h, k_w)` (Conv3d), `(C_out, C_in, k_h, k_w)`
    /// (Conv2d) or `(C_out, C_in)` (pointwise).
    public init(weight: Tensor, bias: Tensor?) throws(TensorError) {
        let s = weight.shape
        guard [2, 4, 5].contains(s.count), s.allSatisfy({ $0 > 0 }) else {
            throw .invalidArgument("convolution weight must be (C_out, C_in[, k_t], k_h, k_w) or (C_out, C_in), got \(s)")
        }
        let kernel = s.count == 5 ? Array(s[2...]) : s.count == 4 ? [1] + Array(s[2...]) : [1, 1, 1]
        if let bias, bias.shape != [s[0]] {
            throw .shapeMismatch(what: "convolution bias", expected: [s[0]], actual: bias.shape)
        }
        let (cout, cin, taps) = (s[0], s[1], kernel.reduce(1, *))
        var packed = Tensor.uninitialized([cout, taps * cin])
        packed.storage.withUnsafeMutableBufferPointer { p in
            weight.storage.withUnsafeBufferPointer { w in
                for o in 0 ..< cout {
                    for i in 0 ..< cin {
                        for tap in 0 ..< taps { p[(o * taps + tap) * cin + i] = w[(o * cin + i) * taps + tap] }
                    }
                }
            }
        }
        self.outChannels = cout
        self.inChannels = cin
        self.kernel = kernel
        self.packed = packed
        self.bias = bias
        self.sourceRank = s.count
    }

    /// The weight in PyTorch's layout, with the rank it was given in.
    public var weight: Tensor {
        let taps = self.taps
        var w = Tensor.uninitialized(
            sourceRank == 5 ? [outChannels, inChannels] + kernel
                : sourceRank == 4 ? [outChannels, inChannels, kernel[1], kernel[2]] : [outChannels, inChannels])
        for o in 0 ..< outChannels {
            for i in 0 ..< inChannels {
                for tap in 0 ..< taps {
                    w.storage[(o * inChannels + i) * taps + tap] = packed.storage[(o * taps + tap) * inChannels + i]
                }
            }
        }
        return w
    }
}
