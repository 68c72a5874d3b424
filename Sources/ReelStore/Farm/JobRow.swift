import ReelPlan

/// A `jobs` row.
public struct JobRow: Hashable, Sendable {
    public var id: Int64
    /// A label chosen by the submitter (stored verbatim).
    public var name: String
    /// The model folder or name the job runs.
    public var model: String
    /// The job request as the coordinator serialised it (JSON; key order and spacing
    /// are PostgreSQL's `jsonb` normal form, not the submitted text).
    public var spec: String
    /// Blob key of the prompt embeddings.
    public var promptEmbedsSHA: String?
    /// Blob key of the negative prompt embeddings.
    public var negativeEmbedsSHA: String?
    public var state: JobState.Name
    /// The run (job attempt): 1 for the first, one more per retry.
    public var run: Int
    /// Higher runs first.
    public var priority: Int
    /// Why it failed (failed only, kept after a retry until the next failure).
    public var reason: String?
    /// Blob key of the blended final latents.
    public var latentsSHA: String?
    /// Blob key of the encoded video.
    public var outputSHA: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// When it succeeded, failed or was cancelled.
    public var finishedAt: Timestamp?
    /// When its blobs (embeddings, outputs, latents, video) were deleted under the
    /// result retention policy; nil while they are kept.
    public var expiredAt: Timestamp?

    /// The select list that ``init(row:)`` reads.
    static let columns = """
        id, name, model, spec, prompt_embeds_sha256, negative_embeds_sha256, state, run, priority, reason,
        latents_sha256, output_sha256, (extract(epoch FROM created_at) * 1000)::bigint AS created_at_ms,
        (extract(epoch FROM updated_at) * 1000)::bigint AS updated_at_ms,
        (extract(epoch FROM finished_at) * 1000)::bigint AS finished_at_ms,
        (extract(epoch FROM expired_at) * 1000)::bigint AS expired_at_ms
        """

    init(row: PostgresRow) throws(StoreError) {
        id = try row.get("id")
        name = try row.get("name")
        model = try row.get("model")
        spec = try row.get("spec")
        promptEmbedsSHA = try row.get("prompt_embeds_sha256")
        negativeEmbedsSHA = try row.get("negative_embeds_sha256")
        state = try row.get("state")
        run = try row.get("run")
        priority = try row.get("priority")
        reason = try row.get("reason")
        latentsSHA = try row.get("latents_sha256")
        outputSHA = try row.get("output_sha256")
        createdAt = try row.get("created_at_ms")
        updatedAt = try row.get("updated_at_ms")
        finishedAt = try row.get("finished_at_ms")
        expiredAt = try row.get("expired_at_ms")
    }
}
