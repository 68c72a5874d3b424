import ArgumentParser
import ReelModel
import ReelTensor

struct ModelDiTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit",
        abstract: "Run one transformer forward.",
        discussion: """
            IN holds hidden_states [B,C,F,H,W], timestep [B] and encoder_hidden_states [B,L,D]; \
            OUT receives sample [B,C_out,F,H,W]. All float32. The folder needs only transformer/ \
            (a forward uses no scheduler or VAE).
            """)

    @OptionGroup var io: ModelIOOptions
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply {
            // Only the transformer: a forward needs no scheduler (nor VAE).
            try TransformerFolder(path: io.folder).runForward(inputs: io.inputs, output: io.output)
            printErr("wrote sample to \(io.output)")
        }
    }
}
