import ReelTensor

/// The engine's deterministic generator (SplitMix64) with the picks a fuzzer
/// makes, so that a fuzz run is a function of its seed and a failure replays exactly.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var base: SeededRandom

    public init(seed: UInt64) { base = SeededRandom(seed: seed) }

    public mutating func next() -> UInt64 { base.next() }

    /// True with probability `1 / n`.
    public mutating func oneIn(_ n: Int) -> Bool { Int.random(in: 0 ..< n, using: &self) == 0 }

    /// A random element of `choices` (which must not be empty).
    public mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0 ..< choices.count, using: &self)] }
}
