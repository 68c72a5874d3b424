import Foundation
import ReelModel
import ReelTensor

/// The umT5 cases made by `Deploy/reference/make_umt5_fixtures.py`: one SentencePiece
/// tokenizer shared by all cases, and per case a tiny random `UMT5EncoderModel` with
/// what diffusers' `WanPipeline.encode_prompt` returns for a batch of prompts.
struct UMT5Fixture: CustomStringConvertible, Sendable {
    let name: String
    var description: String { name }

    static var root: String { FixtureCase.root + "/umt5" }
    static var tokenizerDirectory: String { root + "/tokenizer" }
    static var all: [UMT5Fixture] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: root + "/" + $0 + "/case.json") }.sorted().map(UMT5Fixture.init)
    }

    var directory: String { Self.root + "/" + name }

    struct Settings: Decodable {
        let weights_dtype: String
        let prompts: [String]
        let negative_prompts: [String]
        let long_prompt: String?
        let kept_rows: Int
    }

    func settings() throws -> Settings {
        try JSONDecoder().decode(Settings.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/case.json")))
    }

    func reference(_ tensor: String) throws -> Tensor {
        try SafeTensorsFile(path: directory + "/encode_outputs.safetensors").tensor(tensor)
    }

    /// A complete model folder in a temporary directory: the case's `text_encoder/`
    /// with the shared `tokenizer/` beside it (the fixture stores the tokenizer once).
    func assembledFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reel-umt5-\(name)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: directory + "/model/text_encoder", toPath: folder + "/text_encoder")
        try FileManager.default.copyItem(atPath: Self.tokenizerDirectory, toPath: folder + "/tokenizer")
        return folder
    }
}

/// `tokens.json`: prompts with the ids transformers' tokenizer gives after WanPipeline's cleaning.
struct TokenReference: Decodable {
    struct Case: Decodable {
        let prompt: String
        let cleaned: String
        let ids: [Int32]
        let length: Int
        let untruncated_length: Int
    }
    let tokenizer_class: String
    let cases: [Case]

    static func load() throws -> TokenReference {
        try JSONDecoder().decode(TokenReference.self, from: Data(contentsOf: URL(fileURLWithPath: UMT5Fixture.root + "/tokens.json")))
    }
}
