import Foundation
import Testing
import ReelModel
import ReelTensor
import ReelText

/// The umT5 encoder and WanPipeline's `encode_prompt` against transformers and
/// diffusers on the committed cases (F32 and BF16 weights, sharded checkpoints).
@Suite struct UMT5ParityTests {
    /// The requirement is 1e-4 · max|ref|; float32 lands near 1e-6 here.
    static let tolerance: Float = 1e-4

    @Test func fixturesArePresent() {
        #expect(UMT5Fixture.all.map(\.name) == ["bf16_tiny", "fp32_tiny"])
    }

    @Test(arguments: UMT5Fixture.all)
    func encodePromptMatchesDiffusers(_ fixture: UMT5Fixture) throws {
        let settings = try fixture.settings()
        let folder = try TextEncoderFolder(path: try fixture.assembledFolder())
        let model = try folder.load()
        for (label, prompts, key) in [
            ("prompt", settings.prompts, "prompt_embeds"), ("negative", settings.negative_prompts, "negative_prompt_embeds"),
        ] {
            let reference = try fixture.reference(key)  // (B, kept_rows, D)
            let lengths = try fixture.reference(key == "prompt_embeds" ? "seq_lens" : "negative_seq_lens").storage.map { Int($0) }
            for (b, prompt) in prompts.enumerated() {
                let ours = try model.encodePrompt(prompt, tokenizer: folder.tokenizer, allowEmpty: true)
                #expect(ours.tokens.length == lengths[b])
                #expect(ours.embeddings.shape == [1, 512, folder.config.d_model])
                let d = folder.config.d_model, kept = settings.kept_rows
                let head = try Tensor(shape: [kept, d], storage: Array(ours.embeddings.storage[0 ..< kept * d]))
                #expect(relativeMaxdiff("\(fixture) \(label) \(b)", head, reference.slice(b)) <= Self.tolerance)
                // The pipeline zeroes every row past the prompt's length, up to 512.
                #expect(ours.embeddings.storage[(ours.tokens.length * d)...].allSatisfy { $0 == 0 })
                #expect(ours.embeddings.storage[((ours.tokens.length - 1) * d) ..< (ours.tokens.length * d)].contains { $0 != 0 })
            }
        }
        if let long = settings.long_prompt {
            let ours = try model.encodePrompt(long, tokenizer: folder.tokenizer)
            #expect(ours.tokens.length == 512)
            #expect(ours.tokens.truncatedPieces > 0)
            #expect(relativeMaxdiff("\(fixture) long prompt", ours.embeddings, try fixture.reference("long_prompt_embeds")) <= Self.tolerance)
        }
    }

    @Test func bf16WeightsStayBF16InMemory() throws {
        let bf16 = try TextEncoderFolder(path: try UMT5Fixture(name: "bf16_tiny").assembledFolder())
        let f32 = try TextEncoderFolder(path: try UMT5Fixture(name: "fp32_tiny").assembledFolder())
        let (a, b) = (try bf16.load(), try f32.load())
        // Same shapes: the matrices take half the bytes; norms and biases stay float32.
        print("weight bytes: bf16 checkpoint \(a.weightBytes), f32 checkpoint \(b.weightBytes)")
        #expect(a.weightBytes < b.weightBytes * 6 / 10)
        // Converting F32 to bf16 on load gives the bf16 footprint.
        #expect(try f32.load(storage: .bfloat16).weightBytes == a.weightBytes)
    }

    @Test func relativeBucketsMatchTransformers() throws {
        let fixture = UMT5Fixture(name: "fp32_tiny")
        let folder = try TextEncoderFolder(path: try fixture.assembledFolder())
        let reference = try fixture.reference("relative_buckets").storage.map { Int($0) }
        let c = folder.config
        let ours = (-511 ... 511).map {
            UMT5EncoderModel.relativePositionBucket($0, numBuckets: c.relative_attention_num_buckets, maxDistance: c.relative_attention_max_distance)
        }
        #expect(ours == reference)
    }

    @Test func fastAttentionMatchesNaive() throws {
        var rng = SeededRandom(seed: 7)
        let (length, heads, d) = (37, 3, 8)
        let q = rng.normalTensor([length, heads * d], scale: 1), k = rng.normalTensor([length, heads * d], scale: 1)
        let v = rng.normalTensor([length, heads * d], scale: 1), bias = rng.normalTensor([heads, length, length], scale: 2)
        let fast = try UMT5EncoderModel.attentionKernel(q: q, k: k, v: v, bias: bias, heads: heads)
        let naive = UMT5EncoderModel.naiveAttentionKernel(q: q, k: k, v: v, bias: bias, heads: heads)
        #expect(relativeMaxdiff("umT5 attention", fast, naive) <= 1e-5)
    }

    @Test func bf16LinearMatchesNaive() throws {
        var rng = SeededRandom(seed: 3)
        let x = rng.normalTensor([19, 40], scale: 1)
        let weight = rng.normalTensor([150, 40], scale: 1)
        let bits = weight.storage.map { HalfPrecision.bfloat16(from: $0) }
        let matrix = try BFloat16Matrix(rows: 150, columns: 40, bits: bits)
        let naive = try Linear.naive(x, weight: matrix)
        // The default panel (a thread's share of the 150 rows at this width), panels that leave a ragged
        // last one (16, 64, 7), one row at a time, and more rows than W has.
        for rows in [nil, 16, 64, 7, 1, 500] as [Int?] {
            let fast = try Linear.forward(x, weight: matrix, panelRows: rows)
            #expect(relativeMaxdiff("bf16 linear, panel \(rows.map(String.init) ?? "default")", fast, naive) <= 1e-5)
        }
    }
}
