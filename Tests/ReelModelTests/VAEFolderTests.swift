import Foundation
import Testing
import ReelModel
import ReelTensor

/// Loading and rejecting VAE folders: every tensor name and shape checked, Wan 2.2
/// options refused by name.
@Suite struct VAEFolderTests {
    let dir = NSTemporaryDirectory() + "reel-vae-\(UUID().uuidString)"

    static var small: WanVAEConfig {
        var c = WanVAEConfig()
        (c.base_dim, c.z_dim, c.dim_mult, c.num_res_blocks) = (4, 4, [1, 2, 2, 2], 1)
        (c.latents_mean, c.latents_std) = ([0, 0, 0, 0], [1, 1, 1, 1])
        return c
    }

    func folder(_ name: String, dtype: DType = .f32) throws -> URL {
        let path = dir + "/" + name
        try WanVAE.createRandom(in: path, config: Self.small, seed: 5, dtype: dtype)
        return URL(fileURLWithPath: path)
    }

    func weightsPath(_ folder: URL) -> String { folder.path + "/vae/diffusion_pytorch_model.safetensors" }

    /// Rewrites the folder's weights through `edit`.
    func rewriteWeights(_ folder: URL, _ edit: (inout [String: Tensor]) -> Void) throws {
        try WeightFileEditing.rewrite(weightsPath(folder), edit)
    }

    func message(_ body: () throws -> Void) -> String { WeightFileEditing.message(body) }

    @Test func createdFolderRoundTripsWithEveryParameterCounted() throws {
        let url = try folder("a")
        let vae = try WanVAE(folder: url)
        #expect(vae.config == Self.small)
        let file = try SafeTensorsFile(path: weightsPath(url))
        #expect(vae.parameterCount == file.names.reduce(0) { $0 + file.entry($1)!.shape.reduce(1, *) })
        #expect(file.names.contains("decoder.up_blocks.0.upsamplers.0.time_conv.weight"))
        #expect(file.entry("encoder.down_blocks.1.resample.1.weight")?.shape == [4, 4, 3, 3])
        // The checkpoint layout comes back from the packed copy.
        #expect(vae.decoder.conv_in.weight == (try file.tensor("decoder.conv_in.weight")))
        #expect(vae.decoder.mid_block.attentions[0].to_qkv.weight == (try file.tensor("decoder.mid_block.attentions.0.to_qkv.weight")))
    }

    @Test func f16FolderLoadsTheRoundedWeights() throws {
        let a = try WanVAE(folder: try folder("f32")), b = try WanVAE(folder: try folder("f16", dtype: .f16))
        let wa = a.decoder.conv_out.weight, wb = b.decoder.conv_out.weight
        for i in 0 ..< wa.count { #expect(wb.storage[i] == HalfPrecision.float(fromFloat16: HalfPrecision.float16(from: wa.storage[i]))) }
    }

    @Test func missingMisshapedAndUnexpectedTensorsAreNamed() throws {
        let url = try folder("edit")
        try rewriteWeights(url) { $0["decoder.mid_block.resnets.1.norm2.gamma"] = nil }
        let missing = message { _ = try WanVAE(folder: url) }
        #expect(missing.contains("'decoder.mid_block.resnets.1.norm2.gamma'") && missing.contains("[8, 1, 1, 1]"), "\(missing)")

        try rewriteWeights(url) {
            $0["decoder.mid_block.resnets.1.norm2.gamma"] = Tensor(zeros: [8, 1, 1, 1], value: 1)
            $0["encoder.conv_in.weight"] = Tensor(zeros: [4, 3, 3, 3])
        }
        #expect(throws: ModelError.tensorShape(name: "encoder.conv_in.weight", expected: [4, 3, 3, 3, 3], actual: [4, 3, 3, 3], file: weightsPath(url))) {
            try WanVAE(folder: url)
        }

        try rewriteWeights(url) {
            $0["encoder.conv_in.weight"] = Tensor(zeros: [4, 3, 3, 3, 3])
            $0["encoder.down_blocks.0.attn.weight"] = Tensor(zeros: [2])
        }
        let unexpected = message { _ = try WanVAE(folder: url) }
        #expect(unexpected.contains("does not use") && unexpected.contains("encoder.down_blocks.0.attn.weight"), "\(unexpected)")
    }

    @Test(arguments: [
        ("is_residual", "true", "is_residual"), ("patch_size", "2", "patch_size"), ("attn_scales", "[0.5]", "attn_scales"),
        ("temperal_downsample", "[false, true]", "temperal_downsample"), ("z_dim", "0", "z_dim"),
        ("_class_name", "\"AutoencoderKL\"", "AutoencoderKL"), ("dim_mult", "[1, true]", "dim_mult"),
    ])
    func unsupportedConfigOptionIsNamed(key: String, value: String, expectedInMessage: String) throws {
        let url = try folder(key)
        let path = url.path + "/vae/config.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        json[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        let text = message { _ = try WanVAE(folder: url) }
        #expect(text.contains(expectedInMessage) && text.contains("config.json"), "\(text)")
    }

    @Test func folderWithoutAVAESaysWhereItLooked() {
        let text = message { _ = try WanVAE(folder: URL(fileURLWithPath: dir + "/nothing")) }
        #expect(text.contains("nothing/vae") && text.contains("reel model init"), "\(text)")
    }

    @Test func wrongInputShapesNameTheTensor() throws {
        let vae = try WanVAE(folder: try folder("inputs"))
        let latents = message { _ = try vae.decode(Tensor(zeros: [1, 5, 2, 2, 2])) }
        #expect(latents.contains("'latents'") && latents.contains("[1, 5, 2, 2, 2]") && latents.contains("z_dim = 4"), "\(latents)")
        let frames = message { _ = try vae.encode(Tensor(zeros: [1, 3, 4, 16, 16])) }
        #expect(frames.contains("'sample'") && frames.contains("1 + 4k"), "\(frames)")
        let size = message { _ = try vae.encode(Tensor(zeros: [1, 3, 5, 12, 16])) }
        #expect(size.contains("multiples of 8"), "\(size)")
    }
}
