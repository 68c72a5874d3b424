import Foundation

/// A fuzz loop bounded by time rather than by rounds, so CI spends a known few
/// seconds per decoder however fast the machine is, and reproducible by its seed:
/// the inputs are a function of the seed alone, so a run that failed on one
/// machine replays on another (up to where the time ran out).
///
/// `REEL_FUZZ_SEED` replaces every fuzzer's seed and `REEL_FUZZ_SECONDS` its time,
/// e.g. `REEL_FUZZ_SECONDS=600 swift test --filter Fuzz` for a long local run.
/// The seed is printed before the first input, because a decoder that traps
/// ends the test process before any result is reported.
public struct Fuzzer: Sendable {
    public let name: String
    public let seed: UInt64
    public let seconds: Double

    /// - Parameters:
    ///   - seed: this fuzzer's default seed (each test its own, so they differ).
    ///   - seconds: how long ``run(_:)`` feeds inputs.
    public init(_ name: String, seed: UInt64, seconds: Double = 3) {
        let environment = ProcessInfo.processInfo.environment
        self.name = name
        self.seed = environment["REEL_FUZZ_SEED"].flatMap { UInt64($0) } ?? seed
        self.seconds = environment["REEL_FUZZ_SECONDS"].flatMap { Double($0) } ?? seconds
    }

    /// What one run did, for the test's assertions.
    public struct Summary: Sendable {
        /// Inputs fed.
        public var rounds = 0
        /// Inputs the decoder accepted (the others it refused by throwing).
        public var accepted = 0
    }

    /// Calls `body` with the generator and the round number until the time is up
    /// (at least once); `body` returns whether the decoder accepted its input.
    @discardableResult
    public func run(_ body: (inout FuzzRandom, Int) throws -> Bool) rethrows -> Summary {
        say("seed \(seed) for \(seconds) s (REEL_FUZZ_SEED=\(seed) replays it)")
        var random = FuzzRandom(seed: seed)
        var summary = Summary()
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int(seconds * 1000))
        repeat {
            if try body(&random, summary.rounds) { summary.accepted += 1 }
            summary.rounds += 1
        } while clock.now < end
        say("\(summary.rounds) inputs, \(summary.accepted) accepted")
        return summary
    }

    /// Writes a line straight to the standard output's descriptor: unbuffered, so
    /// it is out before an input that traps ends the process.
    private func say(_ line: String) {
        FileHandle.standardOutput.write(Data("fuzz \(name): \(line)\n".utf8))
    }
}
