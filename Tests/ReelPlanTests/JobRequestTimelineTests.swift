import Foundation
import ReelPlan
import Testing

/// A job's prompt timeline as submitted: the checks that name what to change, the
/// one canonical form it is stored in, and how a window's prompts are mixed.
@Suite struct JobRequestTimelineTests {
    let wan = ModelGeometry.wan21_1_3B

    /// 41 frames at 16 fps: 2.5625 s.
    func request(prompt: String? = "a red kite", _ prompts: [TimedPrompt]?) -> JobRequest {
        JobRequest(model: "wan", prompt: prompt, frames: 41, fps: 16, plan: PlanConfig(window: 5, overlap: 2), prompts: prompts)
    }

    func refusal(_ request: JobRequest) -> String? {
        do {
            let plan = try request.makePlan(model: wan)
            _ = try request.timeline(plan: plan)
            return nil
        } catch { return error.description }
    }

    @Test func badTimelinesAreRefusedWithWhatToChange() {
        let cases: [(JobRequest, String)] = [
            (request([TimedPrompt(at: 3, text: "blue")]), "prompt at 3.0 s starts after the clip ends (2.5625 s)"),
            (request([TimedPrompt(at: -1, text: "blue")]), "prompt at -1.0 s: a time must be 0 or more"),
            (request([TimedPrompt(at: .nan, text: "blue")]), "a time must be 0 or more"),
            (request([TimedPrompt(at: 2, text: "blue"), TimedPrompt(at: 1, text: "green")]), "give the timed prompts in time order"),
            (request([TimedPrompt(at: 1, text: "blue"), TimedPrompt(at: 1, text: "green")]), "two prompts start at 1.0 s"),
            (request([TimedPrompt(at: 1, text: "  ")]), "the prompt at 1.0 s has no text"),
            (request([TimedPrompt(at: 0, text: "blue")]), "both name the first prompt: drop one of them"),
            (request(prompt: nil, [TimedPrompt(at: 1, text: "blue")]), "give one at 0 s, or a --prompt for the start"),
            (request((0 ..< 17).map { TimedPrompt(at: Double($0) / 10, text: "p\($0)") }), "17 timed prompts: give at most 16"),
        ]
        for (request, expected) in cases {
            let message = refusal(request)
            #expect(message?.contains(expected) == true, "\(message ?? "accepted"), expected \(expected)")
        }
        var still = request([TimedPrompt(at: 0.5, text: "blue")])
        still.frames = nil
        still.still = true
        #expect(refusal(still)?.contains("a still is one frame") == true)
        #expect(refusal(request([TimedPrompt(at: 1, text: "blue")])) == nil)
        #expect(refusal(request(nil)) == nil)
        #expect(refusal(request([])) == nil)
    }

    @Test func equivalentTimelinesAreStoredInOneForm() throws {
        let plan = try request(nil).makePlan(model: wan)
        // The first prompt as --prompt, or as the prompt at 0 s: one stored request.
        let asPrompt = try request([TimedPrompt(at: 1, text: "a blue kite")]).canonicalizingTimeline(plan: plan)
        let asTimed = try request(prompt: nil, [TimedPrompt(at: 0, text: "a red kite"), TimedPrompt(at: 1, text: "a blue kite")])
            .canonicalizingTimeline(plan: plan)
        #expect(asPrompt == asTimed)
        #expect(asPrompt.prompt == "a red kite" && asPrompt.prompts == [TimedPrompt(at: 1, text: "a blue kite")])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(asPrompt) == encoder.encode(asTimed))
        // Canonical is canonical: checking it again changes nothing.
        #expect(try asPrompt.canonicalizingTimeline(plan: plan) == asPrompt)
        // A timeline of one prompt is stored as a plain job with that prompt.
        let one = try request(prompt: nil, [TimedPrompt(at: 0, text: "a red kite")]).canonicalizingTimeline(plan: plan)
        #expect(one == request(nil))
        #expect(try request([]).canonicalizingTimeline(plan: plan) == request(nil))
    }

    @Test func aWindowsConditioningIsTheWeightedMeanOfItsPromptsEmbeddings() throws {
        let red: [Float] = [0.1, -2, 3.5, 1e-8]
        let blue: [Float] = [1, 0.25, -0.5, 7]
        // One prompt of weight 1 is used as is: bit for bit a single-prompt job's.
        #expect(PromptMix.mix([red], weights: [1]) == red)
        // 0.25·red + 0.75·blue, worked out by hand.
        let mixed = try #require(PromptMix.mix([red, blue], weights: [0.25, 0.75]))
        let expected: [Float] = [0.775, -0.3125, 0.5, 5.25]
        let maxdiff = zip(mixed, expected).map { abs($0 - $1) }.max() ?? .infinity
        print("prompt mix maxdiff \(maxdiff)")
        #expect(maxdiff <= 1e-6)
        #expect(PromptMix.mix([red, [1, 2]], weights: [0.5, 0.5]) == nil)
        #expect(PromptMix.mix([red], weights: [0.5, 0.5]) == nil)
        #expect(PromptMix.mix([], weights: []) == nil)
    }
}
