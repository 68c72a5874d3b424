import ArgumentParser
import Foundation
import Logging
import ReelFarm

struct BenchFarmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "farm",
        abstract: "Farm efficiency with a simulated-time stand-in model: ideal time ÷ actual time, and the coordinator's time per shard.",
        discussion: """
            Workers run the stand-in model 'simulated' (each step sleeps --step-ms, no compute), so the \
            measurement is the farm alone: dispatch, ZeroMQ transfer, blending and PostgreSQL persistence. \
            The embedded PostgreSQL and the sockets are real.
            """)

    @Option(help: "Simulated workers (threads of this process, each with its own connection).")
    var workers = 8
    @Option(help: "At least this many shards.")
    var shards = 200
    @Option(help: "Simulated milliseconds per step (5 steps per shard).")
    var stepMs = 50
    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1 ... 64).contains(workers) else { throw ValidationError("--workers must be 1…64") }
        guard (1 ... 10000).contains(shards) else { throw ValidationError("--shards must be 1…10000") }
        guard (1 ... 10000).contains(stepMs) else { throw ValidationError("--step-ms must be 1…10000") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .error
            return handler
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-bench-farm-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bench = FarmBenchmark(workers: workers, shards: shards, stepTime: .milliseconds(stepMs))
        let report = try await bench.run(dataDirectory: directory, logger: Logger(label: "reel.bench.farm"))
        if json { return print(try CLIJSON.text(report)) }
        print("model        \(report.model)")
        print("workers      \(report.workers)")
        print("shards       \(report.shards) (\(report.windows) windows)")
        print(String(format: "ideal        %.2f s  (shards × %.0f ms ÷ workers)", report.idealSeconds, report.shardSeconds * 1000))
        print(String(format: "actual       %.2f s", report.actualSeconds))
        print(String(format: "efficiency   %.3f", report.efficiency))
        print(String(format: "coordinator  %.2f ms per shard (dispatch, result, blend, persist)", report.coordinatorMsPerShard))
    }
}
