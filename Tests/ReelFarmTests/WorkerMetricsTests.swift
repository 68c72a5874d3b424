import ReelFarm
import Testing
@testable import ReelWorker

/// What a worker's `/metrics` counts of its items.
@Suite struct WorkerMetricsTests {
    /// The value of the exposition line for `series`, if any.
    static func value(_ series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// An empty block (a block before an edit's first step: no step runs) is not a
    /// shard time: recorded, it would pull the histogram towards milliseconds.
    @Test func anEmptyBlockIsNotCountedAsAShard() {
        let exporter = WorkerMetricsExporter()
        exporter.metrics.record(.milliseconds(3), steps: 0)
        exporter.metrics.record(.seconds(2), steps: 4)
        exporter.metrics.record(.seconds(1), steps: nil)
        let text = exporter.exposition()
        #expect(Self.value("reel_worker_shard_duration_seconds_count", in: text) == 1, "\(text)")
        #expect(Self.value("reel_worker_shard_duration_seconds_sum", in: text) == 2)
        #expect(Self.value("reel_worker_step_duration_seconds_sum", in: text) == 0.5)
        #expect(Self.value("reel_worker_decode_chunk_duration_seconds_count", in: text) == 1)
    }
}
