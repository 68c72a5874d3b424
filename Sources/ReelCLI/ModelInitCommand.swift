import ArgumentParser
import ReelModel
import ReelTensor

struct ModelInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a model folder (transformer, scheduler, VAE) in diffusers layout: random weights, or the trained demo model.",
        discussion: """
            --preset demo copies the demo model that ships in the repository (Models/demo, trained by \
            Deploy/train/train.py on procedural clips) instead of drawing random weights; --seed and \
            --dtype do not apply to it.
            """)

    @Option(help: "Model: \(Self.presets.joined(separator: ", ")) (demo is the trained demo model; the others have random weights).")
    var preset: String = "tiny"
    @Option(help: "Folder to create.")
    var out: String
    @Option(help: "Seed for the random weights.")
    var seed: UInt64 = 0
    @Option(help: "Weight dtype on disk: F32, F16 or BF16.")
    var dtype: String = "F32"

    func validate() throws {
        guard ModelPreset(rawValue: preset) != nil || preset == DemoModel.name else {
            throw ValidationError("unknown preset '\(preset)'; choose one of \(Self.presets.joined(separator: ", "))")
        }
        guard let d = DType(rawValue: dtype.uppercased()), d.isWritable else {
            throw ValidationError("--dtype must be F32, F16 or BF16, got '\(dtype)'")
        }
    }

    static var presets: [String] { ModelPreset.allCases.map(\.rawValue) + [DemoModel.name] }

    func run() throws {
        if preset == DemoModel.name {
            let folder = try DemoModel.install(at: out)
            print("copied the demo model from \(try DemoModel.shippedFolder()) to \(folder.path)")
            print("next: reel model info \(folder.path)")
            return
        }
        let p = ModelPreset(rawValue: preset)!
        let folder = try ModelFolder.create(
            at: out, transformer: p.transformer, scheduler: p.scheduler, vae: p.vae, seed: seed,
            dtype: DType(rawValue: dtype.uppercased())!)
        print("wrote \(preset) model to \(folder.path)")
        print("next: reel model info \(folder.path)")
    }
}
