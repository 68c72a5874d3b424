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
            SubmitCommand.self,
            StatusCommand.self,
            WorkersCommand.self,
            RetryCommand.self,
            CancelCommand.self,
            FetchCommand.self,
            ModelCommand.self,
            PlanCommand.self,
            BenchCommand.self,
        ])
}
