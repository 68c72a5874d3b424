import Foundation
import ReelModel
import ReelTensor
import Testing
@testable import ReelCLI

/// `reel model dit` through the real argument parsing.
@Suite struct ModelDiTCommandTests {
    let dir = NSTemporaryDirectory() + "reel-dit-cli-\(UUID().uuidString)"

    /// A folder with only `transformer/` (no scheduler, no VAE): a forward does not
    /// use them, so the command must run and write a sample of the input's shape.
    @Test func runsOnAFolderWithOnlyTheTransformer() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/model"
        try ModelInitCommand.parse(["--preset", "tiny", "--out", model, "--seed", "3"]).run()
        for part in ["scheduler", "vae"] { try FileManager.default.removeItem(atPath: model + "/" + part) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: model) == ["transformer"])

        var random = SeededRandom(seed: 5)
        let inputs = dir + "/inputs.safetensors"
        try SafeTensorsWriter.write(
            [
                .init("hidden_states", random.normalTensor([1, 16, 2, 4, 6])),
                .init("timestep", Tensor(shape: [1], storage: [700])),
                .init("encoder_hidden_states", random.normalTensor([1, 5, 64])),
            ], to: inputs)
        try ModelDiTCommand.parse([model, "--inputs", inputs, "--output", dir + "/out.safetensors"]).run()
        let sample = try SafeTensorsFile(path: dir + "/out.safetensors").tensor("sample")
        #expect(sample.shape == [1, 16, 2, 4, 6])
        #expect(sample.isFinite)
    }
}
