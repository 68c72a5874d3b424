import Foundation
import ReelTensor

/// A model folder in diffusers layout:
///
///     DIR/transformer/config.json
///     DIR/transformer/diffusion_pytorch_model.safetensors   (or sharded, with .index.json)
///     DIR/scheduler/scheduler_config.json
///     DIR/vae/config.json, DIR/vae/diffusion_pytorch_model.safetensors   (optional; see ``WanVAE``)
///     DIR/reel.json   (optional; see ``ReelFolderConfig``)
///
/// What sampling needs, so the scheduler config is required; a forward alone needs
/// only the ``transformer`` part (``TransformerFolder``). Opening reads and
/// validates the configs; weights load on demand.
public struct ModelFolder: Sendable {
    public static let weightsBaseName = "diffusion_pytorch_model"

    public let path: String
    /// The transformer's config and weights.
    public let transformer: TransformerFolder
    public let schedulerConfig: SchedulerConfig
    /// Things worth telling the user (e.g. a scheduler that was adapted).
    public let notes: [String]
    /// Reel's own notes on the checkpoint (`reel.json`; Wan 2.1's defaults without it).
    public let reel: ReelFolderConfig

    public var transformerConfig: WanTransformerConfig { transformer.config }
    public var transformerDirectory: String { transformer.directory }
    public var schedulerConfigPath: String { (path as NSString).appendingPathComponent("scheduler/scheduler_config.json") }
    public var vaeDirectory: String { (path as NSString).appendingPathComponent("vae") }
    /// Whether the folder has a VAE (`vae/config.json`).
    public var hasVAE: Bool { FileManager.default.fileExists(atPath: (vaeDirectory as NSString).appendingPathComponent("config.json")) }

    public init(path: String) throws(ModelError) {
        transformer = try TransformerFolder(path: path)
        self.path = path
        (schedulerConfig, notes) = try SchedulerConfig.load(path: (path as NSString).appendingPathComponent("scheduler/scheduler_config.json"))
        reel = try ReelFolderConfig.load(folder: path)
    }

    /// Opens the transformer's weights (not yet read).
    public func checkpoint() throws(ModelError) -> Checkpoint { try transformer.checkpoint() }

    /// Loads the transformer, checking every tensor's name and shape.
    public func loadTransformer() throws(ModelError) -> WanTransformer3DModel { try transformer.load() }

    /// Writes a randomly initialised model folder that diffusers loads with
    /// `WanTransformer3DModel.from_pretrained(DIR, subfolder="transformer")` and, when
    /// `vae` is given, `AutoencoderKLWan.from_pretrained(DIR, subfolder="vae")`.
    @discardableResult
    public static func create(
        at path: String, transformer: WanTransformerConfig, scheduler: SchedulerConfig, vae: WanVAEConfig? = nil,
        seed: UInt64, dtype: DType = .f32
    ) throws(ModelError) -> ModelFolder {
        try transformer.validate(path: "(preset)")
        let fm = FileManager.default
        let transformerDirectory = (path as NSString).appendingPathComponent("transformer")
        let schedulerDirectory = (path as NSString).appendingPathComponent("scheduler")
        do {
            try fm.createDirectory(atPath: transformerDirectory, withIntermediateDirectories: true)
            try fm.createDirectory(atPath: schedulerDirectory, withIntermediateDirectories: true)
        } catch {
            throw .missingFile(path: path, hint: "cannot create the folder: \((error as NSError).localizedDescription)")
        }
        var random = RandomWeights(seed: seed)
        _ = try WanTransformer3DModel(config: transformer, from: &random)
        try writeWeights(random, dtype: dtype, directory: transformerDirectory)
        try ConfigFile.write(transformer.jsonObject(), to: (transformerDirectory as NSString).appendingPathComponent("config.json"))
        try ConfigFile.write(scheduler.jsonObject(), to: (schedulerDirectory as NSString).appendingPathComponent("scheduler_config.json"))
        if let vae {
            // Its own stream of random numbers, so adding a VAE leaves the transformer's weights unchanged.
            try WanVAE.createRandom(in: path, config: vae, seed: seed ^ 0x5641_4500, dtype: dtype)
        }
        return try ModelFolder(path: path)
    }

    static func writeWeights(_ random: RandomWeights, dtype: DType, directory: String) throws(ModelError) {
        do {
            try SafeTensorsWriter.write(
                random.created.map { SafeTensorsWriter.Item($0.name, $0.tensor, dtype: dtype) },
                metadata: ["format": "pt"],
                to: (directory as NSString).appendingPathComponent("\(weightsBaseName).safetensors"))
        } catch { throw .weights(error) }
    }
}
