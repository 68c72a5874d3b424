import Foundation
import ReelPlan
import Testing

@testable import ReelCoordinator

/// The core's half of an extended clip's output: a job whose item asks for a join
/// gets, in its join action's description, the source and the workers' encoder
/// settings (the I/O layer fills in the blob's path, the joiner encodes and joins).
@Suite struct ExtendJoinCoreTests {
    @Test func aJoinItemPutsItsSourceAndTheSegmentSettingsInTheDescription() throws {
        var config = CoordinatorConfig(dataDirectory: "/nonexistent")
        config.crf = 23
        config.preset = "fast"
        let core = CoordinatorCore(config: config, startedAt: ContinuousClock.now)
        let digest = String(repeating: "c", count: 64)
        let item = ConditioningItem(
            source: ConditioningSource(kind: .video, digest: digest, firstFrame: 30, frameCount: 9), frame: 0, fit: .pad, join: true)
        let request = JobRequest(model: "wan2.1-1.3b", frames: 33, width: 64, height: 64, conditioning: [item])
        let plan = try request.makePlan(model: .wan21_1_3B)
        let extend = try #require(core.extendJoin(request, plan: plan))
        #expect(extend == ExtendJoin(join: SourceJoin(digest: digest, side: .before, pinnedFirst: 30, pinnedCount: 9, fit: .pad), crf: 23, preset: "fast"))
        #expect(extend.sourcePath == nil, "the path is the I/O layer's to fill in")
        // The same item without join, and no conditioning: the clip alone.
        var plain = request
        plain.conditioning?[0].join = nil
        #expect(core.extendJoin(plain, plan: plan) == nil)
        #expect(core.extendJoin(JobRequest(model: "wan2.1-1.3b", frames: 33), plan: plan) == nil)
    }
}
