import ArgumentParser

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Create, inspect and run model folders in diffusers layout.",
        subcommands: [
            ModelInitCommand.self, ModelInfoCommand.self, ModelDiTCommand.self, ModelSampleCommand.self,
            ModelDecodeCommand.self, ModelEncodeCommand.self, ModelEncodeTextCommand.self, ModelRenderCommand.self,
        ])
}

/// Options every compute command shares.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for the kernels (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }
}

/// The folder and files every safetensors-in, safetensors-out model tool takes.
struct ModelIOOptions: ParsableArguments {
    @Argument(help: "Model folder (diffusers layout).")
    var folder: String
    @Option(help: "Input safetensors file.")
    var inputs: String
    @Option(help: "Output safetensors file.")
    var output: String
}
