import ArgumentParser
import Foundation
import ReelModel
import ReelPlan
import ReelTensor

/// The README's run command. Until the farm lands it samples one latent clip
/// with the tiny model on this machine: a random-weight model folder, the
/// farm's coordinate-keyed noise, stand-in prompt embeddings, guided sampling.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Sample a latent clip with the tiny model (random weights) and write it as safetensors.")

    @Option(help: "Working folder for the model and the output.")
    var dir = ".reel/demo"
    @Option(help: "Pixel frames of the clip (4k+1).")
    var frames = 33
    @Option(help: "Frame size WxH (multiples of 16).")
    var size = "256x256"
    @Option(help: "Sampling steps.")
    var steps = 20
    @Option(help: "Noise seed.")
    var seed: UInt64 = 42
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        _ = try geometry()
    }

    func geometry() throws -> ClipGeometry {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("--size must be WxH, like 256x256; got '\(size)'") }
        do {
            return try ClipGeometry(
                job: JobSpec(frames: frames, fps: 16, width: parts[0], height: parts[1]), model: .wan21_1_3B)
        } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        if let t = compute.threads { Parallel.threads = t }
        let latent = try geometry().latent
        let modelPath = dir + "/model-tiny"
        if (try? ModelFolder(path: modelPath)) == nil {
            printErr("creating the tiny model (random weights) in \(modelPath)")
            try ModelFolder.create(
                at: modelPath, transformer: ModelPreset.tiny.transformer, scheduler: ModelPreset.tiny.scheduler, seed: 0)
        }
        let folder = try ModelFolder(path: modelPath)
        let shape = [latent.channels, latent.frames, latent.height, latent.width]
        let noise = try Tensor(shape: shape, storage: LatentNoise(seed: seed, shape: latent).values(in: 0 ..< latent.count))
        // Stand-in text: the tiny model has no text encoder, so prompts are seeded
        // random embeddings of the model's text width (not a real prompt).
        var rng = SeededRandom(seed: seed ^ 0x7E47)
        let text = folder.transformerConfig.text_dim
        let prompt = rng.normalTensor([16, text]), negative = rng.normalTensor([16, text])
        let model = try folder.loadTransformer()
        let sampler = FlowMatchSampler(
            model: model, scheduler: try FlowMatchEulerDiscreteScheduler(config: folder.schedulerConfig, steps: steps),
            guidance: 5)
        printErr("sampling latent \(shape) (\(frames) frames at \(size)) for \(steps) steps with guidance 5")
        let start = Date()
        let latents = try sampler.run(
            latents: noise, steps: 0 ..< steps, positive: try model.context(prompt), negative: try model.context(negative)
        ) { step in printErr("  step \(step + 1)/\(steps)") }
        let output = dir + "/latents.safetensors"
        try SafeTensorsWriter.write(
            [.init("latents", try latents.reshaped([1] + shape))],
            metadata: ["seed": "\(seed)", "steps": "\(steps)", "model": "tiny (random weights)"], to: output)
        print(output)
        printErr(String(format: "done in %.1f s; max|latents| = %.3f", Date().timeIntervalSince(start), latents.maxAbs))
        printErr("next: reel model info \(modelPath)   ·   reel plan --seconds 10   ·   reel bench dit")
    }
}
