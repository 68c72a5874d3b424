import Foundation
import ReelPlan
import ReelStore
import ReelTensor
import Testing

@testable import ReelCoordinator

/// A prompt-timeline job at admission and on its way to workers: stored in its
/// canonical form with each later prompt's stand-in embeddings, refused by name
/// where it cannot be rendered, and each window given only the prompts it mixes.
/// The provenance record names the timeline and the conditioning sources.
@Suite struct PromptTimelineAdmissionTests {
    static let tiny = PromptEncodingCoreTests.tiny

    /// 21 frames at 16 fps (1.3125 s) = 6 latent frames; windows of 3 overlapping by 1.
    static func request(_ prompts: [TimedPrompt]?, prompt: String? = "a red kite") -> JobRequest {
        JobRequest(
            model: "tiny", prompt: prompt, frames: 21, width: 64, height: 64, guidance: 1,
            plan: PlanConfig(window: 3, overlap: 1, steps: 2, blendEvery: 1), prompts: prompts)
    }

    static func admit(_ request: JobRequest, embeds: FarmAPI.EncodedTensor? = nil, encoders: Set<String> = []) throws(APIError) -> AdmittedJob {
        try AdmittedJob(
            FarmAPI.SubmitRequest(request: request, promptEmbeds: embeds), limits: .default, models: ["tiny": tiny], textEncoders: encoders)
    }

    @Test func aTimelineIsStoredCanonicallyWithEachLaterPromptsStandInEmbeddings() throws {
        let admitted = try Self.admit(Self.request([TimedPrompt(at: 0.5, text: "a blue kite")]))
        #expect(admitted.request.prompt == "a red kite" && admitted.request.prompts == [TimedPrompt(at: 0.5, text: "a blue kite")])
        let embedder = StandInTextEmbedder(width: Self.tiny.textDim, tokens: Self.tiny.textTokens)
        #expect(admitted.prompt == embedder.embed("a red kite").storage)
        #expect(admitted.laterPrompts == [embedder.embed("a blue kite").storage])
        // The same timeline written with its first prompt at 0 s is the same stored request.
        let timed = try Self.admit(
            Self.request([TimedPrompt(at: 0, text: "a red kite"), TimedPrompt(at: 0.5, text: "a blue kite")], prompt: nil))
        #expect(timed.request == admitted.request && timed.laterPrompts == admitted.laterPrompts)
        // No timeline: nothing more is embedded.
        #expect(try Self.admit(Self.request(nil)).laterPrompts.isEmpty)
    }

    @Test func timelinesThatCannotBeRenderedAreRefusedByName() {
        func refusal(_ make: () throws(APIError) -> AdmittedJob) -> String? {
            do { _ = try make() } catch { return error.description }
            return nil
        }
        let timeline = [TimedPrompt(at: 0.5, text: "a blue kite")]
        let outside = refusal { () throws(APIError) in try Self.admit(Self.request([TimedPrompt(at: 2, text: "a blue kite")])) }
        #expect(outside?.contains("starts after the clip ends") == true, "\(outside ?? "accepted")")
        let file = FarmAPI.EncodedTensor(shape: [8, 16], values: [Float](repeating: 0, count: 128))
        let withFile = refusal { () throws(APIError) in try Self.admit(Self.request([TimedPrompt(at: 0, text: "a red kite")] + timeline, prompt: nil), embeds: file) }
        #expect(withFile?.contains("needs text prompts") == true, "\(withFile ?? "accepted")")
        // A model with a text encoder takes it (its worker encodes the later prompts: PromptTimelineEncodingCoreTests).
        let encoded = refusal { () throws(APIError) in try Self.admit(Self.request(timeline), encoders: ["tiny"]) }
        #expect(encoded == nil, "\(encoded ?? "accepted")")
        var limits = AdmissionLimits.default
        limits.maxPromptCharacters = 5
        let long = refusal { () throws(APIError) in
            try AdmittedJob(FarmAPI.SubmitRequest(request: Self.request(timeline, prompt: "a")), limits: limits, models: ["tiny": Self.tiny])
        }
        #expect(long?.contains("the prompt at 0.5 s has 11 characters, more than 5") == true, "\(long ?? "accepted")")
    }

    @Test func eachWindowGetsOnlyThePromptsItMixes() throws {
        let admitted = try Self.admit(Self.request([TimedPrompt(at: 0.5, text: "a blue kite")]))
        let timeline = try #require(try JobTimeline(request: admitted.request, plan: admitted.plan, laterSHAs: ["blue-sha"]))
        // Windows [0, 3), [2, 5), [3, 6): latent 2 is at 6.5/16 = 0.41 s (red), latent 3 at
        // 10.5/16 = 0.66 s (blue). Window 0 is red alone, window 2 blue alone, window 1 both.
        #expect(admitted.plan.windows.map { [$0.start, $0.end] } == [[0, 3], [2, 5], [3, 6]])
        #expect(timeline.prompts(window: 0, promptSHA: "red-sha").map(\.sha) == ["red-sha"])
        #expect(timeline.prompts(window: 0, promptSHA: "red-sha").map(\.weight) == [1])
        #expect(timeline.prompts(window: 2, promptSHA: "red-sha").map(\.sha) == ["blue-sha"])
        let mixed = timeline.prompts(window: 1, promptSHA: "red-sha")
        #expect(mixed.map(\.sha) == ["red-sha", "blue-sha"])
        #expect(abs(mixed.map(\.weight).reduce(0, +) - 1) < 1e-12)
        // A job without a timeline has none; stored embeddings that do not match are an error.
        #expect(try JobTimeline(request: Self.request(nil), plan: admitted.plan, laterSHAs: []) == nil)
        #expect(throws: PlanError.self) { try JobTimeline(request: admitted.request, plan: admitted.plan, laterSHAs: []) }
    }

    /// A restarted coordinator rebuilds the timeline from the stored spec, which names
    /// the later prompts' embeddings; a spec that does not name them fails the job.
    @Test func aRestartedCoordinatorRebuildsTheTimelineFromTheStoredSpec() throws {
        let admitted = try Self.admit(Self.request([TimedPrompt(at: 0.5, text: "a blue kite")]))
        func snapshot(_ later: [String]?) throws -> JobSnapshot {
            var stored = StoredJob(request: admitted.request, model: Self.tiny, decodeWarmup: nil)
            stored.timelineEmbeds = later
            let shards = admitted.plan.shards.map { shard in
                (shard: shard, row: ItemSnapshot(state: shard.block == 0 ? .ready(attempts: 0, notBefore: nil) : .pending, token: 0, worker: nil, outputSHA: nil))
            }
            return JobSnapshot(
                id: 1, state: .running(attempt: 1), spec: try stored.json(), promptSHA: "red-sha", negativeSHA: nil, latentsSHA: nil,
                shards: shards, chunks: [])
        }
        var core = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: CoordinatorCoreTests.origin)
        _ = core.handle(.recovered([try snapshot(["blue-sha"])]))
        let timeline = try #require(core.jobs[1]?.timeline)
        #expect(timeline.laterSHAs == ["blue-sha"])
        #expect(timeline.prompts(window: 1, promptSHA: "red-sha").map(\.sha) == ["red-sha", "blue-sha"])

        var fresh = CoordinatorCore(config: CoordinatorConfig(dataDirectory: "/nonexistent"), startedAt: CoordinatorCoreTests.origin)
        let actions = fresh.handle(.recovered([try snapshot(nil)]))
        #expect(actions.contains { if case .setJobFailed(1, let reason) = $0 { return reason.contains("stored embeddings") } else { return false } })
        #expect(fresh.jobs.isEmpty)
    }

    @Test func theProvenanceRecordNamesTheTimelineTheSourcesAndTheModelDigest() throws {
        let image = String(repeating: "a", count: 64), video = String(repeating: "b", count: 64)
        var request = Self.request([TimedPrompt(at: 0.5, text: "a blue kite")])
        request.conditioning = [
            ConditioningItem(source: ConditioningSource(kind: .image, digest: image), latentFrame: 0),
            ConditioningItem(source: ConditioningSource(kind: .video, digest: video, firstFrame: 0, frameCount: 5), latentFrame: 3),
            ConditioningItem(source: ConditioningSource(kind: .image, digest: image), latentFrame: 5),
        ]
        var description = VideoDescription(job: 7, title: "t", seed: 9, model: "tiny", prompt: "a red kite", fps: 16, width: 64, height: 64, frames: 21)
        description.addProvenance(of: request, modelDigest: "cafe")
        let tags = description.provenanceTags
        #expect(tags["reel_sources"] == "\(image) \(video)")
        #expect(tags["reel_model_digest"] == "cafe")
        #expect(tags["reel_prompts"] == #"[{"at":0,"text":"a red kite"},{"at":0.5,"text":"a blue kite"}]"#)
        // A plain text-to-video job's record has none of these.
        var plain = VideoDescription(job: 8, title: "t", seed: 9, model: "tiny", prompt: "a red kite", fps: 16, width: 64, height: 64, frames: 21)
        plain.addProvenance(of: Self.request(nil), modelDigest: "")
        #expect(plain.provenanceTags.isEmpty)
    }
}
