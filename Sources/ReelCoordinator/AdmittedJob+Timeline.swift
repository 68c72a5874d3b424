import ReelPlan
import ReelTensor

extension AdmittedJob {
    /// Checks a request's prompt timeline against its plan and the prompt limits,
    /// and returns the request with the timeline in canonical form
    /// (``JobRequest/canonicalizingTimeline(plan:)``).
    static func checkTimeline(_ request: JobRequest, plan: Plan, limits: AdmissionLimits) throws(APIError) -> JobRequest {
        for prompt in request.prompts ?? [] where prompt.text.count > limits.maxPromptCharacters {
            throw .badRequest(
                "the prompt at \(prompt.at) s has \(prompt.text.count) characters, more than \(limits.maxPromptCharacters): shorten it (the limit is the coordinator's --max-prompt)")
        }
        do { return try request.canonicalizingTimeline(plan: plan) } catch { throw .badRequest(error.description) }
    }

    /// The stand-in embeddings of the timeline's prompts after the first (the first
    /// is the job's `prompt`); empty without a timeline, and for a model with a real
    /// text encoder, whose later prompts a worker encodes with the job's prompt
    /// (``JobTimeline/laterTexts(of:)``): stand-in embeddings are never mixed with
    /// real ones.
    ///
    /// A timeline needs text: an embeddings file names one prompt.
    static func laterPromptEmbeddings(
        _ request: JobRequest, model: ModelGeometry, fromFile: Bool, encodedOnWorker: Bool
    ) throws(APIError) -> [[Float]] {
        guard let later = request.prompts, !later.isEmpty else { return [] }
        if fromFile {
            throw .badRequest("a prompt timeline (--prompt-at) needs text prompts: drop --prompt-embeds, or drop --prompt-at")
        }
        if encodedOnWorker { return [] }
        let embedder = StandInTextEmbedder(width: model.textDim, tokens: model.textTokens)
        return later.map { embedder.embed($0.text).storage }
    }
}
