import Foundation
import ReelCoordinator
import ReelPlan
import ReelStore
import Testing

/// Through real processes (issue 14): a job that requires a pool runs only on
/// that pool's worker, and a decode segment cut short is rejected by the
/// coordinator's libav check and redone.
@Suite(.serialized, .farmSlot) struct PoolsAndSegmentsTests {
    @Test func aJobRequiringAPoolRunsOnlyOnThatPoolsWorker() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("plain")
        try farm.startWorker("paris", arguments: ["--pool", "site-paris", "--pool", "gpu-a100"])
        try await farm.waitForWorkers(2)

        // A pool nobody is in: the job waits, and says why.
        var stranded = TestFarm.request()
        stranded.pool = "site-tokyo"
        let waiting = try await farm.client.submit(FarmAPI.SubmitRequest(request: stranded))
        try await Task.sleep(for: .milliseconds(500))
        let status = try await farm.client.job(waiting)
        #expect(status.pool == "site-tokyo")
        #expect(status.shards["done", default: 0] == 0 && status.shards["leased", default: 0] == 0)
        #expect(status.waiting?.contains("reel worker --pool site-tokyo") == true, "\(status.waiting ?? "nil")")
        let text = try farm.cli(["status", "\(waiting)"])
        #expect(text.contains("waiting: no connected worker is in pool 'site-tokyo'"), "\(text)")
        _ = try await farm.client.cancel(waiting)

        var pooled = TestFarm.request()
        pooled.pool = "site-paris"
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: pooled))
        let done = try await farm.waitForEnd(id, timeout: .seconds(300))
        #expect(done.state == "succeeded", "\(done.reason ?? "")")
        #expect(done.waiting == nil)
        let leasedBy = try farm.store().connection.execute(
            "SELECT DISTINCT worker FROM events WHERE job_id = $1 AND kind IN ('shard.done', 'chunk.done')", [.int64(id)]
        ).map { row throws(StoreError) -> String in try row.get("worker") }
        #expect(leasedBy == ["paris"], "shards and chunks of a site-paris job went to \(leasedBy)")
        let workers = try await farm.client.workers()
        #expect(workers.first { $0.name == "paris" }?.pools == ["gpu-a100", "site-paris"])
        #expect(workers.first { $0.name == "plain" }?.pools == [])
        let listing = try farm.cli(["workers"])
        #expect(listing.contains("gpu-a100,site-paris"), "\(listing)")
    }

    /// Quarantine as an operator sees it: a quarantined worker (set in PostgreSQL, as
    /// a lost ballot does) is leased nothing, `reel workers` says so, and
    /// `reel workers --release` lets it work again.
    @Test func aQuarantinedWorkerWorksAgainOnlyOnceReleased() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker("suspect")
        try await farm.waitForWorkers(1)
        #expect(try farm.store().quarantineWorker(name: "suspect", reason: "lost the ballot on shard (0, 0) of job 9", at: Timestamp(milliseconds: 1_000)))
        let id = try await farm.client.submit(FarmAPI.SubmitRequest(request: TestFarm.request()))
        try await Task.sleep(for: .seconds(1))
        #expect(try await farm.client.job(id).shards["ready", default: 0] > 0)
        #expect(try await farm.client.job(id).shards["done", default: 0] == 0, "a quarantined worker was leased work")
        let listing = try farm.cli(["workers"])
        #expect(listing.contains("quarantined") && listing.contains("lost the ballot on shard (0, 0) of job 9"), "\(listing)")
        #expect(listing.contains("reel workers --release suspect"))
        let released = try farm.cli(["workers", "--release", "suspect"])
        #expect(released.contains("released suspect"), "\(released)")
        let done = try await farm.waitForEnd(id, timeout: .seconds(300))
        #expect(done.state == "succeeded", "\(done.reason ?? "")")
        #expect(try await farm.worker("suspect")?.quarantinedAt == nil)
        // Releasing a worker that is not quarantined is refused, saying so.
        let again = try farm.cli(["workers", "--release", "suspect"])
        #expect(again.contains("is not quarantined"), "\(again)")
    }

    @Test func aTruncatedSegmentIsRejectedAndRedone() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator()
        try farm.startWorker(
            "cutter", wrapper: ["/usr/bin/env", "REEL_TEST_FAULTS=truncate-segments"], arguments: ["--truncate-segments", "1"])
        try await farm.waitForWorkers(1)
        let request = TestFarm.request()
        let first = try await farm.waitForEnd(try await farm.client.submit(FarmAPI.SubmitRequest(request: request)), timeout: .seconds(300))
        #expect(first.state == "succeeded", "\(first.reason ?? "")")
        let retries = try farm.store().connection.execute(
            "SELECT worker, detail FROM events WHERE job_id = $1 AND kind = 'chunk.retry'", [.int64(first.id)]
        ).map { row throws(StoreError) -> String in try row.get("detail") }
        #expect(retries.count == 1, "\(retries)")
        #expect(retries.first?.contains("not a well-formed H.264 segment") == true, "\(retries)")
        // The fault is spent: the same job again is undisturbed. (Their videos differ only in the
        // job id the container is tagged with.)
        let second = try await farm.waitForEnd(try await farm.client.submit(FarmAPI.SubmitRequest(request: request)), timeout: .seconds(300))
        #expect(second.state == "succeeded")
        #expect(first.videoSha256 != nil && second.videoSha256 != nil)
        #expect(first.latentsSha256 == second.latentsSha256)
        // The redone chunk's segment is the one the undisturbed run stored.
        let segments = try farm.store().connection.execute(
            "SELECT job_id, chunk, output_sha256 FROM decode_chunks WHERE job_id IN ($1, $2) ORDER BY chunk, job_id",
            [.int64(first.id), .int64(second.id)]
        ).map { row throws(StoreError) -> String in "\(try row.get("chunk", as: Int.self))=\(try row.get("output_sha256", as: String.self))" }
        #expect(segments.count >= 2 && segments.count % 2 == 0)
        for pair in stride(from: 0, to: segments.count - 1, by: 2) { #expect(segments[pair] == segments[pair + 1]) }
        let again = try farm.store().connection.execute(
            "SELECT count(*) AS n FROM events WHERE job_id = $1 AND kind = 'chunk.retry'", [.int64(second.id)]
        ).first().get("n", as: Int.self)
        #expect(again == 0)
    }
}
