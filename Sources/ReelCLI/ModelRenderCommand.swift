import ArgumentParser
import Foundation
import ReelMedia
import ReelModel
import ReelTensor

struct ModelRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Decode sampled latents and write an H.264 MP4 in one streaming pass.",
        discussion: """
            IN holds latents [1,z,F,H,W] or [z,F,H,W] as the transformer samples them (reel model \
            sample's output); they are mapped with the VAE's latents_mean/latents_std, decoded one \
            latent frame at a time, and each batch of frames is encoded as soon as it exists. The \
            output folder is checked before decoding; on any error no file is left at OUTPUT.
            """)

    @Argument(help: "Model folder with vae/ (diffusers layout).")
    var folder: String
    @Option(help: "Input safetensors file holding latents.")
    var inputs: String
    @Option(help: "Output .mp4 file.")
    var output: String
    @Option(help: "Frames per second.")
    var fps: Double = 16
    @Option(help: "x264 constant rate factor, 0 (lossless) … 51.")
    var crf: Double = 18
    @Option(help: "x264 preset: \(VideoWriter.Options.presets.joined(separator: ", ")).")
    var preset: String = "medium"
    @Option(help: "Decode in spatial tiles of N×N pixels (multiple of 8) every 3N/4 pixels when the frame is larger; default: whole frames.")
    var tile: Int?
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        guard fps > 0, fps <= 1000 else { throw ValidationError("--fps must be in (0, 1000], got \(fps)") }
        guard (0 ... 51).contains(crf) else { throw ValidationError("--crf must be in 0…51, got \(crf)") }
        guard VideoWriter.Options.presets.contains(preset) else {
            throw ValidationError("--preset must be one of \(VideoWriter.Options.presets.joined(separator: ", ")), got '\(preset)'")
        }
        if let tile, tile < 16 || tile % 8 != 0 { throw ValidationError("--tile must be a multiple of 8 of at least 16, got \(tile)") }
    }

    func run() throws {
        try compute.apply {
            let (vae, latents) = try WanVAE.loadClip(folder: URL(fileURLWithPath: folder), inputs: inputs, output: output)
            let s = vae.config.spatialStride, frames = latents.shape[1]
            let tiling = tile.map { VAETiling(tileHeight: $0, tileWidth: $0, strideHeight: $0 * 3 / 4 / 8 * 8, strideWidth: $0 * 3 / 4 / 8 * 8) }
            let options = VideoWriter.Options(
                crf: crf, preset: preset, metadata: VideoMetadata(model: "AutoencoderKLWan from \(folder)"))
            let writer = try VideoWriter(
                url: URL(fileURLWithPath: output), width: latents.shape[3] * s, height: latents.shape[2] * s, fps: fps, options: options)
            printErr("decoding \(frames) latent frames to \(vae.config.pixelFrames(latentFrames: frames)) frames of \(writer.width)×\(writer.height)")
            do {
                // A transformer that draws latent frame 0 in later form (the demo model's reel.json) is decoded so.
                let laterStart = try ReelFolderConfig.load(folder: folder).firstLatentIsLater
                try vae.decodeStream(latents, frames: 0 ..< frames, tiling: tiling, laterStart: laterStart) { batch in
                    try writer.append(planarClip: batch.storage, frames: batch.shape[1])
                    printErr("  \(writer.frameCount) frames")
                }
                try writer.finish()
            } catch {
                writer.cancel()
                throw error
            }
            print(output)
        }
    }
}
