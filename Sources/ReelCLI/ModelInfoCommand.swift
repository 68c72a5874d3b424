import ArgumentParser
import ReelModel

struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print a model folder's config, parameter count, dtypes and sizes.")

    @Argument(help: "Model folder (diffusers layout).")
    var folder: String

    func run() throws {
        print(try ModelFolder(path: folder).info())
    }
}
