import ArgumentParser
import ReelModel
import ReelTensor

struct ModelInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Write a randomly initialised model folder (transformer, scheduler, VAE) in diffusers layout.")

    @Option(help: "Model size: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "tiny"
    @Option(help: "Folder to create.")
    var out: String
    @Option(help: "Seed for the random weights.")
    var seed: UInt64 = 0
    @Option(help: "Weight dtype on disk: F32, F16 or BF16.")
    var dtype: String = "F32"

    func validate() throws {
        guard ModelPreset(rawValue: preset) != nil else {
            throw ValidationError("unknown preset '\(preset)'; choose one of \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let d = DType(rawValue: dtype.uppercased()), d.isWritable else {
            throw ValidationError("--dtype must be F32, F16 or BF16, got '\(dtype)'")
        }
    }

    func run() throws {
        let p = ModelPreset(rawValue: preset)!
        let folder = try ModelFolder.create(
            at: out, transformer: p.transformer, scheduler: p.scheduler, vae: p.vae, seed: seed,
            dtype: DType(rawValue: dtype.uppercased())!)
        print("wrote \(preset) model to \(folder.path)")
        print("next: reel model info \(folder.path)")
    }
}
