@testable import ReelCoordinator
import ReelWire
import Testing

/// The job event a worker's cut of a long prompt becomes (issue 13: the warning
/// reaches the user, not only the worker's log).
struct PromptTruncationNoteTests {
    @Test func eachCutPromptGetsANoteSayingHowMuch() {
        var result = Reel_V1_PromptResult()
        #expect(Coordinator.truncationNotes(result, maxTokens: 512).isEmpty)
        result.promptPiecesCut = 89
        #expect(Coordinator.truncationNotes(result, maxTokens: 512) == [
            "the prompt has 601 tokens with </s>; its last 89 were cut to fit 512, as WanPipeline does (shorten it to keep all of it)",
        ])
        result.negativePiecesCut = 1
        let notes = Coordinator.truncationNotes(result, maxTokens: 512)
        #expect(notes.count == 2)
        #expect(notes.last?.hasPrefix("the negative prompt has 513 tokens with </s>; its last 1 were cut") == true)
    }
}
