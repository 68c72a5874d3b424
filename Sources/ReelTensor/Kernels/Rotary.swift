/// Rotary position embedding applied to interleaved pairs: features `(2j, 2j+1)`
/// of each head rotate by angle `θ_j(position)`, as complex `(x₀ + i·x₁)·e^{iθ}`.
public enum Rotary {
    /// Rotates `x` `(N, H·d)` in place with per-token tables `cos`, `sin` of shape
    /// `(N, d/2)` — one angle per pair, shared by all heads.
    public static func apply(_ x: inout Tensor, cos: Tensor, sin: Tensor, heads: Int) throws(TensorError) {
        let (n, width, half) = try check(x, cos: cos, sin: sin, heads: heads)
        let c = cos.storage, s = sin.storage
        x.storage.withUnsafeMutableBufferPointer { xp in
            let box = UncheckedSendable(xp.baseAddress!)
            Parallel.forRanges(n, grain: 64) { tokens in
                let base = box.value
                for t in tokens {
                    for h in 0 ..< heads {
                        let p = base + t * width + h * half * 2
                        for j in 0 ..< half {
                            let x0 = p[2 * j], x1 = p[2 * j + 1]
                            let cj = c[t * half + j], sj = s[t * half + j]
                            p[2 * j] = x0 * cj - x1 * sj
                            p[2 * j + 1] = x0 * sj + x1 * cj
                        }
                    }
                }
            }
        }
    }

    /// Reference: the complex product `(x₀ + i·x₁)(cos θ + i·sin θ)` evaluated in Double.
    public static func naive(_ x: Tensor, cos: Tensor, sin: Tensor, heads: Int) throws(TensorError) -> Tensor {
        let (n, width, half) = try check(x, cos: cos, sin: sin, heads: heads)
        var y = x
        for t in 0 ..< n {
            for h in 0 ..< heads {
                for j in 0 ..< half {
                    let re = Double(x.storage[t * width + h * half * 2 + 2 * j])
                    let im = Double(x.storage[t * width + h * half * 2 + 2 * j + 1])
                    let (cr, ci) = (Double(cos.storage[t * half + j]), Double(sin.storage[t * half + j]))
                    y.storage[t * width + h * half * 2 + 2 * j] = Float(re * cr - im * ci)
                    y.storage[t * width + h * half * 2 + 2 * j + 1] = Float(re * ci + im * cr)
                }
            }
        }
        return y
    }

    private static func check(_ x: Tensor, cos: Tensor, sin: Tensor, heads: Int) throws(TensorError) -> (Int, Int, Int) {
        guard x.rank == 2, heads > 0, x.shape[1] % (2 * heads) == 0 else {
            throw .invalidArgument("rotary input \(x.shape) does not split into \(heads) heads of even width")
        }
        let half = x.shape[1] / heads / 2
        let expected = [x.shape[0], half]
        guard cos.shape == expected else { throw .shapeMismatch(what: "rotary cos table", expected: expected, actual: cos.shape) }
        guard sin.shape == expected else { throw .shapeMismatch(what: "rotary sin table", expected: expected, actual: sin.shape) }
        return (x.shape[0], x.shape[1], half)
    }
}
