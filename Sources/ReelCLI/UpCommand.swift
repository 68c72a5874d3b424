import ArgumentParser
import Foundation
import Logging
import ReelFarm

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a farm on this machine: embedded PostgreSQL, the coordinator and N workers.",
        discussion: "Ctrl-C or SIGTERM stops the workers (each finishes or hands back its shard), then the coordinator and PostgreSQL.")

    @OptionGroup var server: CoordinatorServerOptions

    @Option(help: "Local worker processes.")
    var workers: Int = 2

    @Option(help: "Models directory for the local workers (default: DATA/models).")
    var models: String?

    @Option(help: "Compute threads per worker (default: cores ÷ workers, at least 1).")
    var threads: Int?

    func validate() throws {
        guard (0 ... 64).contains(workers) else { throw ValidationError("--workers must be 0…64, got \(workers)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        // Its workers are child processes on loopback plaintext; keys are for workers on other machines.
        if server.curve.curveKey != nil && workers > 0 {
            throw ValidationError("reel up's local workers connect over loopback without keys; for CURVE workers run `reel coordinator --curve-key …` and `reel worker --key …`, or pass --workers 0")
        }
    }

    func run() async throws {
        let farm = try LocalFarmLauncher(server: server, workers: workers, models: models, threads: threads).farm()
        try farm.start()
        printErr("farm up: \(workers) workers on \(farm.service.endpoint); API on \(server.tls.settings == nil ? "http" : "https")://\(server.http)")
        printErr("farm up: dashboard at \(server.tls.settings == nil ? "http" : "https")://\(server.http)/dashboard (sign in with a token from `reel token create --scope read --name me`)")
        printErr("next: reel submit --prompt \"a red fox\" --seconds 10 --model tiny --wait --output fox.mp4")
        defer { farm.stop() }
        try await farm.service.serve()
    }
}

/// Turns the shared server flags into a ``LocalFarm``.
struct LocalFarmLauncher {
    var server: CoordinatorServerOptions
    var workers: Int
    var models: String?
    var threads: Int?
    /// The `reel` binary the workers run: this one, unless a test names the built one.
    var executable = LocalFarm.currentExecutable

    func farm() throws -> LocalFarm {
        let modelsDirectory = models ?? (server.data as NSString).appendingPathComponent("models")
        try FileManager.default.createDirectory(atPath: modelsDirectory, withIntermediateDirectories: true)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let options = LocalFarm.Options(
            service: try server.serviceOptions(),
            workers: workers, modelsDirectory: modelsDirectory, threads: threads ?? max(1, cores / max(workers, 1)),
            executable: executable)
        return LocalFarm(options: options, logger: Logger(label: "reel.farm"))
    }
}
