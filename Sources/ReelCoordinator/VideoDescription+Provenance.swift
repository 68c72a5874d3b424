import Foundation
import ReelPlan

extension VideoDescription {
    /// Fills in what the provenance record names beyond the job, model and seed:
    /// the conditioning sources by digest (each once, in the stored request's
    /// canonical order), the prompt timeline, and the model folder's digest.
    mutating func addProvenance(of request: JobRequest, modelDigest: String) {
        var seen: Set<String> = []
        sources = (request.conditioning ?? []).map(\.source.digest).filter { seen.insert($0).inserted }
        if let later = request.prompts, !later.isEmpty {
            timeline = [TimedPrompt(at: 0, text: request.prompt ?? "")] + later
        }
        self.modelDigest = modelDigest
    }

    /// The tags the provenance record carries beyond ``VideoMetadata``'s own
    /// (`reel_job_id`, `reel_seed`, `reel_model`, `ai_generated`, …), each only when
    /// it has something to say:
    /// - `reel_sources`: the conditioning sources' SHA-256 digests, space-separated;
    /// - `reel_prompts`: the prompt timeline as JSON, `[{"at": 0, "text": "…"}, …]`;
    /// - `reel_model_digest`: the model folder's digest.
    public var provenanceTags: [String: String] {
        var tags: [String: String] = [:]
        if !sources.isEmpty { tags["reel_sources"] = sources.joined(separator: " ") }
        if !timeline.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(timeline) { tags["reel_prompts"] = String(decoding: data, as: UTF8.self) }
        }
        if !modelDigest.isEmpty { tags["reel_model_digest"] = modelDigest }
        return tags
    }
}
