import ArgumentParser
import ReelPlan
import Testing

@testable import ReelCLI

/// `reel submit --prompt-at` and `reel plan --prompt-at`: the flags become the job's
/// timeline, and both commands hold it to the same rules.
@Suite struct SubmitTimelineTests {
    @Test func promptAtFlagsBecomeTheJobsTimeline() throws {
        let command = try SubmitCommand.parse([
            "--model", "tiny", "--prompt", "a red kite", "--prompt-at", "1:a blue kite: high up", "--prompt-at", "2.5:a green kite",
        ])
        let request = try command.makeSubmission().request
        #expect(request.prompt == "a red kite")
        #expect(request.prompts == [TimedPrompt(at: 1, text: "a blue kite: high up"), TimedPrompt(at: 2.5, text: "a green kite")])
        // A timeline alone is a prompt; with an embeddings file it is refused.
        #expect(throws: Never.self) { try SubmitCommand.parse(["--model", "tiny", "--prompt-at", "0:a red kite"]) }
        #expect(throws: (any Error).self) {
            try SubmitCommand.parse(["--model", "tiny", "--prompt-embeds", "e.safetensors", "--prompt-at", "1:a blue kite"])
        }
        #expect(throws: (any Error).self) { try SubmitCommand.parse(["--model", "tiny", "--prompt-at", "soon:a blue kite"]) }
    }

    @Test func planHoldsTheTimelineToSubmitsRules() {
        func message(_ arguments: [String]) -> String? {
            do { _ = try PlanCommand.parse(["--frames", "41"] + arguments) } catch { return PlanCommand.message(for: error) }
            return nil
        }
        let unsorted = message(["--prompt", "a red kite", "--prompt-at", "2:a green kite", "--prompt-at", "1:a blue kite"])
        #expect(unsorted?.contains("give the timed prompts in time order") == true, "\(unsorted ?? "accepted")")
        let both = message(["--prompt", "a red kite", "--prompt-at", "0:a blue kite"])
        #expect(both?.contains("both name the first prompt") == true, "\(both ?? "accepted")")
        #expect(message(["--prompt", "a red kite", "--prompt-at", "1:a blue kite"]) == nil)
    }
}
