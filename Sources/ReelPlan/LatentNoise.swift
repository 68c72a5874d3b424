#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The initial noise of a clip: a standard normal per latent element that depends
/// only on the seed and the element's global coordinate, so it is identical however
/// the clip is cut into windows and tiles and whichever worker draws it.
///
/// Definition (see `ReelPlan.docc/NOISE.md` for a worked example):
/// 1. `e` = the element's C-order linear index in the clip's full latent tensor
///    `[C, F_lat, H_lat, W_lat]` (``LatentShape/linearIndex(channel:frame:row:column:)``).
/// 2. `(x0, x1, x2, x3) = Philox4x32-10(counter: (n mod 2³², n >> 32, 0, 0),
///    key: (seed mod 2³², seed >> 32))` with `n = e >> 2` (``Philox4x32``).
/// 3. Box–Muller in binary64 on the pairs `(x0, x1)` and `(x2, x3)`:
///    `u1 = (xa + 1) · 2⁻³²` (in `(0, 1]`, never 0), `u2 = xb · 2⁻³²`,
///    `r = sqrt(−2 · ln u1)`, `θ = (2π) · u2`; giving `r·cos θ, r·sin θ`.
/// 4. Lane `e & 3` picks: 0 → `cos` of `(x0, x1)`, 1 → `sin` of `(x0, x1)`,
///    2 → `cos` of `(x2, x3)`, 3 → `sin` of `(x2, x3)`.
/// 5. The binary64 value is rounded to the nearest binary32.
///
/// The result is bit-exact wherever `log`, `cos` and `sin` are (glibc's are
/// correctly rounded in practice); the Float rounding absorbs any last-ulp
/// difference in binary64 almost always.
public struct LatentNoise: Hashable, Sendable {
    /// The job's seed (the Philox key).
    public let seed: UInt64
    /// The clip's full latent shape; it defines the linear index, so the same seed
    /// gives different noise for a clip of another shape.
    public let shape: LatentShape

    public init(seed: UInt64, shape: LatentShape) {
        self.seed = seed
        self.shape = shape
    }

    /// The four normals of Philox counter `n` (elements `4n ..< 4n + 4`), in binary64.
    public static func normals(seed: UInt64, counter n: UInt64) -> SIMD4<Double> {
        let key = SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
        let counter = SIMD4(UInt32(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n >> 32), 0, 0)
        let x = Philox4x32.block(counter: counter, key: key)
        let (z0, z1) = boxMuller(x.x, x.y)
        let (z2, z3) = boxMuller(x.z, x.w)
        return SIMD4(z0, z1, z2, z3)
    }

    /// Box–Muller on two uniform words.
    @inlinable
    static func boxMuller(_ a: UInt32, _ b: UInt32) -> (Double, Double) {
        let u1 = (Double(a) + 1) * 0x1p-32
        let u2 = Double(b) * 0x1p-32
        let r = (-2 * log(u1)).squareRoot()
        let theta = (2 * Double.pi) * u2
        return (r * cos(theta), r * sin(theta))
    }

    /// The noise of the element at C-order linear index `index` of the clip.
    public static func value(seed: UInt64, index: Int) -> Float {
        precondition(index >= 0, "negative latent index")
        let z = normals(seed: seed, counter: UInt64(index) >> 2)
        return Float(z[index & 3])
    }

    /// The noise of element `(c, f, y, x)`.
    public func value(channel c: Int, frame f: Int, row y: Int, column x: Int) -> Float {
        Self.value(seed: seed, index: shape.linearIndex(channel: c, frame: f, row: y, column: x))
    }

    /// The noise of the elements at C-order indices `range` (one Philox call per four).
    public func values(in range: Range<Int>) -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(range.count)
        var cached = UInt64.max
        var z = SIMD4<Double>()
        for e in range {
            let n = UInt64(e) >> 2
            if n != cached {
                z = Self.normals(seed: seed, counter: n)
                cached = n
            }
            result.append(Float(z[e & 3]))
        }
        return result
    }

    /// The noise over `box`, laid out `[C, t, y, x]` like every box tensor.
    public func values(in box: LatentBox) -> [Float] {
        precondition(
            box.channels == shape.channels && box.frames.axisLength == shape.frames
                && box.rows.axisLength == shape.height && box.columns.axisLength == shape.width,
            "noise box is not a box of this latent")
        var result: [Float] = []
        result.reserveCapacity(box.count)
        for c in 0..<box.channels {
            for t in 0..<box.frames.length {
                let f = box.frames.position(at: t)
                for y in 0..<box.rows.length {
                    let start = shape.linearIndex(
                        channel: c, frame: f, row: box.rows.position(at: y), column: box.columns.start)
                    // Columns never wrap, so a box row is one contiguous run of the clip.
                    result += values(in: start..<(start + box.columns.length))
                }
            }
        }
        return result
    }
}
