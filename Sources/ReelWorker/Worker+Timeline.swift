import ReelPlan
import ReelTensor
import ReelWire

/// A window's prompt timeline as the worker received it: each prompt's
/// embeddings (from the assignment or the cache) and its weight, mixed on a
/// compute thread into the window's text conditioning (``PromptMix``).
struct TimelineMix: Sendable {
    var prompts: [(id: String, positive: Tensor, weight: Double)]

    /// The weighted mean of the prompts' embeddings, under an id naming the mix.
    func embeddings() throws(WorkerError) -> DenoiseTask.Embeddings {
        guard let first = prompts.first else { throw WorkerError(.invalidInput, "the assignment's timeline is empty") }
        guard prompts.allSatisfy({ $0.positive.shape == first.positive.shape }),
            let mixed = PromptMix.mix(prompts.map(\.positive.storage), weights: prompts.map(\.weight)),
            let tensor = try? Tensor(shape: first.positive.shape, storage: mixed)
        else {
            throw WorkerError(.invalidInput, "the timeline's prompt embeddings differ in shape: \(prompts.map(\.positive.shape))")
        }
        let id = prompts.count == 1 ? first.id : "mix:" + prompts.map { "\($0.id)*\($0.weight)" }.joined(separator: "+")
        return .init(id: id, tensor: tensor)
    }
}

extension Worker {
    /// Takes an assignment's timeline prompts into the embeddings cache and uses
    /// each once, in order (the coordinator's mirror does the same after the job's
    /// own embeddings). Nil for an assignment without a timeline; throws
    /// `missingEmbeddings` naming a prompt the cache no longer holds.
    func useTimeline(_ a: Reel_V1_ShardAssignment, message: WireMessage) -> Result<TimelineMix?, WorkerError> {
        guard !a.timeline.isEmpty else { return .success(nil) }
        var prompts: [(id: String, positive: Tensor, weight: Double)] = []
        var missing: String?
        for entry in a.timeline {
            let id = entry.embeds.embedsID
            if entry.embeds.hasPositive, let positive = message.tensor(for: entry.embeds.positive) {
                embeds.insert(id, positive: Self.tensor(positive), negative: nil)
            }
            if let held = embeds.use(id) {
                prompts.append((id, held.positive, entry.weight))
            } else {
                missing = missing ?? id
            }
        }
        if let missing { return .failure(WorkerError(.missingEmbeddings, "timeline prompt embeddings '\(missing)' are not in this worker's cache")) }
        guard a.timeline.allSatisfy({ $0.weight > 0 && $0.weight <= 1 }) else {
            return .failure(WorkerError(.invalidInput, "timeline weights \(a.timeline.map(\.weight)) are not all in (0, 1]"))
        }
        return .success(TimelineMix(prompts: prompts))
    }
}
