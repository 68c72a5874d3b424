import Foundation
import ReelFuzzing
import ReelPlan
import Testing

@testable import ReelCoordinator

/// Whatever JSON a client posts to `POST /v1/jobs`, decoding it and admitting it
/// (limits, plan, embeddings: ``AdmittedJob``, the path the coordinator runs on
/// its loop) throws, or yields a job within the limits. A trap here would be the
/// coordinator's process, and every job on the farm, ended by one request.
@Suite("Submission fuzz")
struct SubmissionFuzzTests {
    /// A small model, so admitted jobs plan and embed quickly.
    static let tiny = ModelGeometry(
        name: "tiny", latentChannels: 16, temporalStride: 4, spatialStride: 8, patch: PatchSize(frames: 1, height: 2, width: 2),
        layers: 2, width: 32, ffnWidth: 128, heads: 2, textTokens: 8, textDim: 16)
    static let models = ["tiny": tiny, "wan2.1-1.3b": ModelGeometry.wan21_1_3B]
    static let limits = AdmissionLimits.default

    /// Valid submissions as the CLI writes them: one with the stand-in embedder,
    /// one with embeddings, guidance, tiles, a loop and a length in seconds.
    static func validBodies() throws -> [Any] {
        let plain = FarmAPI.SubmitRequest(
            request: JobRequest(
                name: "fuzz", model: "tiny", prompt: "a cat", frames: 17, width: 64, height: 64, guidance: 1,
                plan: PlanConfig(window: 3, overlap: 1, steps: 4, blendEvery: 2)))
        let embeds = FarmAPI.EncodedTensor(shape: [3, 16], values: (0 ..< 48).map { Float($0) / 48 })
        let full = FarmAPI.SubmitRequest(
            request: JobRequest(
                model: "tiny", negativePrompt: "blur", seconds: 1.5, fps: 8, width: 96, height: 64, seed: 9, guidance: 5, shift: 3,
                plan: PlanConfig(window: 2, overlap: 1, loop: true, tile: TileSpec(width: 8, height: 6, overlap: 2), steps: 6, blendEvery: 3),
                priority: 5),
            promptEmbeds: embeds, negativePromptEmbeds: embeds)
        return try [plain, full].map { try JSONSerialization.jsonObject(with: FarmAPI.encoder().encode($0)) }
    }

    /// What an admitted job promises the coordinator, checked independently of admission.
    static func expectWithinLimits(_ job: AdmittedJob) {
        let request = job.request
        #expect(request.width <= limits.maxSide && request.height <= limits.maxSide)
        #expect(job.plan.geometry.job.frames <= limits.maxFrames && job.plan.shardCount <= limits.maxShards)
        #expect(job.plan.shardCount == job.plan.shards.count && job.plan.shardCount >= 1)
        #expect(!job.prompt.isEmpty && job.prompt.count % job.model.textDim == 0)
        #expect((job.negative != nil) == request.usesGuidance)
        #expect((job.negative ?? []).count % job.model.textDim == 0)
    }

    @Test("damaged job JSON is refused or admitted within the limits")
    func mutatedSubmissions() throws {
        let valid = try Self.validBodies()
        for body in valid {
            let submission = try FarmAPI.decoder().decode(FarmAPI.SubmitRequest.self, from: JSONSerialization.data(withJSONObject: body))
            Self.expectWithinLimits(try AdmittedJob(submission, limits: Self.limits, models: Self.models))
        }
        let summary = Fuzzer("job submission", seed: 0x70B).run { random, _ in
            let body = Data(JSONMutator.bytes(JSONMutator.mutate(random.pick(valid), using: &random), using: &random))
            do {
                let submission = try FarmAPI.decoder().decode(FarmAPI.SubmitRequest.self, from: body)
                Self.expectWithinLimits(try AdmittedJob(submission, limits: Self.limits, models: Self.models))
                return true
            } catch let error as APIError {
                #expect(error.status == 400 && !error.description.isEmpty)
                return false
            } catch {
                #expect(error is DecodingError, "\(error)")
                return false
            }
        }
        #expect(summary.accepted > 0 && summary.accepted < summary.rounds)
    }

    /// Admits the valid plain body with `edit` applied to its JSON, expecting a 400
    /// whose message contains `fragment`.
    func expectRefused(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ edit: (inout [String: Any]) -> Void) throws {
        var body = try #require(try Self.validBodies()[0] as? [String: Any])
        edit(&body)
        let submission = try FarmAPI.decoder().decode(FarmAPI.SubmitRequest.self, from: JSONSerialization.data(withJSONObject: body))
        do {
            _ = try AdmittedJob(submission, limits: Self.limits, models: Self.models)
            Issue.record("admitted; expected a refusal mentioning '\(fragment)'", sourceLocation: sourceLocation)
        } catch {
            #expect(error.status == 400, sourceLocation: sourceLocation)
            #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    }

    /// Inputs that used to trap: a tile width of Int.max made admission's count of
    /// tiles ask for the multiple above it (an overflow), and three embedding extents
    /// of 2²⁴ overflowed their element count.
    @Test func sizesNearIntMaxAreRefusedNotTrappedOn() throws {
        try expectRefused("tile width \(Int.max) is not a multiple of 2") { body in
            var request = body["request"] as? [String: Any] ?? [:]
            var plan = request["plan"] as? [String: Any] ?? [:]
            plan["tile"] = ["width": Int.max, "height": 8, "overlap": 2]
            request["plan"] = plan
            body["request"] = request
        }
        try expectRefused("at most \(FarmAPI.EncodedTensor.maxElements) elements") { body in
            body["prompt_embeds"] = ["shape": [1 << 24, 1 << 24, 1 << 24], "data": ""]
        }
        try expectRefused("exceeds the limit 9601 (--max-frames)") { body in
            var request = body["request"] as? [String: Any] ?? [:]
            request["frames"] = Int.max
            body["request"] = request
        }
    }
}
