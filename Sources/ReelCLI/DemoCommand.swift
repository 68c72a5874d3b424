import ArgumentParser
import Foundation
import Logging
import ReelCoordinator
import ReelFarm
import ReelModel
import ReelPlan

/// The README's run command: a whole farm on this machine renders a long clip.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a local farm, render a 30 s clip with the demo model over several workers and windows, write the MP4.",
        discussion: """
            Runs `reel up` in this process (embedded PostgreSQL, the coordinator, --workers worker \
            processes), copies the demo model (Models/demo: a tiny Wan-architecture model the project \
            trained on procedural clips of one moving shape) to DIR/models, submits a job through the \
            HTTP API, waits, fetches the MP4 and shuts everything down. Prompts follow the grammar the \
            model was trained on, e.g. "a red ball bouncing rightwards on a navy background"; \
            words outside it are warned about (Models/demo/grammar.json lists the words).
            """)

    @Option(help: "Working folder: the farm's data, models and logs.")
    var dir = ".reel/demo"
    @Option(help: "Where to write the clip (default: DIR/clip.mp4).")
    var output: String?
    @Option(help: "Worker processes.")
    var workers = 2
    @Option(help: "Clip length in seconds.")
    var seconds: Double = 30
    @Option(help: "What to render, in the demo model's grammar (shape, colour, size, motion, direction, speed, background).")
    var prompt = "a red ball bouncing rightwards on a navy background"
    @Option(help: "Classifier-free guidance scale against the empty prompt (1 disables it).")
    var guidance: Double = 4
    @Option(help: "Frame size WxH (multiples of 16; the demo model was trained at 64x64).")
    var size = "64x64"
    @Option(help: "Sampling steps.")
    var steps = 20
    @Option(help: "Noise seed.")
    var seed: UInt64 = 42
    @Option(help: "Only measure this MP4, rendered by reel demo, against --prompt (colour, direction, seam metric); renders nothing.")
    var measure: String?

    func validate() throws {
        guard (1 ... 16).contains(workers) else { throw ValidationError("--workers must be 1…16") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be in (0, 600]") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        if let measure, !FileManager.default.fileExists(atPath: measure) {
            throw ValidationError("--measure: no file at \(measure); give an MP4 that reel demo wrote")
        }
        guard guidance.isFinite, guidance >= 0 else { throw ValidationError("--guidance must be a number ≥ 0 (1 disables it)") }
        guard !prompt.allSatisfy(\.isWhitespace) else { throw ValidationError("--prompt is empty; try \"a red ball bouncing rightwards on a navy background\"") }
        if let output { try checkOutput(output) }
        guard JobOptions.FrameSize(argument: size) != nil else { throw ValidationError("--size must be WxH, like 128x128") }
    }

    func run() async throws {
        if let measure {
            let folder = try DemoModel.shippedFolder()
            guard DemoQuality.palette(folder: folder) != nil else {
                throw DemoModelError(message: "\(folder)/grammar.json has no palette to measure colours by; export the model again with Deploy/train/train.py")
            }
            try self.measure(measure, model: folder, quiet: false)
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let frame = JobOptions.FrameSize(argument: size)!
        let models = (dir as NSString).appendingPathComponent("models")
        let model = try DemoModel.prepare(in: models)
        if model == DemoModel.name, let grammar = DemoModel.grammarWords(folder: (models as NSString).appendingPathComponent(model)) {
            let outside = DemoModel.wordsOutsideGrammar(prompt, grammar: grammar)
            if !outside.isEmpty {
                printErr("warning: words outside the demo model's grammar (it never saw them in training): \(outside.joined(separator: " ")); see \(models)/\(model)/grammar.json")
            }
        }
        let request = JobRequest(
            // The model was trained with the empty prompt (zero rows) as its unconditional input.
            name: "demo", model: model, prompt: prompt, negativePrompt: "", seconds: seconds, fps: 16,
            width: frame.width, height: frame.height, seed: seed, guidance: guidance,
            plan: planConfig)
        let path = output ?? (dir as NSString).appendingPathComponent("clip.mp4")
        let rendered = try await DemoFarm(dir: dir, models: models, workers: workers).render([(request, path)])
        print(path)
        printErr("rendered by \(rendered.workersSeen) worker\(rendered.workersSeen == 1 ? "" : "s"); state is in PostgreSQL under \(rendered.data)")
        try? measure(path, model: (models as NSString).appendingPathComponent(model), quiet: true)
        printErr("next: reel demo --prompt \"a large green square moving leftwards on a black background\"   ·   reel up")
    }
}

extension DemoCommand {
    /// The clip may go into the working folder, which the demo creates: then the nearest
    /// folder that exists on the way to it has to be writable, not the clip's folder.
    func checkOutput(_ output: String) throws {
        // Absolute and standardized, so `--dir demo --output $PWD/demo/clip.mp4` matches too.
        let folder = URL(fileURLWithPath: output).standardizedFileURL.deletingLastPathComponent().path
        let working = URL(fileURLWithPath: dir).standardizedFileURL.path
        guard folder == working || folder == working + "/" else {
            try checkWritable(output)
            return
        }
        var existing = working
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: existing, isDirectory: &isDirectory) {
            let parent = (existing as NSString).deletingLastPathComponent
            if parent.isEmpty || parent == existing { break }
            existing = parent
        }
        guard isDirectory.boolValue, FileManager.default.isWritableFile(atPath: existing) else {
            throw ValidationError("cannot write \(output): --dir \(dir) would be created in '\(existing)', which is not writable")
        }
    }

    /// Windows of 16 latent frames (61 pixel frames) overlapping by 10. On 54 clips of
    /// prompts the tests do not use, against an overlap of 4, the clips whose seam metric
    /// is over 1.1 went from 12 to 5 at the windows' starts and ends and from 20 to 6 at
    /// the overlaps' middles, for 1.9× the shards (README, Demo model: "Longer overlaps").
    var planConfig: PlanConfig { PlanConfig(window: 16, overlap: 10, steps: steps, blendEvery: 5) }

    /// Prints issue #12's measures of the clip (``DemoQuality``) when the model folder
    /// has the grammar's palette: the trained demo model, not the tiny fallback. After a
    /// render (`quiet`) a failure is a note, not an error: the clip is written anyway.
    func measure(_ path: String, model folder: String, quiet: Bool) throws {
        guard let palette = DemoQuality.palette(folder: folder),
            let colours = DemoModel.objectColours(folder: folder)
        else { return }
        do {
            let config = planConfig
            let quality = try DemoQuality.measure(
                video: path, prompt: prompt, palette: palette, objectColours: colours,
                plan: { geometry in try Plan(geometry: geometry, config: config) })
            printErr(quality.summary)
        } catch {
            guard quiet else { throw error }
            printErr("note: the clip was not measured: \(error)")
        }
    }
}

/// The HTTP port, once the server listens.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?

    func set(_ value: Int) { lock.withLock { port = value } }

    func wait() async throws -> Int {
        for _ in 0 ..< 600 {
            if let port = lock.withLock({ port }) { return port }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("the HTTP API did not start within 30 s")
    }
}
