/// Damage done to a valid input's bytes: the faults of truncated downloads, flipped
/// bits and hostile writers, in the proportions that reach past a decoder's first check.
public enum ByteMutator {
    /// Numbers that sit on the edges decoders get wrong: zero, sign bits, the limits
    /// of each width, and values one past a power of two.
    public static let interestingIntegers: [UInt64] = [
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 100 << 20, 1 << 40,
    ]

    /// `bytes` after 1 to `maxEdits` random edits; `corpus` supplies splices from other inputs.
    public static func mutate(_ bytes: [UInt8], using random: inout FuzzRandom, corpus: [[UInt8]] = [], maxEdits: Int = 4) -> [UInt8] {
        var out = bytes
        for _ in 0 ..< Int.random(in: 1 ... maxEdits, using: &random) { edit(&out, using: &random, corpus: corpus) }
        return out
    }

    /// Random bytes of a random length up to `maxCount`.
    public static func noise(maxCount: Int, using random: inout FuzzRandom) -> [UInt8] {
        (0 ..< Int.random(in: 0 ... maxCount, using: &random)).map { _ in UInt8.random(in: 0 ... 255, using: &random) }
    }

    private static func edit(_ out: inout [UInt8], using random: inout FuzzRandom, corpus: [[UInt8]]) {
        let at = out.isEmpty ? 0 : Int.random(in: 0 ..< out.count, using: &random)
        switch Int.random(in: 0 ..< 8, using: &random) {
        case 0 where !out.isEmpty:  // one bit
            out[at] ^= 1 << UInt8.random(in: 0 ... 7, using: &random)
        case 1:  // truncation
            out.removeLast(Int.random(in: 0 ... out.count, using: &random))
        case 2:  // inserted noise
            out.insert(contentsOf: noise(maxCount: 16, using: &random), at: at)
        case 3 where !out.isEmpty:  // a deleted run
            out.removeSubrange(at ..< min(out.count, at + Int.random(in: 1 ... 32, using: &random)))
        case 4 where out.count >= 8:  // an edge-case integer, little-endian, 1 to 8 bytes wide
            let width = random.pick([1, 2, 4, 8]), start = min(at, out.count - width)
            var value = random.pick(interestingIntegers)
            for i in 0 ..< width {
                out[start + i] = UInt8(truncatingIfNeeded: value)
                value >>= 8
            }
        case 5 where !corpus.isEmpty:  // a splice: this input's head, another's tail
            let other = random.pick(corpus)
            let from = other.isEmpty ? 0 : Int.random(in: 0 ..< other.count, using: &random)
            out = Array(out[..<at]) + other[from...]
        case 6 where !out.isEmpty:  // a duplicated run
            let run = out[at ..< min(out.count, at + Int.random(in: 1 ... 64, using: &random))]
            out.insert(contentsOf: run, at: Int.random(in: 0 ... out.count, using: &random))
        default:  // one byte replaced
            if !out.isEmpty { out[at] = UInt8.random(in: 0 ... 255, using: &random) }
        }
    }
}
