/// Provenance written into every video Reel renders.
///
/// In MP4 the writer sets `movflags=use_metadata_tags`, which stores tags as QuickTime
/// `mdta` keys: every key below survives verbatim and libav/ffprobe read it back under
/// the same name (the iTunes-style `©nam`/`©cmt` atoms, which keep only a fixed set of
/// keys and would drop `ai_generated`, are not written).
public struct VideoMetadata: Sendable, Equatable {
    /// `title` tag.
    public var title: String?
    /// The render job's id; goes into `comment` and `reel_job_id`.
    public var jobID: String?
    /// The sampling seed; goes into `comment` and `reel_seed`.
    public var seed: UInt64?
    /// The model name/version; goes into `comment`, `description` and `reel_model`.
    public var model: String?
    /// Free text appended to the generated comment.
    public var note: String?
    /// Marks the video as AI-generated (`ai_generated=true` and a `description` saying so).
    /// Reel always renders synthetic content, hence the default.
    public var aiGenerated: Bool
    /// Further tags written as given (they override generated ones of the same key).
    public var extra: [String: String]

    /// Metadata for one render; every field is optional except the AI marker, on by default.
    public init(
        title: String? = nil, jobID: String? = nil, seed: UInt64? = nil, model: String? = nil,
        note: String? = nil, aiGenerated: Bool = true, extra: [String: String] = [:]
    ) {
        self.title = title
        self.jobID = jobID
        self.seed = seed
        self.model = model
        self.note = note
        self.aiGenerated = aiGenerated
        self.extra = extra
    }

    /// `"job <id>, seed <n>, model <m>"` (parts that are nil left out), then `"; <note>"`.
    public var comment: String? {
        var parts: [String] = []
        if let jobID { parts.append("job \(jobID)") }
        if let seed { parts.append("seed \(seed)") }
        if let model { parts.append("model \(model)") }
        var text = parts.joined(separator: ", ")
        if let note, !note.isEmpty { text += text.isEmpty ? note : "; \(note)" }
        return text.isEmpty ? nil : text
    }

    /// The key/value pairs the writer puts into the container, sorted by key.
    public var tags: [(key: String, value: String)] {
        var tags: [String: String] = [:]
        tags["title"] = title
        tags["comment"] = comment
        tags["reel_job_id"] = jobID
        tags["reel_seed"] = seed.map { String($0) }
        tags["reel_model"] = model
        tags["ai_generated"] = aiGenerated ? "true" : "false"
        if aiGenerated {
            tags["description"] = "AI-generated video (synthetic content) rendered by Reel"
                + (model.map { " with \($0)" } ?? "")
        }
        tags.merge(extra) { _, new in new }
        return tags.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }
}
