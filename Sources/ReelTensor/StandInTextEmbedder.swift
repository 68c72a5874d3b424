import ReelHash

/// **Stand-in** for a text encoder: turns a prompt into embeddings of a model's
/// text width deterministically, for models shipped without one (the tiny and
/// small presets, which have random weights anyway). It is not a language model
/// and carries no meaning; `--prompt-embeds` takes real umT5 outputs instead.
///
/// The layout follows what WanPipeline hands the transformer: one row per token,
/// padded with zero rows to a fixed length. Each whitespace-separated word maps to
/// a unit-variance vector seeded by the SHA-256 of its lowercase text, so equal
/// prompts give equal embeddings on every machine and the same word always maps to
/// the same row value.
///
/// It lives beside ``SeededRandom`` rather than in ReelModel so that the
/// coordinator, which embeds prompts at submission, does not link the inference
/// engine.
public struct StandInTextEmbedder: Sendable {
    /// The transformer's `text_dim`.
    public let width: Int
    /// Rows of the output (WanPipeline's `max_sequence_length` is 512).
    public let tokens: Int

    public init(width: Int, tokens: Int = 512) {
        precondition(width > 0 && tokens > 0, "stand-in embedder needs a positive width and token count")
        self.width = width
        self.tokens = tokens
    }

    /// `(tokens, width)`: one row per word (up to `tokens`), then zero rows.
    public func embed(_ prompt: String) -> Tensor {
        var out = Tensor(zeros: [tokens, width])
        let words = prompt.lowercased().split(whereSeparator: { $0.isWhitespace }).prefix(tokens)
        for (row, word) in words.enumerated() {
            let digest = SHA256.hash(Array(word.utf8))
            let seed = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            var random = SeededRandom(seed: seed)
            for j in 0 ..< width { out.storage[row * width + j] = random.normal() }
        }
        return out
    }
}
