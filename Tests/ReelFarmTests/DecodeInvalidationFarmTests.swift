import Foundation
import ReelCoordinator
import ReelPlan
import ReelStore
import Testing

/// A lost ballot reaches a job that already decodes, through real processes
/// (issue 14). Arranged deterministically with test faults:
///
/// - every denoising worker runs `REEL_TEST_FAULTS=no-decode`, so a blended job
///   stays decoding (its chunks ready, nobody to decode them) until the test
///   starts a worker that decodes;
/// - the coordinator runs `verify-from-block:2`: job A (2 step blocks) is never
///   checked, job B (3 blocks) is checked at block 2.
///
/// The poisoner alone renders job A, which blends and starts decoding, and job B
/// up to its checked last block, which it holds (test fault `hold-from-step:4`)
/// until two honest workers have joined; they re-run that shard. The poisoner loses the ballot while A decodes: A's decode is abandoned,
/// its shards redone by honest workers, its clip blended and decoded again. A
/// must end with the latents and the video of an undisturbed run.
@Suite(.serialized, .farmSlot) struct DecodeInvalidationFarmTests {
    static let reference = ReferenceLatents()

    /// 97 frames (25 latent) at 64×64: 6 windows × 2 step blocks.
    static let jobA = JobRequest(
        name: "decoding when caught", model: "tiny", prompt: "a lighthouse in a storm", negativePrompt: "blurry", frames: 97, fps: 16,
        width: 64, height: 64, seed: 41, guidance: 5, plan: PlanConfig(window: 6, overlap: 2, steps: 4, blendEvery: 2))
    /// One window (the whole clip) × 3 step blocks: its block-2 shard is checked.
    static let jobB = JobRequest(
        name: "the ballot", model: "tiny", prompt: "a kite over dunes", frames: 17, fps: 16,
        width: 64, height: 64, seed: 42, guidance: 1, plan: PlanConfig(window: 5, overlap: 2, steps: 6, blendEvery: 2))

    @Test func aPoisonerCaughtWhileAJobDecodesHasThatDecodeRedone() async throws {
        let expected = try await Self.reference.sha(Self.jobA)
        let farm = try ProcessFarm()
        defer { farm.stop() }
        try await farm.startCoordinator(
            wrapper: ["/usr/bin/env", "REEL_TEST_FAULTS=verify-from-block:2"], arguments: ["--verify-fraction", "0.3"])
        // The poisoner holds any block from step 4 (job B's checked last one) until
        // the test releases it, once the honest workers are connected.
        let release = farm.directory.appendingPathComponent("release-held-block")
        try farm.startWorker(
            "a-poisoner",
            wrapper: ["/usr/bin/env", "REEL_TEST_FAULTS=poison-results,no-decode,hold-from-step:4", "REEL_TEST_HOLD_RELEASE=\(release.path)"],
            arguments: ["--poison-results", "1"])
        try await farm.waitForWorkers(1)

        // Job A: every shard by the poisoner, never checked; blended, then waiting to decode.
        let a = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.jobA))
        // Deadlines for events, not timings: a CI run on a loaded 2-core machine took
        // more than 300 s to get here once (11 s on an idle one).
        try await farm.waitUntil(timeout: .seconds(600)) { try await farm.client.job(a).state == "decoding" }

        // Job B: the poisoner holds its last (checked) shard before anyone else joins.
        let b = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.jobB))
        try await farm.waitUntil(timeout: .seconds(600)) {
            let status = try await farm.client.job(b)
            return status.shards["done"] == 2 && status.shards["leased"] == 1
        }
        for name in ["honest-1", "honest-2"] { try farm.startWorker(name, wrapper: ["/usr/bin/env", "REEL_TEST_FAULTS=no-decode"]) }
        try await farm.waitForWorkers(3)
        #expect(try await farm.client.job(b).shards["leased"] == 1, "the poisoner still holds job B's last block")
        try Data().write(to: release)
        try await farm.waitUntil(timeout: .seconds(120)) { try await farm.worker("a-poisoner")?.quarantinedAt != nil }

        // A's decode was abandoned; once its redone clip is blended again, a decoder joins.
        let store = try farm.store()
        try await farm.waitUntil(timeout: .seconds(60)) { try store.events(job: a).contains { $0.kind == .jobInvalidated } }
        #expect(try store.decodeInvalidations(job: a).job == 1)
        try farm.startWorker("decoder")
        let statusA = try await farm.waitForEnd(a, timeout: .seconds(300))
        let statusB = try await farm.waitForEnd(b, timeout: .seconds(300))
        #expect(statusA.state == "succeeded", "\(statusA.reason ?? "") — logs in \(farm.directory.path)")
        #expect(statusB.state == "succeeded", "\(statusB.reason ?? "") — logs in \(farm.directory.path)")
        #expect(statusA.latentsSha256 == expected, "poisoned results reached the clip")
        let redone = try store.invalidations(job: a)
        print("job A: \(redone.count) shards redone after its decode was abandoned")
        #expect(redone.count == statusA.shardTotal, "every shard of A was the poisoner's: all are redone")

        // An undisturbed run of A in a fresh farm, where it is job 1 too (the job's
        // id is in the video's metadata): the same latents, the same video.
        #expect(a == 1)
        let undisturbed = try ProcessFarm()
        defer { undisturbed.stop() }
        try await undisturbed.startCoordinator()
        try undisturbed.startWorker("w1")
        try await undisturbed.waitForWorkers(1)
        let c = try await undisturbed.client.submit(FarmAPI.SubmitRequest(request: Self.jobA))
        let statusC = try await undisturbed.waitForEnd(c, timeout: .seconds(300))
        #expect(c == a && statusC.state == "succeeded", "\(statusC.reason ?? "")")
        #expect(statusC.latentsSha256 == expected)
        print("video of A after the abandoned decode: \(statusA.videoSha256 ?? "none"); undisturbed: \(statusC.videoSha256 ?? "none")")
        #expect(statusA.videoSha256 != nil && statusA.videoSha256 == statusC.videoSha256, "the redone decode's video differs from an undisturbed run's")
    }
}
