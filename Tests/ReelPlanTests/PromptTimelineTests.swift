import Testing
import ReelPlan

/// Prompt timelines: which prompts each window is conditioned on, with weights
/// from the window's own blend ramp. Expected weights are worked out by hand.
@Suite struct PromptTimelineTests {
    let wan = ModelGeometry.wan21_1_3B

    /// 41 frames at 16 fps (2.5625 s) are 11 latent frames; windows of 5 overlapping
    /// by 2 are [0, 5), [3, 8), [6, 11).
    func plan() throws -> Plan {
        try Plan(
            geometry: ClipGeometry(job: JobSpec(frames: 41, fps: 16, width: 832, height: 480), model: wan),
            config: PlanConfig(window: 5, overlap: 2))
    }

    @Test func latentFramesAreTimedAtTheMiddleOfThePixelFramesTheyEncode() throws {
        let plan = try plan()
        #expect(plan.seconds(ofLatentFrame: 0) == 0)
        // Latent 1 is pixels 1…4: middle 2.5, at 16 fps 0.15625 s; latent 5 is pixels 17…20.
        #expect(plan.seconds(ofLatentFrame: 1) == 2.5 / 16)
        #expect(plan.seconds(ofLatentFrame: 5) == 18.5 / 16)
    }

    @Test func aWindowAcrossASegmentBoundaryMixesItsPromptsByItsBlendWeights() throws {
        let plan = try plan()
        // "red" until 1.0 s, "blue" after: latent frames 0…4 are red (latent 4 is at
        // 0.906 s), 5…10 blue (latent 5 is at 1.156 s).
        let timeline = try PromptTimeline([TimedPrompt(at: 1.0, text: "a blue kite")], base: "a red kite", seconds: plan.geometry.job.seconds)
        #expect(timeline.prompts.map(\.text) == ["a red kite", "a blue kite"])
        let weights = plan.promptWeights(timeline)
        #expect(weights[0] == [PromptWeight(prompt: 0, weight: 1)])
        #expect(weights[2] == [PromptWeight(prompt: 1, weight: 1)])
        // Window 1's ramp (floor 0.05, overlaps of 2 on both sides) is
        // 0.2875, 0.7625, 1, 0.7625, 0.2875 over latent frames 3…7: red gets
        // 0.2875 + 0.7625 = 1.05, blue 1 + 0.7625 + 0.2875 = 2.05, of 3.1.
        #expect(weights[1].map(\.prompt) == [0, 1])
        #expect(abs(weights[1][0].weight - 1.05 / 3.1) < 1e-12)
        #expect(abs(weights[1][1].weight - 2.05 / 3.1) < 1e-12)
    }

    @Test func aSinglePromptTimelineGivesEveryWindowThatPrompt() throws {
        let plan = try plan()
        let timeline = try PromptTimeline([TimedPrompt(at: 0, text: "a fox")], base: nil, seconds: plan.geometry.job.seconds)
        #expect(plan.promptWeights(timeline) == Array(repeating: [PromptWeight(prompt: 0, weight: 1)], count: 3))
    }

    @Test func timelinesThatCannotBeUsedAreRefusedSayingWhatToChange() {
        func refusal(_ prompts: [TimedPrompt], base: String? = nil) -> String? {
            do throws(PlanError) {
                _ = try PromptTimeline(prompts, base: base, seconds: 5)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(refusal([TimedPrompt(at: 2, text: "b")]) == "prompt timeline: the first prompt starts at 2.0 s: give one at 0 s, or a --prompt for the start.")
        #expect(refusal([TimedPrompt(at: 2, text: "b")], base: "a") == nil)
        #expect(refusal([TimedPrompt(at: 5, text: "b")], base: "a") == "prompt timeline: prompt at 5.0 s starts after the clip ends (5.0 s): use a time below 5.0.")
        #expect(refusal([TimedPrompt(at: -1, text: "b")], base: "a") == "prompt timeline: prompt at -1.0 s: a time must be 0 or more.")
        #expect(refusal([TimedPrompt(at: 1, text: "b"), TimedPrompt(at: 1, text: "c")], base: "a") == "prompt timeline: two prompts start at 1.0 s: give each time one prompt.")
        #expect(refusal([TimedPrompt(at: 0, text: "")]) == "prompt timeline: prompt at 0.0 s has no text.")
    }
}
