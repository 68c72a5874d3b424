import ArgumentParser
import ReelTensor

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

    /// Runs `body` with the kernels on `--threads` threads, on this thread only
    /// (``Parallel/withThreads(_:_:)``): the tests run these commands in a process
    /// whose other tests keep their own count.
    func apply<R>(_ body: () throws -> R) throws -> R {
        guard let threads else { return try body() }
        return try Parallel.withThreads(threads, body)
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
