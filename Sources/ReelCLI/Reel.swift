import ArgumentParser

@main
struct Reel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reel: a distributed render farm for long-video generation with diffusion transformers.",
        subcommands: [
            DemoCommand.self,
            UpCommand.self,
            CoordinatorCommand.self,
            WorkerCommand.self,
            KeysCommand.self,
            TokenCommand.self,
            SubmitCommand.self,
            StatusCommand.self,
            EventsCommand.self,
            WorkersCommand.self,
            RetryCommand.self,
            CancelCommand.self,
            FetchCommand.self,
            ModelCommand.self,
            PlanCommand.self,
            BenchCommand.self,
        ])

    /// ArgumentParser's entry point, after the CPU check.
    static func main() async {
        let missing = CPUSupport.missing()
        guard missing.isEmpty else { Self.exit(withError: CPUSupport.Unsupported(missing: missing)) }
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
