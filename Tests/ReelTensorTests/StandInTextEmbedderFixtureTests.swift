import Foundation
import ReelTensor
import Testing

/// The stand-in embedder against its Python rewrite (Deploy/train/standin_embed.py),
/// which trains the demo model on the vectors the farm gives it: two independent
/// implementations must agree to the bit, or `--prompt` means something else to the
/// model than it did in training.
@Suite struct StandInTextEmbedderFixtureTests {
    static let fixture = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path + "/standin_embed.safetensors"

    @Test func swiftMatchesThePythonRewriteBitForBit() throws {
        let file = try SafeTensorsFile(path: Self.fixture)
        let prompts = try JSONDecoder().decode([String].self, from: Data(file.metadata["prompts", default: "[]"].utf8))
        let width = Int(file.metadata["width", default: "0"])!, tokens = Int(file.metadata["tokens", default: "0"])!
        // Case, multi-byte and length-changing lowercasing, combining marks, emoji,
        // non-ASCII white space, empty prompts and more words than rows.
        #expect(prompts.count >= 9)
        #expect(prompts.contains { $0.split(separator: " ").count > tokens }, "a prompt with more words than rows")
        let embedder = StandInTextEmbedder(width: width, tokens: tokens)
        var maxdiff: Float = 0
        for (i, prompt) in prompts.enumerated() {
            let expected = try file.tensor("prompt_\(i)")
            let got = embedder.embed(prompt)
            #expect(got.shape == expected.shape)
            let mismatched = zip(got.storage, expected.storage).filter { $0.bitPattern != $1.bitPattern }.count
            for (a, b) in zip(got.storage, expected.storage) { maxdiff = max(maxdiff, abs(a - b)) }
            #expect(mismatched == 0, "prompt \(i) \(prompt.debugDescription): \(mismatched) floats differ in their bits")
        }
        print("stand-in embedder vs standin_embed.py: \(prompts.count) prompts, maxdiff \(maxdiff)")
    }
}
