import ReelPlan
import ReelTensor

/// A submission that passed every check the coordinator makes before storing it:
/// the admission limits, a model some worker offers, a plan, and embeddings that
/// fit the model. Built from the API's decoded JSON alone, with no loop state, so
/// the whole path from a client's bytes to a stored job can be fuzzed.
struct AdmittedJob {
    let request: JobRequest
    let model: ModelGeometry
    let plan: Plan
    /// `(L, textDim)` prompt embeddings, row-major.
    let prompt: [Float]
    /// The negative prompt's embeddings, when guidance uses them.
    let negative: [Float]?

    /// Checks `submission` against `limits` and the `models` workers offer, in the
    /// order that makes an oversized job cost nothing: limits first, then the plan,
    /// then the embeddings. Throws ``APIError/badRequest(_:)`` naming what to change.
    init(_ submission: FarmAPI.SubmitRequest, limits: AdmissionLimits, models: [String: ModelGeometry]) throws(APIError) {
        let request = submission.request
        do { try limits.check(request, model: models[request.model]) } catch { throw .badRequest(error.description) }
        guard let model = models[request.model] else {
            let offered = models.keys.sorted()
            throw .badRequest(
                offered.isEmpty
                    ? "no worker is connected yet, so model '\(request.model)' is unknown; start workers (`reel worker` or `reel up --workers N`) and submit again"
                    : "no connected worker offers model '\(request.model)'; available: \(offered.joined(separator: ", "))")
        }
        if let name = request.name, name.count > 200 { throw .badRequest("job name is longer than 200 characters") }
        if let pool = request.pool, !JobRequest.isPoolName(pool) {
            throw .badRequest("pool '\(pool.prefix(80))' is not a pool name: use 1–64 letters, digits, '-', '_' or '.', as given to `reel worker --pool`")
        }
        do { plan = try request.makePlan(model: model) } catch { throw .badRequest(error.description) }
        prompt = try Self.embeddings(submission.promptEmbeds, text: request.prompt, name: "prompt_embeds", model: model)
        negative =
            request.usesGuidance
            ? try Self.embeddings(submission.negativePromptEmbeds, text: request.negativePrompt ?? "", name: "negative_prompt_embeds", model: model)
            : nil
        self.request = request
        self.model = model
    }

    /// Given embeddings (checked against the model's text width) or the stand-in
    /// embedder's rows for `text`.
    private static func embeddings(
        _ given: FarmAPI.EncodedTensor?, text: String?, name: String, model: ModelGeometry
    ) throws(APIError) -> [Float] {
        if let given {
            let values = try given.values(name: name)
            guard given.shape.count == 2, given.shape[1] == model.textDim, given.shape[0] <= 4096 else {
                throw .badRequest("\(name) has shape \(given.shape); model '\(model.name)' expects (L ≤ 4096, \(model.textDim))")
            }
            guard values.allSatisfy(\.isFinite) else { throw .badRequest("\(name) contains NaN or Inf") }
            return values
        }
        guard let text else {
            throw .badRequest("give a prompt (--prompt TEXT) or its embeddings (--prompt-embeds FILE)")
        }
        return StandInTextEmbedder(width: model.textDim, tokens: model.textTokens).embed(text).storage
    }
}
