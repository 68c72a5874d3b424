import Foundation
import ReelModel

/// The demo model: a tiny Wan 2.1-architecture transformer and VAE that the project
/// trained on its own procedural clips (Deploy/train/), shipped in the repository as
/// `Models/demo`, a diffusers-layout folder with a model card and the grammar of the
/// prompts it was trained on (`grammar.json`).
enum DemoModel {
    static let name = "demo"
    /// The folder in the repository, relative to its root.
    static let repositoryPath = "Models/demo"

    /// Where the shipped folder is looked for, in order: `$REEL_DEMO_MODEL`, `Models/demo`
    /// under the current directory, and under the source tree `reel` was built from.
    static var searchPath: [String] {
        var candidates = [String]()
        if let env = ProcessInfo.processInfo.environment["REEL_DEMO_MODEL"] { candidates.append(env) }
        candidates.append((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(repositoryPath))
        // #filePath is ROOT/Sources/ReelCLI/DemoModel.swift in the checkout that was built.
        var root = #filePath as NSString
        for _ in 0 ..< 3 { root = root.deletingLastPathComponent as NSString }
        candidates.append(root.appendingPathComponent(repositoryPath))
        return candidates
    }

    /// The first folder of `candidates` that has a transformer config.
    static func shippedFolder(candidates: [String] = searchPath) throws -> String {
        for path in candidates where FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("transformer/config.json")) {
            return path
        }
        throw DemoModelError(
            message: "the demo model folder was not found (looked in \(candidates.joined(separator: ", "))); "
                + "run from the repository root or set REEL_DEMO_MODEL to its Models/demo")
    }

    /// Copies the shipped folder to `destination` (replacing what is there), checking
    /// that Reel opens it.
    @discardableResult
    static func install(at destination: String, candidates: [String] = searchPath) throws -> ModelFolder {
        let source = try shippedFolder(candidates: candidates)
        let fm = FileManager.default
        try? fm.removeItem(atPath: destination)
        try fm.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try fm.copyItem(atPath: source, toPath: destination)
        let folder = try ModelFolder(path: destination)
        guard folder.hasVAE else { throw DemoModelError(message: "\(source) has no vae/config.json") }
        return folder
    }

    /// Copies the demo model into the farm's `models` folder and returns its name; where
    /// no trained folder is found (a checkout without `Models/demo`), writes the tiny
    /// preset with random weights instead, and says so.
    static func prepare(in models: String, candidates: [String] = searchPath) throws -> String {
        do {
            try install(at: (models as NSString).appendingPathComponent(name), candidates: candidates)
            return name
        } catch let error as DemoModelError {
            printErr("note: \(error.message)")
            printErr("rendering with the tiny preset instead (random weights: structured noise, not a scene)")
            let path = (models as NSString).appendingPathComponent(ModelPreset.tiny.rawValue)
            if let folder = try? ModelFolder(path: path), folder.hasVAE { return ModelPreset.tiny.rawValue }
            try? FileManager.default.removeItem(atPath: path)
            let preset = ModelPreset.tiny
            try ModelFolder.create(at: path, transformer: preset.transformer, scheduler: preset.scheduler, vae: preset.vae, seed: 0)
            return ModelPreset.tiny.rawValue
        }
    }

    /// The words of the training grammar (`grammar.json` beside the model).
    static func grammarWords(folder: String) -> Set<String>? {
        (grammar(folder: folder)?["words"] as? [String]).map(Set.init)
    }

    /// `grammar.json` beside the model, nil when absent or not a JSON object.
    static func grammar(folder: String) -> [String: Any]? {
        let path = (folder as NSString).appendingPathComponent("grammar.json")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// The grammar's object colours (`object_colours` in `grammar.json`).
    static func objectColours(folder: String) -> Set<String>? {
        (grammar(folder: folder)?["object_colours"] as? [String]).map(Set.init)
    }

    /// The prompt's words that the model never saw in training: the stand-in
    /// embedder still turns them into vectors, but they mean nothing to this model.
    static func wordsOutsideGrammar(_ prompt: String, grammar: Set<String>) -> [String] {
        prompt.lowercased().split(whereSeparator: { $0.isWhitespace }).map(String.init).filter { !grammar.contains($0) }
    }
}

struct DemoModelError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
