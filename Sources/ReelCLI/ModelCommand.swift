import ArgumentParser

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Create, inspect and run model folders in diffusers layout.",
        subcommands: [])
}
