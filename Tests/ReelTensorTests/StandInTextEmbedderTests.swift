import ReelHash
import ReelTensor
import Testing

@Suite struct StandInTextEmbedderTests {
    /// The embeddings are pinned: jobs submitted with `--prompt` are stored with
    /// these bytes, so a change would silently give old prompts new embeddings.
    /// The digest was checked against a Python rewrite (SHA-256 of the word, its
    /// first 8 bytes big-endian as a SplitMix64 seed, Box–Muller in doubles).
    @Test func embeddingsArePinned() {
        let embedder = StandInTextEmbedder(width: 8, tokens: 6)
        let out = embedder.embed("A red  fox in\tsnow")
        #expect(out.shape == [6, 8])
        #expect(Array(out.storage[40...]) == Array(repeating: 0, count: 8), "one row per word, then zero rows")
        #expect(out.storage[0 ..< 8] == embedder.embed("a").storage[0 ..< 8], "words are lowercased")
        #expect(SHA256.hex(SHA256.hash(littleEndian: out.storage)) == "f1936795aa10ff4ecdfa443e3a3524dde01fcc5bd7232f7a88c4e04a6b09b51e")
    }
}
