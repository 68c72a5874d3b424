import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that report ratios measured in one run.",
        subcommands: [BenchDiTCommand.self, BenchDecodeCommand.self, BenchTextCommand.self, BenchFarmCommand.self, BenchWireCommand.self])
}
