import ReelStore
import ReelWire

extension EventKind {
    /// A worker cut a job's prompt (or negative prompt) to the encoder's token limit.
    public static let promptTruncated: EventKind = "prompt.truncated"
}

/// A prompt longer than the encoder's limit is cut, as WanPipeline cuts it; the
/// worker's log alone would hide that from whoever submitted the job, so each cut
/// becomes an event on the job (`reel status JOB`, `reel events`, the API, the
/// dashboard's event log).
extension Coordinator {
    /// The event lines for `result`'s cuts (none when nothing was cut). A
    /// timeline's later prompts are named by `laterLabels` ("prompt at 4 s"),
    /// in the result's order, and its first prompt by `promptLabel`.
    static func truncationNotes(
        _ result: Reel_V1_PromptResult, maxTokens: Int, promptLabel: String = "prompt", laterLabels: [String] = []
    ) -> [String] {
        let later = zip(laterLabels, result.laterPiecesCut).map { ($0, $1) }
        return ([(promptLabel, result.promptPiecesCut), ("negative prompt", result.negativePiecesCut)] + later).compactMap { which, cut in
            guard cut > 0 else { return nil }
            return "the \(which) has \(Int(cut) + maxTokens) tokens with </s>; its last \(cut) were cut to fit \(maxTokens), "
                + "as WanPipeline does (shorten it to keep all of it)"
        }
    }

}

extension FarmAPI {
    /// Event kinds that warn the job's owner about its inputs; `reel status JOB` prints them.
    public static let warningEventKinds: Set<String> = [EventKind.promptTruncated.rawValue]
}
