import ReelHash
import ReelPlan

/// Which shards the coordinator re-runs on a second worker to check a result.
///
/// The choice is a pure function of the job's seed, its id and the shard's
/// coordinates, hashed with SHA-256: the same job makes the same choice after a
/// coordinator restart (nothing to persist), and a worker, which is sent neither
/// the seed's use here nor the fraction, cannot tell from an assignment whether
/// its result will be checked. Selected shards are spread evenly: the first 64
/// bits of the digest, read as a fraction of 2⁶⁴, are compared with `fraction`.
public struct VerificationPolicy: Sendable, Equatable {
    /// The share of shards re-run, in `0...1` (0 turns verification off).
    public var fraction: Double

    /// 5 %: one extra shard in twenty (5 % more compute). A worker that poisons
    /// every result is caught on its first checked shard, so within 20 shards on
    /// average (64 % of the time within 20, 99 % within 90: 1 − 0.95ⁿ); one that
    /// poisons a share p of its shards within 1/(0.05·p). See the README's
    /// "Verified results" for the measured figures.
    public static let defaultFraction = 0.05

    /// A **test fault**, not a mode of operation: when set (and `fraction` > 0),
    /// shards before this block are never checked and every shard from it is, so a
    /// test knows that a poisoning worker delivers unchecked results before its
    /// first checked one. Set only from `REEL_TEST_FAULTS=verify-from-block:B`.
    public var testFaultFirstCheckedBlock: Int?

    public init(fraction: Double = VerificationPolicy.defaultFraction) {
        self.fraction = fraction
    }

    /// The block `faults` names in `verify-from-block:B`, if any.
    public static func testFaultFirstCheckedBlock(in faults: TestFaults) -> Int? {
        faults.number(of: "verify-from-block")
    }

    /// Whether `shard` of job `job` (seed `seed`) is re-run on a second worker.
    public func selects(job: Int64, seed: UInt64, shard: ShardID) -> Bool {
        guard fraction > 0 else { return false }
        if let first = testFaultFirstCheckedBlock { return shard.block >= first }
        guard fraction < 1 else { return true }
        return Self.draw(job: job, seed: seed, shard: shard) < fraction
    }

    /// The shard's uniform draw in `[0, 1)`.
    static func draw(job: Int64, seed: UInt64, shard: ShardID) -> Double {
        var bytes: [UInt8] = Array("reel.verify.v1".utf8)
        for value in [UInt64(bitPattern: job), seed, UInt64(shard.region), UInt64(shard.block)] {
            for byte in 0 ..< 8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte)))) }
        }
        let digest = SHA256.hash(bytes)
        var high: UInt64 = 0
        for byte in digest.prefix(8) { high = high << 8 | UInt64(byte) }
        // 53 bits: what a Double holds exactly.
        return Double(high >> 11) / Double(UInt64(1) << 53)
    }

    /// The probability that a worker poisoning a share `poisoned` of its shards
    /// has at least one poisoned shard checked within `shards` shards:
    /// 1 − (1 − fraction·poisoned)ⁿ (each shard is selected independently).
    public func detectionProbability(poisoned: Double, within shards: Int) -> Double {
        let miss = 1 - min(1, max(0, fraction)) * min(1, max(0, poisoned))
        var missAll = 1.0
        for _ in 0 ..< max(0, shards) { missAll *= miss }
        return 1 - missAll
    }
}
