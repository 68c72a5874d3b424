import Foundation
import ReelTensor

/// The transformer half of a model folder in diffusers layout: everything one
/// forward needs, and nothing else.
///
///     DIR/transformer/config.json
///     DIR/transformer/diffusion_pytorch_model.safetensors   (or sharded, with .index.json)
///
/// `reel model dit` opens only this, so a folder that holds just `transformer/`
/// (no scheduler, no VAE) runs; sampling needs a whole ``ModelFolder``.
/// Opening reads and validates the config; weights load on demand.
public struct TransformerFolder: Sendable {
    /// The model folder (DIR), not its `transformer/` subfolder.
    public let path: String
    public let config: WanTransformerConfig

    /// `DIR/transformer`.
    public var directory: String { (path as NSString).appendingPathComponent("transformer") }

    /// Opens the transformer of the model folder at `path` (DIR).
    public init(path: String) throws(ModelError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingFolder(path: path)
        }
        self.path = path
        config = try WanTransformerConfig.load(
            path: ((path as NSString).appendingPathComponent("transformer") as NSString).appendingPathComponent("config.json"))
    }

    /// Opens the weights (not yet read).
    public func checkpoint() throws(ModelError) -> Checkpoint {
        do { return try Checkpoint(directory: directory, baseName: ModelFolder.weightsBaseName) } catch { throw .weights(error) }
    }

    /// Loads the transformer, checking every tensor's name and shape.
    public func load() throws(ModelError) -> WanTransformer3DModel {
        var weights = CheckpointWeights(try checkpoint())
        let model = try WanTransformer3DModel(config: config, from: &weights)
        try weights.finish()
        return model
    }

    /// One forward: reads `hidden_states`, `timestep`, `encoder_hidden_states`
    /// from `inputs`; writes `sample` to `output`.
    public func runForward(inputs: String, output: String) throws(ModelError) {
        try ModelFolder.checkWritable(output)
        let file = try ModelFolder.open(inputs)
        let hidden = try ModelFolder.read(file, "hidden_states"), timestep = try ModelFolder.read(file, "timestep")
        let text = try ModelFolder.read(file, "encoder_hidden_states")
        let model = try load()
        let sample = try model.forward(hiddenStates: hidden, timestep: timestep, encoderHiddenStates: text)
        try ModelFolder.write([.init("sample", sample)], to: output)
    }
}
