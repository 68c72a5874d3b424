import Foundation
import ReelHash
import ReelPlan
import ReelTensor

/// A **test fault**, not a mode of operation: wraps a real executor and returns
/// finite but wrong latents for a share of its shards, as a malicious or broken
/// worker would, so that tests (and the three-host CI check) can prove that
/// verification catches it. `reel worker` builds it only from the hidden
/// `--poison-results FRACTION` flag *and* `REEL_TEST_FAULTS=poison-results` in the
/// environment, and logs that it runs a test fault.
///
/// Which shards are spoiled is a pure function of the task's input (the SHA-256
/// of its latents and step range), so a re-run of one shard on this worker is
/// spoiled the same way. A spoiled result adds `offset` to every value: finite,
/// the right shape, and far outside any rounding difference between machines.
public struct TestFaultPoisoningExecutor: ShardExecutor {
    public let base: any ShardExecutor
    /// The share of shards spoiled, in `0...1`.
    public let fraction: Double
    /// Added to every latent of a spoiled result.
    public let offset: Float
    /// With `REEL_TEST_FAULTS=hold-from-step:K`: a block starting at step K or later
    /// is held, before it runs, until `release` exists (or the task is cancelled),
    /// so a test can act while this worker holds that shard's lease; a hold is
    /// a deterministic window where polling for a block of a tiny model, which
    /// runs in milliseconds, could miss it on a loaded machine.
    public var hold: (fromStep: Int, release: URL)?

    /// The name `REEL_TEST_FAULTS` must hold for the CLI to build this executor.
    public static let environmentValue = "poison-results"

    /// The fault (`hold-from-step:K` in `REEL_TEST_FAULTS`) that holds blocks, and
    /// the environment variable naming the file that releases them.
    public static let holdFault = "hold-from-step"
    public static let holdReleaseKey = "REEL_TEST_HOLD_RELEASE"

    public init(base: any ShardExecutor, fraction: Double, offset: Float = 0.05) {
        self.base = base
        self.fraction = fraction
        self.offset = offset
    }

    /// The hold `faults` and `release` name, if both are given.
    public static func hold(faults: TestFaults, release: String?) -> (fromStep: Int, release: URL)? {
        guard let release, !release.isEmpty, let step = faults.number(of: holdFault) else { return nil }
        return (step, URL(fileURLWithPath: release))
    }

    public func models() throws(WorkerError) -> [ModelGeometry] { try base.models() }
    public func decodeWarmup(model: String) -> Int { base.decodeWarmup(model: model) }
    public func digest(model: String) -> String { base.digest(model: model) }
    public func decode(_ task: DecodeTask, emit: (Tensor) throws(WorkerError) -> Void) throws(WorkerError) {
        try base.decode(task, emit: emit)
    }

    public func denoise(_ task: DenoiseTask) throws(WorkerError) -> Tensor {
        if let hold, task.steps.lowerBound >= hold.fromStep {
            while !FileManager.default.fileExists(atPath: hold.release.path) {
                if task.isCancelled() { throw WorkerError(.cancelled, "cancelled while held by the hold-from-step test fault") }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        var result = try base.denoise(task)
        guard spoils(task) else { return result }
        for i in result.storage.indices { result.storage[i] += offset }
        return result
    }

    /// Whether this task's result is spoiled.
    public func spoils(_ task: DenoiseTask) -> Bool {
        guard fraction > 0 else { return false }
        guard fraction < 1 else { return true }
        var hasher = SHA256()
        hasher.update(littleEndian: task.latents.storage)
        hasher.update([UInt8(truncatingIfNeeded: task.steps.lowerBound), UInt8(truncatingIfNeeded: task.steps.upperBound)])
        var high: UInt64 = 0
        for byte in hasher.finalize().prefix(8) { high = high << 8 | UInt64(byte) }
        return Double(high >> 11) / Double(UInt64(1) << 53) < fraction
    }
}
