extension JobRequest {
    /// The most prompts a timeline may hold. Each distinct prompt is embedded once per
    /// job and sent to a worker once; a worker caches 16 embeddings, so a window never
    /// needs more than its cache holds.
    public static let maxTimelinePrompts = 16

    /// The request's prompt timeline over `plan`'s clip, or nil when it has none
    /// (`prompts` nil or empty).
    ///
    /// `prompt` is the prompt before the first timed one, so the two ways of naming
    /// the first prompt are not both allowed. Times must be finite, in increasing
    /// order (each given once) and inside the clip; texts must not be blank; a still
    /// (one frame) has no timeline.
    /// - Throws: ``PlanError/invalidTimeline(_:)`` saying which prompt to change.
    public func timeline(plan: Plan) throws(PlanError) -> PromptTimeline? {
        guard let prompts, !prompts.isEmpty else { return nil }
        if isStill { throw .invalidTimeline("a still is one frame: give one --prompt instead of --prompt-at") }
        guard prompts.count <= Self.maxTimelinePrompts else {
            throw .invalidTimeline("\(prompts.count) timed prompts: give at most \(Self.maxTimelinePrompts)")
        }
        for p in prompts where !(p.at.isFinite && p.at >= 0) {
            throw .invalidTimeline("prompt at \(p.at) s: a time must be 0 or more")
        }
        for (a, b) in zip(prompts, prompts.dropFirst()) where a.at >= b.at {
            throw .invalidTimeline(
                a.at == b.at
                    ? "two prompts start at \(a.at) s: give each time one prompt"
                    : "the prompt at \(b.at) s comes after the one at \(a.at) s: give the timed prompts in time order")
        }
        for p in prompts where p.text.allSatisfy(\.isWhitespace) {
            throw .invalidTimeline("the prompt at \(p.at) s has no text: give some words after the colon (SECONDS:TEXT)")
        }
        if let prompt, prompts[0].at == 0 {
            throw .invalidTimeline(
                "--prompt '\(prompt.prefix(40))' and the prompt at 0 s both name the first prompt: drop one of them")
        }
        return try PromptTimeline(prompts, base: prompt, seconds: plan.geometry.job.seconds)
    }

    /// The request with its timeline in the one form every equivalent way of writing
    /// it shares: `prompt` is the first prompt (in force from 0 s) and `prompts` the
    /// later ones, nil when there are none, so a timeline of one prompt is stored
    /// exactly as a plain `--prompt` job is.
    /// - Throws: what ``timeline(plan:)`` throws.
    public func canonicalizingTimeline(plan: Plan) throws(PlanError) -> JobRequest {
        guard let timeline = try timeline(plan: plan) else {
            var request = self
            request.prompts = nil
            return request
        }
        var request = self
        request.prompt = timeline.prompts[0].text
        let later = Array(timeline.prompts.dropFirst())
        request.prompts = later.isEmpty ? nil : later
        return request
    }
}

/// How a window's text conditioning is formed from several prompts: the weighted
/// mean of their embeddings (``Plan/promptWeights(_:)`` gives the weights, which sum
/// to 1), row by row. Wan's cross-attention reads one text sequence per window, so
/// the mix is of the embeddings, not of the denoiser's outputs. The negative prompt
/// stays single.
public enum PromptMix {
    /// `Σ weights[i] · embeddings[i]`, accumulated in binary64 and rounded to binary32
    /// once. One prompt of weight 1 comes back unchanged, so a window wholly inside
    /// one prompt's span is conditioned bit for bit as a single-prompt job is.
    /// Nil when the lists differ in length or are empty, or the embeddings differ in size.
    public static func mix(_ embeddings: [[Float]], weights: [Double]) -> [Float]? {
        guard let first = embeddings.first, embeddings.count == weights.count, embeddings.allSatisfy({ $0.count == first.count }) else {
            return nil
        }
        if embeddings.count == 1, weights[0] == 1 { return first }
        var sum = [Double](repeating: 0, count: first.count)
        for (rows, weight) in zip(embeddings, weights) {
            for i in rows.indices { sum[i] += weight * Double(rows[i]) }
        }
        return sum.map { Float($0) }
    }
}
