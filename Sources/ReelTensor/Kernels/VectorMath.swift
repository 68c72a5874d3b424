/// Elementwise transcendental functions over float buffers, vectorised.
///
/// Softmax needs one `2^x` per attention score and GELU one `exp` per FFN
/// activation — hundreds of millions per forward — so libm's scalar calls would
/// rival the GEMMs. These reduce the argument to a small interval, evaluate a
/// degree-6 polynomial (≈ 2 ulp) and scale by a power of two built from exponent
/// bits; `naiveExp`/`naiveExp2` call libm for the tests.
public enum VectorMath {
    typealias V = SIMD8<Float>

    /// Applies an eight-lane function over a buffer; the ragged tail goes
    /// through the same function in a padded vector, so every element sees
    /// identical arithmetic.
    @inline(__always)
    static func map8(_ x: UnsafeMutableBufferPointer<Float>, _ f: (V) -> V) {
        guard let base = x.baseAddress else { return }
        let n = x.count
        let raw = UnsafeMutableRawPointer(base)
        var i = 0
        while i + 8 <= n {
            raw.storeBytes(of: f(raw.loadUnaligned(fromByteOffset: i * 4, as: V.self)), toByteOffset: i * 4, as: V.self)
            i += 8
        }
        if i < n {
            var tail = V(repeating: 0)
            for j in i ..< n { tail[j - i] = base[j] }
            let r = f(tail)
            for j in i ..< n { base[j] = r[j - i] }
        }
    }

    /// The largest element (−∞ for an empty buffer), eight lanes at a time:
    /// the compiler will not vectorise an order-sensitive float reduction itself.
    public static func maximum(_ x: UnsafeMutableBufferPointer<Float>) -> Float {
        guard let base = x.baseAddress else { return -.infinity }
        let raw = UnsafeRawPointer(base)
        var lanes = V(repeating: -.infinity)
        var i = 0
        while i + 8 <= x.count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            lanes.replace(with: v, where: v .> lanes)
            i += 8
        }
        var m = lanes.max()
        while i < x.count {
            m = Swift.max(m, base[i])
            i += 1
        }
        return m
    }

    /// `x[i] = 2^(x[i] − shift)` and returns `Σ x[i]`: a softmax row whose scores
    /// were scaled by log₂e (attention folds that into its GEMM), so `shift` must be
    /// at least the row's maximum.
    public static func exp2ShiftedSum(_ x: UnsafeMutableBufferPointer<Float>, shift: Float) -> Float {
        guard let base = x.baseAddress else { return 0 }
        let raw = UnsafeMutableRawPointer(base)
        var sum = V(repeating: 0)
        var i = 0
        while i + 8 <= x.count {
            let e = exp2NonPositive8(raw.loadUnaligned(fromByteOffset: i * 4, as: V.self) - shift)
            raw.storeBytes(of: e, toByteOffset: i * 4, as: V.self)
            sum += e
            i += 8
        }
        var total = sum.sum()
        while i < x.count {
            base[i] = exp2NonPositive8(SIMD8(repeating: base[i] - shift))[0]
            total += base[i]
            i += 1
        }
        return total
    }

    /// `2^x` for one value ≤ 0 (what the online softmax rescales by), with the
    /// approximation of ``exp2ShiftedSum(_:shift:)``; arguments below −126 give 2^−126.
    static func exp2(_ x: Float) -> Float {
        exp2NonPositive8(SIMD8(repeating: x))[0]
    }

    /// `2^x` for x ≤ 0: n = round(x), f = x − n exactly, 2^f by a degree-6
    /// polynomial fitted for relative error on [−½, ½] (≈ 1e-7 in float), and
    /// 2^n from the exponent bits. No ln 2 range reduction, so a third fewer
    /// operations than ``exp8(_:)``: the softmax's exponentials are most of
    /// attention's work outside its GEMMs.
    @usableFromInline @inline(__always)
    static func exp2NonPositive8(_ input: SIMD8<Float>) -> SIMD8<Float> {
        var x = input
        x.replace(with: -126, where: x .< -126)
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = x + magic
        let f = x - (shifted - magic)
        var p = SIMD8<Float>(repeating: 1.3399859890341759e-3).addingProduct(SIMD8(repeating: 1.5337577497120947e-4), f)
        p = SIMD8(repeating: 9.618519805371761e-3).addingProduct(p, f)
        p = SIMD8(repeating: 5.550329014658928e-2).addingProduct(p, f)
        p = SIMD8(repeating: 0.24022646248340607).addingProduct(p, f)
        p = SIMD8(repeating: 0.6931471824645996).addingProduct(p, f)
        p = SIMD8(repeating: 1).addingProduct(p, f)
        let n = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return p * unsafeBitCast((n &+ 127) &<< 23, to: SIMD8<Float>.self)
    }

    /// `exp(x)` for one value, with the eight-lane approximation GELU and SiLU use.
    @inlinable public static func exp(_ x: Float) -> Float {
        exp8(SIMD8(repeating: x))[0]
    }

    @usableFromInline @inline(__always)
    static func exp8(_ input: SIMD8<Float>) -> SIMD8<Float> {
        var x = input
        x.replace(with: -87.33654, where: x .< -87.33654)
        x.replace(with: 88.72283, where: x .> 88.72283)
        let (y, n) = expReduced(x)
        // 2^n from the exponent bits; n ∈ [-126, 128] after the clamp, and the
        // 2^128 edge is split in two multiplies to stay finite.
        let half = n &>> 1
        let s1 = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let s2 = unsafeBitCast((n &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
        return y * s1 * s2
    }

    /// `exp(x) = 2^n · y` for a clamped `x`: n = round(x / ln 2) and y = exp(r),
    /// |r| ≤ ln2 / 2, by Cephes' degree-6 polynomial (≈ 2 ulp). Fused multiply-adds
    /// throughout: one instruction each where the CPU has FMA.
    @usableFromInline @inline(__always)
    static func expReduced(_ x: SIMD8<Float>) -> (y: SIMD8<Float>, n: SIMD8<Int32>) {
        // Adding 1.5·2^23 rounds to the nearest integer (ties to even) and leaves
        // that integer in the low mantissa bits: one add replaces SIMD rounding
        // and float→int conversion, which the standard library does element-wise.
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = magic.addingProduct(x, 1.442695040888963)
        let n = shifted - magic
        var r = x.addingProduct(n, -0.693359375)  // ln2 split so n·hi is exact
        r = r.addingProduct(n, 2.12194440e-4)
        var p = SIMD8<Float>(repeating: 1.3981999507e-3).addingProduct(SIMD8(repeating: 1.9875691500e-4), r)
        p = SIMD8(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = SIMD8(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = SIMD8(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = SIMD8(repeating: 5.0000001201e-1).addingProduct(p, r)
        // (r + p·r²) + 1, so the small terms are summed before the 1 absorbs their low bits.
        return (r.addingProduct(p, r * r) + 1, unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000)
    }

    /// Reference: libm's `exp2`.
    public static func naiveExp2(_ x: Float) -> Float { Float(libmExp2(Double(x))) }
    /// Reference: libm's `exp`.
    public static func naiveExp(_ x: Float) -> Float { Float(libmExp(Double(x))) }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func libmExp(_ x: Double) -> Double { Glibc.exp(x) }
@usableFromInline func libmExp2(_ x: Double) -> Double { Glibc.exp2(x) }
@usableFromInline func libmTanh(_ x: Double) -> Double { Glibc.tanh(x) }
#else
import Darwin
@usableFromInline func libmExp(_ x: Double) -> Double { Darwin.exp(x) }
@usableFromInline func libmExp2(_ x: Double) -> Double { Darwin.exp2(x) }
@usableFromInline func libmTanh(_ x: Double) -> Double { Darwin.tanh(x) }
#endif
