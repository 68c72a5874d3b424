import ArgumentParser
import Foundation
import ReelCoordinator

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Re-queue a failed job's failed shards and resume it.")
    @Argument(help: "The job id.") var job: Int64
    @OptionGroup var coordinator: CoordinatorAddress

    func run() async throws {
        let status = try await coordinator.client.retry(job)
        printErr("job \(job) is \(status.state) again (run \(status.run)); follow it with `reel status \(job)`")
    }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a job; its workers stop its shards.")
    @Argument(help: "The job id.") var job: Int64
    @OptionGroup var coordinator: CoordinatorAddress

    func run() async throws {
        let status = try await coordinator.client.cancel(job)
        printErr("job \(job) is \(status.state)")
    }
}

struct FetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch", abstract: "Download a finished job's MP4.")
    @Argument(help: "The job id.") var job: Int64
    @Option(help: "Where to write the MP4 (a PNG for a still).") var output: String
    @OptionGroup var coordinator: CoordinatorAddress

    func validate() throws { try checkWritable(output) }

    func run() async throws {
        let data = try await coordinator.client.video(job)
        try data.write(to: URL(fileURLWithPath: output), options: .atomic)
        printErr("wrote \(output) (\(data.count) bytes)")
    }
}
