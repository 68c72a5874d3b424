import Foundation
import ReelTensor
import Testing
@testable import ReelCLI

/// `reel model encode-text` through the real argument parsing, on the umT5 fixture
/// that Deploy/reference/make_umt5_fixtures.py made (read from the source tree).
@Suite struct EncodeTextCommandTests {
    let dir = NSTemporaryDirectory() + "reel-encode-text-\(UUID().uuidString)"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ReelModelTests/Fixtures/umt5").path

    /// The fixture's fp32 text encoder with the shared tokenizer beside it.
    func folder() throws -> String {
        let folder = dir + "/model"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/fp32_tiny/model/text_encoder", toPath: folder + "/text_encoder")
        try FileManager.default.copyItem(atPath: Self.fixtures + "/tokenizer", toPath: folder + "/tokenizer")
        return folder
    }

    struct Case: Decodable {
        let prompts: [String]
        let negative_prompts: [String]
    }

    @Test func writesWhatEncodePromptReturnsInTheFileSubmitReads() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let settings = try JSONDecoder().decode(Case.self, from: Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/fp32_tiny/case.json")))
        let reference = try SafeTensorsFile(path: Self.fixtures + "/fp32_tiny/encode_outputs.safetensors")
        let output = dir + "/embeds.safetensors"
        try ModelEncodeTextCommand.parse([
            try folder(), "--prompt", settings.prompts[1], "--negative-prompt", settings.negative_prompts[0], "--output", output,
        ]).run()
        let file = try SafeTensorsFile(path: output)
        for (name, row) in [("prompt_embeds", 1), ("negative_prompt_embeds", 0)] {
            let ours = try file.tensor(name)
            #expect(ours.shape == [1, 512, 64])
            let expected = try reference.tensor(name).slice(row)  // (kept rows, 64)
            let head = try Tensor(shape: expected.shape, storage: Array(ours.storage[0 ..< expected.count]))
            let diff = head.maxAbsDifference(expected)
            print("encode-text \(name): maxdiff \(diff), max|ref| \(expected.maxAbs)")
            #expect(diff <= 1e-4 * expected.maxAbs)
            #expect(ours.storage[expected.count...].allSatisfy { $0 == 0 })
        }
        // `reel submit --prompt-embeds/--negative-prompt-embeds` take this file as it is.
        #expect(try SubmitCommand.embeddings(output, names: ["prompt_embeds"]).shape == [512, 64])
        #expect(try SubmitCommand.embeddings(output, names: ["negative_prompt_embeds", "prompt_embeds"]).shape == [512, 64])
    }

    @Test func refusesAnEmptyPromptAndUnknownWeights() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = try folder()
        #expect(throws: (any Error).self) {
            try ModelEncodeTextCommand.parse([model, "--prompt", "x", "--weights", "fp8", "--output", dir + "/o.safetensors"])
        }
        #expect {
            try ModelEncodeTextCommand.parse([model, "--prompt", "  &nbsp; ", "--output", dir + "/o.safetensors"]).run()
        } throws: { error in
            "\(error)".contains("the prompt is empty after WanPipeline's cleaning")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/o.safetensors"))
    }
}
