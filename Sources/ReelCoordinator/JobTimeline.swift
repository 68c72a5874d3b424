import ReelPlan

/// A prompt-timeline job's text conditioning as the coordinator sends it: each
/// window's prompts by content address, with the weights ``Plan/promptWeights(_:)``
/// gives. The first prompt's embeddings are the job's own (`JobRuntime.promptSHA`),
/// so a timeline of one prompt is an ordinary job; the later prompts' are stored
/// with the job (``StoredJob/timelineEmbeds``).
struct JobTimeline: Sendable, Equatable {
    /// Per window, the prompts it mixes (index into the timeline) and their weights.
    let weights: [[PromptWeight]]
    /// Blob SHA-256 of the embeddings of the timeline's prompts 1, 2, …
    let laterSHAs: [String]

    /// The timeline of `request` over `plan`, with the later prompts' embeddings at
    /// `laterSHAs`; nil for a job without one.
    init?(request: JobRequest, plan: Plan, laterSHAs: [String]) throws(PlanError) {
        guard let timeline = try request.timeline(plan: plan) else { return nil }
        guard timeline.prompts.count == laterSHAs.count + 1 else {
            throw .invalidTimeline("\(timeline.prompts.count) prompts but \(laterSHAs.count + 1) stored embeddings")
        }
        weights = plan.promptWeights(timeline)
        self.laterSHAs = laterSHAs
    }

    /// What window `window` is conditioned on: each prompt's embeddings (by blob
    /// SHA-256, the first prompt's being `promptSHA`) and its weight, in prompt order.
    func prompts(window: Int, promptSHA: String) -> [(sha: String, weight: Double)] {
        weights[window].map { ($0.prompt == 0 ? promptSHA : laterSHAs[$0.prompt - 1], $0.weight) }
    }
}
