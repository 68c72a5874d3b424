import Foundation
import Logging
import ReelCoordinator

#if canImport(Glibc)
import Glibc
#endif

/// A whole farm on this machine (`reel up`, `reel demo`): the coordinator service
/// in this process and N `reel worker` child processes connected to it over TCP,
/// exactly as workers on other machines would be.
public final class LocalFarm: @unchecked Sendable {
    public struct Options: Sendable {
        public var service: CoordinatorService.Options
        public var workers: Int
        public var modelsDirectory: String
        /// Compute threads per worker.
        public var threads: Int
        /// The `reel` executable the workers run.
        public var executable: String

        public init(service: CoordinatorService.Options, workers: Int, modelsDirectory: String, threads: Int, executable: String) {
            self.service = service
            self.workers = workers
            self.modelsDirectory = modelsDirectory
            self.threads = threads
            self.executable = executable
        }
    }

    public let options: Options
    public let service: CoordinatorService
    let logger: Logger
    private var children: [Process] = []

    public init(options: Options, logger: Logger) {
        self.options = options
        self.logger = logger
        service = CoordinatorService(options: options.service, logger: logger)
    }

    /// The running binary, for spawning workers.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Starts the coordinator, then the workers (their logs go to `DATA/logs`).
    public func start() throws {
        try service.start()
        let logs = (options.service.dataDirectory as NSString).appendingPathComponent("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        for index in 1 ... max(options.workers, 0) {
            try spawnWorker(name: "local-\(index)", logDirectory: logs)
        }
    }

    /// Starts one more `reel worker` child.
    @discardableResult
    public func spawnWorker(name: String, logDirectory: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: options.executable)
        process.arguments = [
            "worker", "--coordinator", service.endpoint, "--models", options.modelsDirectory, "--name", name,
            "--threads", "\(options.threads)",
        ]
        let logPath = (logDirectory as NSString).appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        children.append(process)
        logger.info("worker started", metadata: ["name": "\(name)", "pid": "\(process.processIdentifier)", "log": "\(logPath)"])
        return process
    }

    /// The worker processes (for tests that kill one).
    public var workerProcesses: [Process] { children }

    /// SIGTERM to every worker (they finish or hand back their shards), then the coordinator.
    public func stop() {
        for child in children where child.isRunning { kill(child.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(40)
        for child in children {
            while child.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if child.isRunning { kill(child.processIdentifier, SIGKILL) }
        }
        children.removeAll()
        service.stop()
    }
}
