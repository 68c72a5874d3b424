import ArgumentParser
import Foundation
import ReelModel
import ReelTensor

struct ModelEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode video frames to VAE latents (the mean of vae.encode(sample).latent_dist).",
        discussion: """
            IN holds sample [B,3,1+4k,H,W] in [-1,1] with H, W multiples of 8; OUT receives \
            latents [B,z,1+k,H/8,W/8] in the VAE's own space. All float32.
            """)

    @OptionGroup var io: ModelIOOptions
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply {
            try WanVAE.encodeFile(folder: URL(fileURLWithPath: io.folder), inputs: io.inputs, output: io.output)
            printErr("wrote latents to \(io.output)")
        }
    }
}
