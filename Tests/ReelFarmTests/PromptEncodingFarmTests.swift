import Foundation
import ReelCoordinator
import ReelHash
import ReelModel
import ReelPlan
import ReelTensor
import Testing

/// Prompts encoded on the farm's workers (issue 13, item 4), through real
/// processes: a model folder with a tokenizer and a tiny umT5 encoder (the
/// fixtures of Deploy/reference/make_umt5_fixtures.py) beside the tiny preset.
@Suite(.serialized, .farmSlot) struct PromptEncodingFarmTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ReelModelTests/Fixtures/umt5").path
    static let prompt = "A lighthouse in a storm, waves  crashing &amp; gulls"
    static let negative = "blurry"

    /// `models/tinytext`: the tiny preset plus `tokenizer/` and `text_encoder/`.
    static func makeModel(in models: String) throws -> String {
        let folder = models + "/tinytext"
        let preset = ModelPreset.tiny
        try ModelFolder.create(at: folder, transformer: preset.transformer, scheduler: preset.scheduler, vae: preset.vae, seed: 0)
        try FileManager.default.copyItem(atPath: fixtures + "/fp32_tiny/model/text_encoder", toPath: folder + "/text_encoder")
        try FileManager.default.copyItem(atPath: fixtures + "/tokenizer", toPath: folder + "/tokenizer")
        return folder
    }

    static func request(name: String) -> JobRequest {
        JobRequest(
            name: name, model: "tinytext", prompt: prompt, negativePrompt: negative, frames: 17, fps: 16, width: 64, height: 64, seed: 7,
            guidance: 5, plan: PlanConfig(window: 3, overlap: 1, steps: 4, blendEvery: 2))
    }

    /// `reel model encode-text` on the same folder, with the worker's thread count.
    static func encodeText(_ farm: ProcessFarm, folder: String) throws -> (prompt: Tensor, negative: Tensor) {
        let output = farm.directory.appendingPathComponent("embeds.safetensors").path
        let process = try ChildProcess(
            TestFarm.reelBinary,
            ["model", "encode-text", folder, "--prompt", prompt, "--negative-prompt", negative, "--output", output, "--threads", "1"],
            log: farm.directory.appendingPathComponent("encode-text.log"))
        #expect(process.wait(timeout: .seconds(60)))
        let file = try SafeTensorsFile(path: output)
        return (try file.tensor("prompt_embeds"), try file.tensor("negative_prompt_embeds"))
    }

    static func blobSHA(_ tensor: Tensor) -> String { SHA256.hex(SHA256.hash(littleEndian: tensor.storage)) }

    @Test func promptsAreEncodedOnAWorkerOnceAndMatchEncodeText() async throws {
        let farm = try ProcessFarm()
        defer { farm.stop() }
        let folder = try Self.makeModel(in: farm.models)
        try await farm.startCoordinator()
        // A worker that has the folder but does not encode: the job waits, and says why.
        try farm.startWorker("denoiser", arguments: ["--no-prompt-encoding"])
        try await farm.waitForWorkers(1)
        let first = try await farm.client.submit(FarmAPI.SubmitRequest(request: Self.request(name: "encoded")))
        try await Task.sleep(for: .seconds(1))
        let waiting = try await farm.client.job(first)
        #expect(waiting.embeddings == "encoded on a worker")
        #expect(waiting.waiting?.contains("can encode prompts for model 'tinytext'") == true, "\(waiting.waiting ?? "")")
        #expect(waiting.shards["done", default: 0] == 0 && waiting.shards["ready", default: 0] == 0)
        #expect(try farm.cli(["status", "\(first)"]).contains("waiting: waiting for a worker that can encode prompts"))

        try farm.startWorker("encoder")
        let done = try await farm.waitForEnd(first, timeout: .seconds(300))
        #expect(done.state == "succeeded", "\(done.reason ?? "")")
        let store = try farm.store()
        let row = try #require(try store.job(id: first))
        let encoding = try #require(try store.promptEncoding(job: first))
        #expect(encoding.status.state == .done && encoding.status.worker == "encoder")

        // The job's embeddings are the bytes `reel model encode-text` writes for
        // the same folder and prompts ([1, 512, 64], stored as the (512, 64) floats
        // `--prompt-embeds` stores).
        let reference = try Self.encodeText(farm, folder: folder)
        #expect(reference.prompt.shape == [1, 512, 64])
        #expect(row.promptEmbedsSHA == Self.blobSHA(reference.prompt))
        #expect(row.negativeEmbedsSHA == Self.blobSHA(reference.negative))
        let log = try String(contentsOf: farm.directory.appendingPathComponent("encoder.log"), encoding: .utf8)
        #expect(log.components(separatedBy: "text encoder loaded").count == 2, "the encoder loads once")

        // The same prompt on the same model (once cleaned as WanPipeline does): a
        // cache hit, no second encoding.
        var same = Self.request(name: "cached")
        same.prompt = "  " + Self.prompt.replacingOccurrences(of: " in ", with: " in&#32; ") + "\n"
        let second = try await farm.client.submit(FarmAPI.SubmitRequest(request: same))
        let again = try await farm.waitForEnd(second, timeout: .seconds(300))
        #expect(again.state == "succeeded" && again.embeddings == "encoded on a worker (cached)", "\(again.reason ?? "")")
        #expect(try store.promptEncoding(job: second) == nil)
        #expect(try store.job(id: second)?.promptEmbedsSHA == row.promptEmbedsSHA)
        #expect(again.latentsSha256 == done.latentsSha256)

        // The same job from the file: the same latents.
        func embeds(_ tensor: Tensor) -> FarmAPI.EncodedTensor { FarmAPI.EncodedTensor(shape: [512, 64], values: tensor.storage) }
        var fromFile = Self.request(name: "file")
        fromFile.prompt = nil
        let third = try await farm.client.submit(
            FarmAPI.SubmitRequest(request: fromFile, promptEmbeds: embeds(reference.prompt), negativePromptEmbeds: embeds(reference.negative)))
        let file = try await farm.waitForEnd(third, timeout: .seconds(300))
        #expect(file.state == "succeeded" && file.embeddings == "file", "\(file.reason ?? "")")
        let latents = try #require(done.latentsSha256)
        #expect(file.latentsSha256 == latents)
        print("prompt encoded on a worker: latents_sha256 \(latents) for the encoded, cached and file jobs")

        // Embeddings of another width, or half given as a file, are refused.
        let wide = FarmAPI.EncodedTensor(shape: [4, 32], values: [Float](repeating: 0, count: 128))
        do {
            _ = try await farm.client.submit(FarmAPI.SubmitRequest(request: fromFile, promptEmbeds: wide, negativePromptEmbeds: wide))
            Issue.record("prompt embeddings 32 wide must be refused for a model whose text_dim is 64")
        } catch {
            #expect("\(error)".contains("the model's text_dim is 64"), "\(error)")
        }
        do {
            _ = try await farm.client.submit(FarmAPI.SubmitRequest(request: fromFile, promptEmbeds: embeds(reference.prompt)))
            Issue.record("a job with real prompt embeddings and a stand-in negative prompt must be refused")
        } catch {
            #expect("\(error)".contains("negative_prompt_embeds is not"), "\(error)")
        }

        // A prompt over 512 tokens is cut on the worker, and the job says so: an
        // event in the API (and so the dashboard's log) and a line in `reel status`.
        // How much is cut comes from transformers' tokenizer (tokens.json).
        let long = try Self.longestTokenCase()
        var longRequest = Self.request(name: "long prompt")
        longRequest.prompt = long.prompt
        let fourth = try await farm.client.submit(FarmAPI.SubmitRequest(request: longRequest))
        var notes: [FarmAPI.Event] = []
        try await ProcessFarm.waitUntil(timeout: .seconds(120), logs: farm.directory) {
            notes = try await farm.client.events(job: fourth).filter { $0.kind == "prompt.truncated" }
            return !notes.isEmpty
        }
        let cut = long.untruncatedLength - 512
        #expect(notes.count == 1, "only the prompt is long, not the negative prompt: \(notes)")
        #expect(notes.first?.worker == "encoder")
        #expect(notes.first?.detail?.contains("the prompt has \(long.untruncatedLength) tokens with </s>; its last \(cut) were cut to fit 512") == true,
                "\(notes.first?.detail ?? "")")
        let status = try farm.cli(["status", "\(fourth)"])
        #expect(status.contains("warning: the prompt has \(long.untruncatedLength) tokens"), "\(status)")
        print("a \(long.untruncatedLength)-token prompt: event '\(notes.first?.detail ?? "")'")
    }

    /// The longest prompt of the tokenizer fixtures and its length before truncation, as transformers counts it.
    static func longestTokenCase() throws -> (prompt: String, untruncatedLength: Int) {
        struct Cases: Decodable {
            struct Case: Decodable {
                let prompt: String
                let untruncated_length: Int
            }
            let cases: [Case]
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/tokens.json"))
        let longest = try #require(try JSONDecoder().decode(Cases.self, from: data).cases.max { $0.untruncated_length < $1.untruncated_length })
        #expect(longest.untruncated_length > 512, "tokens.json needs a prompt over 512 tokens")
        return (longest.prompt, longest.untruncated_length)
    }
}
