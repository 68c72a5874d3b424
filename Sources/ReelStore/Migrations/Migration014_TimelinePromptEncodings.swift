extension Migration {
    /// A prompt timeline's later prompts encoded on a worker (issue 16): a job on a
    /// model with a real text encoder keeps its one `prompt_encodings` row, which
    /// now also names the timeline's distinct later prompts (`later_prompts`, in
    /// the order the worker encodes them) and, once done, their embeddings' blobs
    /// (`later_sha256`, one per prompt, in the same order). JSON arrays rather than
    /// `text[]`, so the rows read back as the JSON the store already decodes.
    ///
    /// The schema holds the rules: at most 16 later prompts (a timeline's limit,
    /// `JobRequest.maxTimelinePrompts`), hex SHA-256 blobs, and a done encoding has
    /// exactly one blob per later prompt (a row from before this migration has
    /// none of either, so it stays valid).
    ///
    /// Numbered 14 on this branch; the merger renumbers it after the other
    /// migrations of this round (planned: 16).
    static let timelinePromptEncodings = Migration(
        version: 14, name: "timeline prompt encodings",
        sql: #"""
            -- CASE, not AND: PostgreSQL does not promise to stop at a false
            -- jsonb_typeof, and jsonb_array_length raises on a non-array.
            CREATE FUNCTION reel_jsonb_length(value jsonb) RETURNS int LANGUAGE sql IMMUTABLE AS $$
                SELECT CASE WHEN jsonb_typeof(value) = 'array' THEN jsonb_array_length(value) END
            $$;
            ALTER TABLE prompt_encodings
                ADD COLUMN later_prompts jsonb NOT NULL DEFAULT '[]',
                ADD COLUMN later_sha256 jsonb,
                ADD CONSTRAINT prompt_encodings_later_prompts_are_texts
                    CHECK (coalesce(reel_jsonb_length(later_prompts) <= 16, false)
                        AND NOT jsonb_path_exists(later_prompts, '$[*] ? (@.type() != "string")')),
                ADD CONSTRAINT prompt_encodings_later_sha256_are_blobs
                    CHECK (later_sha256 IS NULL OR (reel_jsonb_length(later_sha256) IS NOT NULL
                        AND NOT jsonb_path_exists(later_sha256, '$[*] ? (@.type() != "string" || !(@ like_regex "^[0-9a-f]{64}$"))'))),
                ADD CONSTRAINT prompt_encodings_done_has_later_embeddings
                    CHECK (state <> 'done' OR reel_jsonb_length(later_prompts) = coalesce(reel_jsonb_length(later_sha256), 0));
            """#)
}
