import ArgumentParser
import Foundation
import ReelCoordinator
import Testing
@testable import ReelCLI

/// `reel status --watch` and `submit --wait`'s progress: the bar, the rate over
/// the samples and the ETA, and the flags' checks.
struct ProgressBarTests {
    static func job(progress: Double, done: Int, total: Int, state: String = "running") throws -> FarmAPI.JobStatus {
        let json = """
            {"id": 7, "model": "tiny", "state": "\(state)", "run": 1, "shards": {"done": \(done), "pending": \(total - done)},
             "shard_total": \(total), "progress": \(progress), "frames": 49, "fps": 16, "width": 64, "height": 64, "windows": 3}
            """
        return try FarmAPI.decoder().decode(FarmAPI.JobStatus.self, from: Data(json.utf8))
    }

    /// Half done at 2 shards/s: 12 of 24 marks, 24 shards left take 12 s.
    @Test func theBarShowsRateAndETA() throws {
        let line = ProgressBar.barLine(try Self.job(progress: 0.5, done: 24, total: 48), rate: 2)
        #expect(line == "job 7 running [############------------]  50.0%  24/48 shards  2.00 shards/s  ETA 12 s")
        #expect(ProgressBar.barLine(try Self.job(progress: 0.25, done: 12, total: 48), rate: nil) == "job 7 running [######------------------]  25.0%  12/48 shards")
        #expect(ProgressBar.eta(3725) == "1 h 2 min")
        #expect(ProgressBar.eta(61) == "1 min 1 s")
    }

    /// 10 shards in 4 s is 2.5 shards/s; under a second of samples there is no rate yet.
    @Test func theRateSpansTheSamples() {
        let start = ContinuousClock.now
        #expect(ProgressBar.rate([(start, 5), (start + .seconds(4), 15)]) == 2.5)
        #expect(ProgressBar.rate([(start, 5), (start + .milliseconds(500), 9)]) == nil)
    }

    @Test func watchNeedsOneJobAndNoJSON() throws {
        #expect(throws: (any Error).self) { try StatusCommand.parse(["--watch"]) }
        #expect(throws: (any Error).self) { try StatusCommand.parse(["7", "--watch", "--json"]) }
        #expect(try StatusCommand.parse(["7", "--watch"]).watch)
    }
}
