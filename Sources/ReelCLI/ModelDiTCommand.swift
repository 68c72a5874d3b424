import ArgumentParser
import ReelModel
import ReelTensor

struct ModelDiTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dit",
        abstract: "Run one transformer forward.",
        discussion: """
            IN holds hidden_states [B,C,F,H,W], timestep [B] and encoder_hidden_states [B,L,D]; \
            OUT receives sample [B,C_out,F,H,W]. All float32.
            """)

    @Argument(help: "Model folder (diffusers layout).")
    var folder: String
    @Option(help: "Input safetensors file.")
    var inputs: String
    @Option(help: "Output safetensors file.")
    var output: String
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        if let t = compute.threads { Parallel.threads = t }
        try ModelFolder(path: folder).runForward(inputs: inputs, output: output)
        printErr("wrote sample to \(output)")
    }
}
