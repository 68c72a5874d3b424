/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
/// SC'11): a counter-based generator, so any element's random bits are a pure
/// function of (key, counter) with no sequential state to share between workers.
///
/// One call maps a 128-bit counter `(c0, c1, c2, c3)` and a 64-bit key `(k0, k1)`
/// to four 32-bit words by ten rounds of
///
///     (hi0, lo0) = M0 · c0    (full 64-bit product: high and low 32-bit halves)
///     (hi1, lo1) = M1 · c2
///     (c0, c1, c2, c3) ← (hi1 ⊕ c1 ⊕ k0,  lo1,  hi0 ⊕ c3 ⊕ k1,  lo0)
///
/// with the key bumped `(k0, k1) += (W0, W1)` (mod 2³²) between rounds — the first
/// round uses the key as given. Constants: `M0 = 0xD2511F53`, `M1 = 0xCD9E8D57`,
/// `W0 = 0x9E3779B9`, `W1 = 0xBB67AE85`. This matches Random123's `philox4x32`
/// with R = 10 (its known-answer vectors are in the tests).
public enum Philox4x32 {
    /// Multiplier applied to counter word 0.
    public static let m0: UInt32 = 0xD251_1F53
    /// Multiplier applied to counter word 2 (Random123's value; `0xCD9ED385` is a
    /// common misquote that fails the known-answer vectors).
    public static let m1: UInt32 = 0xCD9E_8D57
    /// Key increment for word 0 (golden ratio).
    public static let w0: UInt32 = 0x9E37_79B9
    /// Key increment for word 1 (√3 − 1).
    public static let w1: UInt32 = 0xBB67_AE85
    /// Rounds; 10 is the variant Random123 recommends and everyone implements.
    public static let rounds = 10

    /// The four output words for `counter` under `key`.
    @inlinable
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var c = counter
        var k = key
        for round in 0..<rounds {
            if round > 0 {
                k.x = k.x &+ w0
                k.y = k.y &+ w1
            }
            let p0 = UInt64(m0) &* UInt64(c.x)
            let p1 = UInt64(m1) &* UInt64(c.z)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32)
            let lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32)
            let lo1 = UInt32(truncatingIfNeeded: p1)
            c = SIMD4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0)
        }
        return c
    }
}
