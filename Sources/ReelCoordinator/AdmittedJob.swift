import ReelPlan
import ReelTensor
import ReelText

/// A submission that passed every check the coordinator makes before storing it:
/// the admission limits, a model some worker offers, a plan, and embeddings that
/// fit the model. Built from the API's decoded JSON alone, with no loop state, so
/// the whole path from a client's bytes to a stored job can be fuzzed.
struct AdmittedJob {
    let request: JobRequest
    let model: ModelGeometry
    let plan: Plan
    /// `(L, textDim)` prompt embeddings, row-major; empty when ``encoding`` is set.
    let prompt: [Float]
    /// The negative prompt's embeddings, when guidance uses them (and no encoding).
    let negative: [Float]?
    /// Where the embeddings come from (a cache hit turns `.worker` into `.cache`).
    let source: EmbeddingsSource
    /// The texts a worker encodes, for a model with a real text encoder: the
    /// prompt, the negative prompt (`""` when none was given) with guidance, and a
    /// timeline's distinct later prompts (``JobTimeline/laterTexts(of:)``).
    let encoding: (prompt: String, negative: String?, later: [String])?
    /// The stand-in embeddings of a prompt timeline's prompts after the first
    /// (``checkTimeline(_:plan:limits:)``); empty without a timeline.
    let laterPrompts: [[Float]]
    /// The conditioning items placed on the plan (canonical order); nil without any.
    let conditioning: ConditioningPlan?

    /// Checks `submission` against `limits` and the `models` workers offer, in the
    /// order that makes an oversized job cost nothing: limits first, then the plan,
    /// then the embeddings. Throws ``APIError/badRequest(_:)`` naming what to change.
    ///
    /// `textEncoders` are the models whose folder has a real text encoder: their
    /// prompts are encoded on a worker, never by the stand-in embedder, and real
    /// embeddings are never mixed with stand-in ones.
    init(
        _ submission: FarmAPI.SubmitRequest, limits: AdmissionLimits, models: [String: ModelGeometry], textEncoders: Set<String> = []
    ) throws(APIError) {
        var request = submission.request
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
        // Checked in the submitted order, so an error numbers the items as the client wrote them.
        _ = try Self.checkConditioning(request, plan: plan)
        request = try Self.checkTimeline(request, plan: plan, limits: limits)
        let guided = request.usesGuidance
        let fromFile = submission.promptEmbeds != nil
        if guided, fromFile != (submission.negativePromptEmbeds != nil) {
            // One side real and the other stand-in (or encoded) would guide the
            // sampler between two unrelated spaces.
            throw .badRequest(
                fromFile
                    ? "prompt_embeds is given but negative_prompt_embeds is not: with guidance (--guidance \(request.guidance)) give both files (--negative-prompt-embeds FILE), or both as text, or --guidance 1"
                    : "negative_prompt_embeds is given but prompt_embeds is not: give both files, or both as text (--prompt, --negative-prompt)")
        }
        if textEncoders.contains(request.model), !fromFile {
            guard let text = request.prompt else {
                throw .badRequest("give a prompt (--prompt TEXT) or its embeddings (--prompt-embeds FILE)")
            }
            guard !PromptCleaner.clean(text).isEmpty else {
                throw .badRequest("the prompt is empty after WanPipeline's cleaning: give some words with --prompt TEXT")
            }
            for later in request.prompts ?? [] where PromptCleaner.clean(later.text).isEmpty {
                throw .badRequest("the prompt at \(later.at) s is empty after WanPipeline's cleaning: give some words after the colon (SECONDS:TEXT)")
            }
            prompt = []
            negative = nil
            source = .worker
            encoding = (text, guided ? request.negativePrompt ?? "" : nil, JobTimeline.laterTexts(of: request))
        } else {
            prompt = try Self.embeddings(submission.promptEmbeds, text: request.prompt, name: "prompt_embeds", model: model)
            negative =
                guided
                ? try Self.embeddings(submission.negativePromptEmbeds, text: request.negativePrompt ?? "", name: "negative_prompt_embeds", model: model)
                : nil
            source = fromFile ? .file : .standIn
            encoding = nil
        }
        laterPrompts = try Self.laterPromptEmbeddings(
            request, model: model, fromFile: fromFile, encodedOnWorker: textEncoders.contains(request.model))
        // Equivalent conditioning lists are stored as one form (see JobRequest.canonicalConditioning).
        self.request = request.canonicalizingConditioning(temporalStride: model.temporalStride)
        // Placed from the stored (canonical) list: item i is source encoding i.
        conditioning = try Self.checkConditioning(self.request, plan: plan)
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
                let width = given.shape.count == 2 ? " (width \(given.shape[1]), the model's text_dim is \(model.textDim))" : ""
                throw .badRequest("\(name) has shape \(given.shape)\(width); model '\(model.name)' expects (L ≤ 4096, \(model.textDim)): encode the prompt for this model (`reel model encode-text`)")
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
