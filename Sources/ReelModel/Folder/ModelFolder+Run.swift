import Foundation
import ReelTensor

/// The single-checkpoint tool behind `reel model sample` (and the file helpers
/// that `reel model dit`'s ``TransformerFolder/runForward(inputs:output:)`` shares):
/// safetensors in, safetensors out, with every input checked by name.
extension ModelFolder {
    /// Sampling: reads `noise`, `prompt_embeds` and optionally `negative_prompt_embeds`;
    /// writes the denoised `latents` after steps `range` (default: all) of `steps`.
    public func runSampler(
        inputs: String, output: String, steps: Int, guidance: Float, shift: Double?, range: Range<Int>? = nil,
        onStep: (Int, Int) -> Void = { _, _ in }
    ) throws(ModelError) {
        try Self.checkWritable(output)
        let file = try Self.open(inputs)
        let noise = try Self.read(file, "noise"), prompt = try Self.read(file, "prompt_embeds")
        let negative = file.entry("negative_prompt_embeds") == nil ? nil : try Self.read(file, "negative_prompt_embeds")
        var config = schedulerConfig
        if let shift { config.shift = shift }
        let scheduler = try FlowMatchEulerDiscreteScheduler(config: config, steps: steps)
        let sampler = FlowMatchSampler(model: try loadTransformer(), scheduler: scheduler, guidance: guidance)
        let latents = try sampler.sample(
            noise: noise, promptEmbeds: prompt, negativePromptEmbeds: negative, steps: range, onStep: onStep)
        try Self.write([.init("latents", latents)], to: output)
    }

    static func open(_ path: String) throws(ModelError) -> SafeTensorsFile {
        do { return try SafeTensorsFile(path: path) } catch { throw .weights(error) }
    }

    static func read(_ file: SafeTensorsFile, _ name: String) throws(ModelError) -> Tensor {
        guard file.entry(name) != nil else {
            throw .missingFile(path: file.path, hint: "no tensor named '\(name)' (it has: \(file.names.joined(separator: ", ")))")
        }
        do { return try file.tensor(name) } catch { throw .weights(error) }
    }

    static func write(_ items: [SafeTensorsWriter.Item], to path: String) throws(ModelError) {
        do { try SafeTensorsWriter.write(items, to: path) } catch { throw .weights(error) }
    }

    /// Fails before any compute when `path` cannot be written.
    static func checkWritable(_ path: String) throws(ModelError) {
        let directory = ((path as NSString).deletingLastPathComponent as NSString).expandingTildeInPath
        let dir = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .missingFile(path: path, hint: "the output folder '\(dir)' does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else {
            throw .missingFile(path: path, hint: "the output folder '\(dir)' is not writable")
        }
    }
}
