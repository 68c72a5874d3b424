import Foundation
import ReelPlan

/// A `prompt_encodings` row: the texts a worker encodes for a job, and the lease.
public struct PromptEncodingRow: Hashable, Sendable {
    public var job: Int64
    /// The prompt as submitted (the worker cleans it as WanPipeline does).
    public var prompt: String
    /// The negative prompt to encode too (guidance > 1), or `nil` for none.
    public var negativePrompt: String?
    /// The ``prompt_embeddings_cache`` key the result is stored under.
    public var cacheKey: String
    /// The lease columns; `outputSHA` is the prompt embeddings' blob.
    public var status: WorkStatus
    /// The negative prompt embeddings' blob, once done.
    public var negativeSHA: String?
    /// A prompt timeline's distinct later prompts, encoded after the prompt (empty without a timeline).
    public var laterPrompts: [String]
    /// Their embeddings' blobs, in the same order, once done (`nil` before).
    public var laterSHAs: [String]?

    init(row: PostgresRow) throws(StoreError) {
        job = try row.get("job_id")
        prompt = try row.get("prompt")
        negativePrompt = try row.get("negative_prompt")
        cacheKey = try row.get("cache_key")
        status = try WorkStatus(row: row)
        negativeSHA = try row.get("negative_sha256")
        laterPrompts = try Self.strings(row, "later_prompts") ?? []
        laterSHAs = try Self.strings(row, "later_sha256")
    }

    /// A `jsonb` array of strings (``Migration/timelinePromptEncodings``), or `nil` for SQL NULL.
    private static func strings(_ row: PostgresRow, _ column: String) throws(StoreError) -> [String]? {
        let text: String? = try row.get(column)
        guard let json = text else { return nil }
        guard let strings = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
            throw .badValue(column: column, expected: "a JSON array of strings", found: json)
        }
        return strings
    }
}

/// What a job needs encoded before its shards can run.
public struct PromptEncodingRequest: Hashable, Sendable {
    public var prompt: String
    public var negativePrompt: String?
    public var cacheKey: String
    /// A prompt timeline's distinct later prompts (at most 16), encoded by the same worker.
    public var laterPrompts: [String]

    public init(prompt: String, negativePrompt: String?, cacheKey: String, laterPrompts: [String] = []) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.cacheKey = cacheKey
        self.laterPrompts = laterPrompts
    }
}

/// Embeddings already stored for a cache key.
public struct CachedEmbeddings: Hashable, Sendable {
    public var promptSHA: String
    public var negativeSHA: String?

    public init(promptSHA: String, negativeSHA: String?) {
        self.promptSHA = promptSHA
        self.negativeSHA = negativeSHA
    }
}
