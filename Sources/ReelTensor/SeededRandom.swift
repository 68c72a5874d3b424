/// A small deterministic generator (SplitMix64) for random model initialisation
/// and test data. Not the farm's noise generator: clip noise must be a function
/// of latent coordinates, which `ReelPlan`'s counter-based generator provides.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `[low, high)`.
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = (Double(next() >> 11) + 1) / Double(1 << 53)
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// A tensor of `shape` with uniform elements in `[low, high)`.
    public mutating func uniformTensor(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
        var t = Tensor(zeros: shape)
        for i in 0 ..< t.count { t.storage[i] = uniform(low, high) }
        return t
    }

    /// A tensor of `shape` with standard-normal elements times `scale`.
    public mutating func normalTensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        var t = Tensor(zeros: shape)
        for i in 0 ..< t.count { t.storage[i] = normal() * scale }
        return t
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
