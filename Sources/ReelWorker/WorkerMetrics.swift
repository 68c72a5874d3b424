import Metrics

/// What a worker measures of its own work, through swift-metrics' API: the
/// backend (Prometheus, in `reel worker --metrics-listen`) is the caller's, so this
/// module names no exporter. Recorded on the task threads when an item finishes;
/// each record is one lock-guarded update.
public struct WorkerMetrics: Sendable {
    /// The mean time of one denoising step, per shard (its compute time over its steps).
    public let stepDuration: Metrics.Timer
    /// The time of one denoising shard (compute only).
    public let shardDuration: Metrics.Timer
    /// The time of one decode chunk (decoding and encoding).
    public let decodeDuration: Metrics.Timer
    /// Items that failed on this worker.
    public let failures: Metrics.Counter

    public init(stepDuration: Metrics.Timer, shardDuration: Metrics.Timer, decodeDuration: Metrics.Timer, failures: Metrics.Counter) {
        self.stepDuration = stepDuration
        self.shardDuration = shardDuration
        self.decodeDuration = decodeDuration
        self.failures = failures
    }

    /// Records a finished item: `steps` is the shard's step count (nil for a decode
    /// chunk; 0 for an empty block, which is not recorded).
    func record(_ elapsed: Duration, steps: Int?) {
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        if let steps {
            // An empty block (before an edit's first step) runs no step: its
            // milliseconds would pull the shard-time histogram away from real blocks.
            guard steps > 0 else { return }
            shardDuration.recordNanoseconds(nanoseconds)
            stepDuration.recordNanoseconds(nanoseconds / Int64(steps))
        } else {
            decodeDuration.recordNanoseconds(nanoseconds)
        }
    }
}
