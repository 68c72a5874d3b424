/// Row-wise broadcasting helpers for `(N, D)` tensors — the modulation, gating
/// and residual arithmetic between the kernels.
extension Tensor {
    /// `self[r, j] = self[r, j] · (1 + scale[j]) + shift[j]` — adaLN modulation.
    public mutating func modulate(scale: ArraySlice<Float>, shift: ArraySlice<Float>) {
        let d = scale.count
        precondition(shift.count == d && count % d == 0, "modulation of \(d) does not tile \(shape)")
        let scale = Array(scale), shift = Array(shift)
        storage.withUnsafeMutableBufferPointer { y in
            var base = 0
            while base < y.count {
                for j in 0 ..< d { y[base + j] = y[base + j] * (1 + scale[j]) + shift[j] }
                base += d
            }
        }
    }

    /// `self += other · gate` with `gate` broadcast over rows (a gated residual);
    /// `gate == nil` is a plain residual add.
    public mutating func addGated(_ other: Tensor, gate: ArraySlice<Float>?) {
        precondition(other.count == count, "residual \(other.shape) does not match \(shape)")
        storage.withUnsafeMutableBufferPointer { y in
            other.storage.withUnsafeBufferPointer { o in
                guard let gate else {
                    for i in 0 ..< y.count { y[i] += o[i] }
                    return
                }
                let g = Array(gate), d = g.count
                var base = 0
                while base < y.count {
                    for j in 0 ..< d { y[base + j] += o[base + j] * g[j] }
                    base += d
                }
            }
        }
    }
}
