import Foundation
import ReelMedia
import ReelModel
import ReelTensor
import Testing
@testable import ReelCLI

/// `reel model init | decode | encode | render` through the real argument parsing,
/// on a tiny-preset folder with random weights.
@Suite struct VAECommandTests {
    let dir = NSTemporaryDirectory() + "reel-vae-cli-\(UUID().uuidString)"
    var model: String { dir + "/model" }

    init() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try ModelInitCommand.parse(["--preset", "tiny", "--out", dir + "/model", "--seed", "3"]).run()
    }

    func write(_ name: String, _ tensor: Tensor, as tensorName: String) throws -> String {
        let path = dir + "/" + name
        try SafeTensorsWriter.write([.init(tensorName, tensor)], to: path)
        return path
    }

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "(no error)"
        } catch {
            return "\(error)"
        }
    }

    @Test func initWritesAVAEThatLoadsAndInfoDescribesIt() throws {
        let vae = try WanVAE(folder: URL(fileURLWithPath: model))
        #expect(vae.config == ModelPreset.tiny.vae)
        let info = try ModelFolder(path: model).info()
        #expect(info.contains("vae: AutoencoderKLWan") && info.contains("parameters: \(vae.parameterCount)"), "\(info)")
    }

    @Test func decodeAndEncodeFilesMatchTheAPI() throws {
        var rng = SeededRandom(seed: 1)
        let latents = rng.normalTensor([1, 16, 2, 2, 3])
        let inputs = try write("latents.safetensors", latents, as: "latents")
        try ModelDecodeCommand.parse([model, "--inputs", inputs, "--output", dir + "/sample.safetensors", "--threads", "1"]).run()
        let sample = try SafeTensorsFile(path: dir + "/sample.safetensors").tensor("sample")
        let vae = try WanVAE(folder: URL(fileURLWithPath: model))
        #expect(sample.shape == [1, 3, 5, 16, 24])
        #expect(sample == (try vae.decode(latents)))

        let video = try write("video.safetensors", sample, as: "sample")
        try ModelEncodeCommand.parse([model, "--inputs", video, "--output", dir + "/mean.safetensors"]).run()
        let mean = try SafeTensorsFile(path: dir + "/mean.safetensors").tensor("latents")
        #expect(mean.shape == [1, 16, 2, 2, 3])
        #expect(mean == (try vae.encode(sample)))
    }

    @Test func renderWritesAnMP4OfEveryDecodedFrame() throws {
        var rng = SeededRandom(seed: 2)
        let inputs = try write("clip.safetensors", rng.normalTensor([1, 16, 3, 2, 4]), as: "latents")
        let output = dir + "/clip.mp4"
        try ModelRenderCommand.parse([model, "--inputs", inputs, "--output", output, "--fps", "8", "--preset", "ultrafast"]).run()
        let info = try MediaReader.info(url: URL(fileURLWithPath: output))
        #expect(info.width == 32 && info.height == 16)
        #expect(info.frameCount == 9)
        #expect(info.metadata["ai_generated"] == "true")
    }

    @Test func badLatentsAreNamedAndLeaveNoOutput() throws {
        var rng = SeededRandom(seed: 3)
        let wrongChannels = try write("c15.safetensors", rng.normalTensor([1, 15, 2, 2, 2]), as: "latents")
        let wrongRank = try write("rank3.safetensors", rng.normalTensor([16, 2, 2]), as: "latents")
        let misnamed = try write("noise.safetensors", rng.normalTensor([1, 16, 2, 2, 2]), as: "noise")
        for (inputs, expected) in [(wrongChannels, "[1, 15, 2, 2, 2]"), (wrongRank, "[16, 2, 2]")] {
            for command in ["decode", "render"] {
                let output = dir + "/out-\(command)" + (command == "render" ? ".mp4" : ".safetensors")
                let text = message {
                    if command == "decode" {
                        try ModelDecodeCommand.parse([model, "--inputs", inputs, "--output", output]).run()
                    } else {
                        try ModelRenderCommand.parse([model, "--inputs", inputs, "--output", output]).run()
                    }
                }
                #expect(text.contains("'latents'") && text.contains(expected) && text.contains("z_dim = 16"), "\(text)")
                #expect(!FileManager.default.fileExists(atPath: output))
            }
        }
        let missing = message { try ModelRenderCommand.parse([model, "--inputs", misnamed, "--output", dir + "/x.mp4"]).run() }
        #expect(missing.contains("'latents'") && missing.contains("noise") && missing.contains(misnamed), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.mp4"))
        #expect(FileManager.default.subpaths(atPath: dir)?.contains { $0.hasSuffix(".mp4") } == false)
    }

    @Test func unwritableOutputFailsBeforeReadingInputs() {
        // The inputs do not exist either: the output check must come first.
        let text = message {
            try ModelRenderCommand.parse([model, "--inputs", dir + "/absent.safetensors", "--output", dir + "/no/such/clip.mp4"]).run()
        }
        #expect(text.contains("does not exist") && text.contains("no/such"), "\(text)")
        let encode = message {
            try ModelEncodeCommand.parse([model, "--inputs", dir + "/absent.safetensors", "--output", dir + "/no/such/l.safetensors"]).run()
        }
        #expect(encode.contains("does not exist"), "\(encode)")
    }

    @Test func badRenderOptionsAreRejectedByTheParser() {
        for arguments in [["--crf", "60"], ["--fps", "0"], ["--preset", "warp"], ["--tile", "20"]] {
            #expect(throws: (any Error).self) {
                try ModelRenderCommand.parse([model, "--inputs", "a", "--output", "b.mp4"] + arguments)
            }
        }
    }
}
