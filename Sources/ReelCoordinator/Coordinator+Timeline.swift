import ReelPlan
import ReelStore
import ReelWire

/// One prompt of a window's timeline as an assignment carries it.
struct TimelineEntry: Sendable, Equatable {
    /// Blob SHA-256 of the prompt's embeddings; also the worker's cache id.
    var sha: String
    var weight: Double
    /// Whether the worker lacks the embeddings, so the assignment carries them.
    var withEmbeds: Bool
}

extension CoordinatorCore {
    /// The prompts shard `shard`'s window mixes (empty for a job without a
    /// timeline), each marked as used in the worker's embeddings mirror in prompt
    /// order, after the job's own embeddings: the order the worker uses them in.
    mutating func timelineEntries(job: JobRuntime, shard: ShardID, peer: PeerID) -> [TimelineEntry] {
        guard let timeline = job.timeline else { return [] }
        return timeline.prompts(window: job.plan.regions[shard.region].window, promptSHA: job.promptSHA).map { prompt in
            TimelineEntry(sha: prompt.sha, weight: prompt.weight, withEmbeds: !(workers[peer]?.embeddings.use(prompt.sha) ?? false))
        }
    }
}

extension Coordinator {
    /// The wire form of a window's timeline and the tensors it carries (each
    /// prompt's `(L, D)` embeddings the worker lacks, read from the blob store).
    static func timelinePrompts(
        _ entries: [TimelineEntry], width: Int, blobs: BlobStore
    ) throws -> (prompts: [Reel_V1_TimelinePrompt], tensors: [WireTensor]) {
        var prompts: [Reel_V1_TimelinePrompt] = []
        var tensors: [WireTensor] = []
        for (index, entry) in entries.enumerated() {
            var prompt = Reel_V1_TimelinePrompt()
            prompt.weight = entry.weight
            prompt.embeds.embedsID = entry.sha
            if entry.withEmbeds {
                let values = try blobs.getFloats(entry.sha)
                let name = "timeline_prompt_embeds_\(index)"
                var header = Reel_V1_TensorHeader()
                header.name = name
                prompt.embeds.positive = header
                tensors.append(try WireTensor(name: name, shape: [values.count / width, width], values: values))
            }
            prompts.append(prompt)
        }
        return (prompts, tensors)
    }
}
