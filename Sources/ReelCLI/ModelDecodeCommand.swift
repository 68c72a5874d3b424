import ArgumentParser
import Foundation
import ReelModel
import ReelTensor

struct ModelDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode VAE latents to video frames (vae.decode(latents).sample).",
        discussion: """
            IN holds latents [B,z,F,H,W] in the VAE's own space (no latents_mean/latents_std \
            applied); OUT receives sample [B,3,1+4(F-1),8H,8W] in [-1,1]. All float32.
            """)

    @OptionGroup var io: ModelIOOptions
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply {
            try WanVAE.decodeFile(folder: URL(fileURLWithPath: io.folder), inputs: io.inputs, output: io.output)
            printErr("wrote sample to \(io.output)")
        }
    }
}
