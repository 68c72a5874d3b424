import Foundation
import ReelTensor

/// The safetensors-in, safetensors-out tools behind `reel model decode`, `encode`
/// and the first half of `render`: the output path is checked first, then every
/// input by name and shape against the config, and only then are weights loaded.
extension WanVAE {
    /// `vae.decode(latents).sample`: reads `latents` `(B, z, F, H, W)`, writes `sample`.
    public static func decodeFile(folder: URL, inputs: String, output: String) throws(ModelError) {
        try ModelFolder.checkWritable(output)
        let config = try WanVAEConfig.load(path: configPath(folder))
        let latents = try ModelFolder.read(try ModelFolder.open(inputs), "latents")
        try config.checkLatents(latents, batched: true)
        let sample = try WanVAE(folder: folder).decode(latents)
        try ModelFolder.write([.init("sample", sample)], to: output)
    }

    /// The mean of `vae.encode(sample).latent_dist`: reads `sample` `(B, 3, 1 + 4k, H, W)`, writes `latents`.
    public static func encodeFile(folder: URL, inputs: String, output: String) throws(ModelError) {
        try ModelFolder.checkWritable(output)
        let config = try WanVAEConfig.load(path: configPath(folder))
        let sample = try ModelFolder.read(try ModelFolder.open(inputs), "sample")
        try config.checkVideo(sample)
        let latents = try WanVAE(folder: folder).encode(sample)
        try ModelFolder.write([.init("latents", latents)], to: output)
    }

    /// For rendering to `output`: the VAE and one clip's `latents` from `inputs` (the
    /// transformer's `(1, z, F, H, W)` or `(z, F, H, W)`), mapped into the VAE's space by
    /// ``LatentNormalization``. Fails before loading anything when `output`'s folder is
    /// missing or not writable.
    public static func loadClip(folder: URL, inputs: String, output: String) throws(ModelError) -> (vae: WanVAE, latents: Tensor) {
        try ModelFolder.checkWritable(output)
        let config = try WanVAEConfig.load(path: configPath(folder))
        let stored = try ModelFolder.read(try ModelFolder.open(inputs), "latents")
        let latents = stored.rank == 5 && stored.shape[0] == 1 ? stored.slice(0) : stored
        guard latents.rank == 4, latents.shape[0] == config.z_dim, latents.shape.allSatisfy({ $0 > 0 }) else {
            throw .inputShape(
                name: "latents", expected: "one clip, (1, \(config.z_dim), F, H, W) or (\(config.z_dim), F, H, W): z_dim = \(config.z_dim) latent channels",
                actual: stored.shape)
        }
        guard config.out_channels == 3 else {
            throw .unsupportedOption(path: configPath(folder), key: "out_channels", value: "\(config.out_channels)", supported: "a video needs 3")
        }
        let normalization = try LatentNormalization(config: config)
        return (try WanVAE(folder: folder), try normalization.denormalize(latents))
    }

    /// Writes `folder/vae/` with `config` and random weights (PyTorch's default
    /// initialisation) that diffusers loads with `AutoencoderKLWan.from_pretrained(folder, subfolder="vae")`.
    public static func createRandom(in folder: String, config: WanVAEConfig, seed: UInt64, dtype: DType = .f32) throws(ModelError) {
        try config.validate(path: "(config)")
        let directory = (folder as NSString).appendingPathComponent("vae")
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .missingFile(path: directory, hint: "cannot create the folder: \((error as NSError).localizedDescription)")
        }
        var random = RandomWeights(seed: seed)
        _ = try WanVAE(config: config, from: &random)
        try ModelFolder.writeWeights(random, dtype: dtype, directory: directory)
        try ConfigFile.write(config.jsonObject(), to: (directory as NSString).appendingPathComponent("config.json"))
    }

    static func configPath(_ folder: URL) -> String { folder.appendingPathComponent("vae/config.json").path }
}

extension WanVAEConfig {
    /// Checks `(B,) z, F, h, w` latents, naming the tensor as the file tools do.
    func checkLatents(_ latents: Tensor, batched: Bool) throws(ModelError) {
        let s = latents.shape, axis = batched ? 1 : 0
        guard s.count == axis + 4, s[axis] == z_dim, s.allSatisfy({ $0 > 0 }) else {
            throw .inputShape(
                name: "latents", expected: "(\(batched ? "B, " : "")\(z_dim), F, H, W): z_dim = \(z_dim) latent channels", actual: s)
        }
    }

    /// Checks a `(B, in_channels, 1 + 4k, H, W)` clip with H and W multiples of the spatial stride.
    func checkVideo(_ video: Tensor) throws(ModelError) {
        let s = video.shape, stride = spatialStride
        guard s.count == 5, s[0] > 0, s[1] == in_channels, s[2] >= 1, (s[2] - 1) % 4 == 0, s[3] > 0, s[4] > 0,
            s[3] % stride == 0, s[4] % stride == 0
        else {
            throw .inputShape(
                name: "sample",
                expected: "(B, \(in_channels), 1 + 4k, H, W) with H and W multiples of \(stride) (the encoder takes the first frame, then 4 at a time)",
                actual: s)
        }
    }
}
