import ArgumentParser
import Foundation
import Logging
import ReelFarm

struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator: job state in PostgreSQL, shards over ZeroMQ, the HTTP API for the CLI.",
        discussion: "Workers on other machines connect with `reel worker --coordinator tcp://THIS-HOST:PORT` (start it with --listen tcp://0.0.0.0:5555).")

    @OptionGroup var server: CoordinatorServerOptions

    func run() async throws {
        let (host, port) = try server.httpAddress()
        let options = try server.serviceOptions()
        let service = CoordinatorService(options: options, logger: Logger(label: "reel.coordinator"))
        try service.start()
        defer { service.stop() }
        let endpoint = service.endpoint
        try await service.serve { bound in
            let scheme = options.tls == nil ? "http" : "https"
            printErr("coordinator: workers connect to \(endpoint); the CLI to \(scheme)://\(host):\(bound)")
            // The page asks for a token; `reel token create` makes one (its admin token is DATA/api-token).
            printErr("coordinator: dashboard at \(scheme)://\(host):\(bound)/dashboard (sign in with a token from `reel token create --scope read`)")
        }
    }
}
