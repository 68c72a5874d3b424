import Foundation
import ReelModel
import Testing
@testable import ReelCLI

/// Installing the demo model into a farm's models folder, the fallback when a checkout
/// has none, and the grammar warnings of `reel demo --prompt`. The trained folder is
/// stood in for by a tiny-preset folder with a grammar.json beside it.
@Suite struct DemoModelTests {
    let dir = NSTemporaryDirectory() + "reel-demo-model-\(UUID().uuidString)"
    var shipped: String { dir + "/shipped" }

    init() throws {
        let p = ModelPreset.tiny
        try ModelFolder.create(at: shipped, transformer: p.transformer, scheduler: p.scheduler, vae: p.vae, seed: 5)
        let grammar = #"{"words": ["a", "ball", "red", "on", "navy", "background", "moving", "rightwards"]}"#
        try Data(grammar.utf8).write(to: URL(fileURLWithPath: shipped + "/grammar.json"))
    }

    @Test func installCopiesTheFirstFolderFoundWithItsGrammar() throws {
        let models = dir + "/farm/models"
        let name = try DemoModel.prepare(in: models, candidates: [dir + "/missing", shipped])
        #expect(name == "demo")
        let folder = try ModelFolder(path: models + "/demo")
        #expect(folder.hasVAE)
        #expect(folder.transformerConfig == ModelPreset.tiny.transformer)
        #expect(DemoModel.grammarWords(folder: models + "/demo")?.contains("ball") == true)
    }

    @Test func withoutAShippedFolderTheTinyPresetStandsIn() throws {
        let models = dir + "/farm2/models"
        let name = try DemoModel.prepare(in: models, candidates: [dir + "/missing"])
        #expect(name == "tiny")
        #expect(try ModelFolder(path: models + "/tiny").hasVAE)
        #expect(throws: DemoModelError.self) { try DemoModel.shippedFolder(candidates: [dir + "/missing"]) }
    }

    @Test func wordsOutsideTheGrammarAreListedNotRefused() throws {
        let grammar = try #require(DemoModel.grammarWords(folder: shipped))
        #expect(DemoModel.wordsOutsideGrammar("A RED ball moving rightwards on a navy background", grammar: grammar) == [])
        #expect(DemoModel.wordsOutsideGrammar("a red ball, moving rightwards quickly", grammar: grammar) == ["ball,", "quickly"])
    }

    @Test func demoCommandTakesAPromptAndDefaultsToThirtySecondsOverTwoWorkers() throws {
        let demo = try DemoCommand.parse(["--prompt", "a red ball moving rightwards on a navy background"])
        #expect(demo.seconds >= 30 && demo.workers >= 2)
        #expect(throws: (any Error).self) { try DemoCommand.parse(["--prompt", "  "]) }
    }

    /// The working folder is created by the demo, so a clip inside it is fine before it exists;
    /// a clip in some other folder that does not exist is refused before anything starts.
    @Test func theClipMayGoIntoAWorkingFolderNotYetCreated() throws {
        let work = dir + "/not-yet/demo"
        let demo = try DemoCommand.parse(["--dir", work, "--output", work + "/clip.mp4"])
        #expect(demo.output == work + "/clip.mp4")
        #expect(!FileManager.default.fileExists(atPath: work))
        #expect(throws: (any Error).self) {
            try DemoCommand.parse(["--dir", work, "--output", dir + "/elsewhere/clip.mp4"])
        }
    }
}
