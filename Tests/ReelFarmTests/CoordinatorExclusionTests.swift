import Foundation
import Logging
import ReelCoordinator
import ReelFarm
import ReelStore
import Testing

/// One coordinator per data directory and per database: a second one says so and
/// leaves the first running, its PostgreSQL included; a database whose owner was
/// killed is adopted and stopped by the next coordinator.
@Suite(.serialized, .farmSlot) struct CoordinatorExclusionTests {
    func service(_ options: CoordinatorService.Options) -> CoordinatorService {
        var logger = Logger(label: "reel.test.exclusion")
        logger.logLevel = .critical
        return CoordinatorService(options: options, logger: logger)
    }

    /// The first farm still answers a request that reads its database.
    func expectAnswers(_ farm: TestFarm, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            _ = try await farm.service.mailbox.send(.jobs).get()
        } catch {
            Issue.record("the first coordinator no longer answers: \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aSecondCoordinatorOnTheDataDirectoryIsRefusedAndStopsNothing() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        var options = farm.options
        options.config.listen = "tcp://127.0.0.1:*"
        let second = service(options)
        do {
            try second.start()
            Issue.record("a second coordinator started on the same data directory")
        } catch {
            let directory = URL(fileURLWithPath: farm.options.dataDirectory).standardizedFileURL.path
            #expect(error as? StoreError == .dataDirectoryInUse(directory: directory, pid: getpid()))
            #expect("\(error)".contains(directory) && "\(error)".contains("pid \(getpid())"), "\(error)")
        }
        second.stop()
        await expectAnswers(farm)
    }

    @Test func aSecondCoordinatorOnTheDatabaseIsRefused() async throws {
        let farm = try TestFarm()
        defer { farm.stop() }
        let cluster = try EmbeddedPostgres(dataDirectory: URL(fileURLWithPath: farm.options.dataDirectory).appendingPathComponent("postgres"))
        let elsewhere = farm.directory.appendingPathComponent("second-data").path
        let second = service(
            CoordinatorService.Options(
                database: "postgres://\(EmbeddedPostgres.user)@/\(cluster.database)?host=\(cluster.socketDirectory)",
                dataDirectory: elsewhere, httpPort: 0, listen: "tcp://127.0.0.1:*"))
        do {
            try second.start()
            Issue.record("a second coordinator started on the same database")
        } catch {
            guard case .databaseInUse(_, let holder)? = error as? StoreError else { Issue.record("\(error)"); return }
            #expect(holder?.contains("reel coordinator pid \(getpid())") == true, "\(error)")
        }
        second.stop()
        await expectAnswers(farm)
        // The refused coordinator let its data directory go.
        try DataDirectoryLock(directory: URL(fileURLWithPath: elsewhere)).release()
    }

    /// `reel coordinator` twice on one data directory: the second exits non-zero
    /// naming the directory and the first's pid. Killed with SIGKILL, the first
    /// leaves its PostgreSQL running; the next coordinator adopts that server and
    /// stops it when it stops.
    @Test func theCLIRefusesASecondCoordinatorAndAKilledOnesDatabaseIsAdopted() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reel-exclusion-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func coordinator(_ name: String) throws -> (process: Process, log: URL) {
            let log = directory.appendingPathComponent("\(name).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestFarm.reelBinary)
            process.arguments = ["coordinator", "--data", data.path, "--http", "127.0.0.1:0", "--listen", "tcp://127.0.0.1:*"]
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = process.standardOutput
            try process.run()
            return (process, log)
        }
        func text(_ log: URL) -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        defer {
            // Whatever happens above, no server outlives the test.
            let cluster = data.appendingPathComponent("postgres/postgres/postmaster.pid").path
            if let pid = (try? String(contentsOfFile: cluster, encoding: .utf8))?.split(separator: "\n").first.flatMap({ Int32($0) }) {
                kill(pid, SIGTERM)
            }
        }

        let first = try coordinator("first")
        defer { if first.process.isRunning { kill(first.process.processIdentifier, SIGKILL) } }
        let deadline = ContinuousClock.now + .seconds(120)
        while !text(first.log).contains("workers connect to"), first.process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(first.process.isRunning, "the first coordinator did not start: \(text(first.log))")

        let second = try coordinator("second")
        second.process.waitUntilExit()
        #expect(second.process.terminationStatus != 0)
        let refusal = text(second.log)
        #expect(refusal.contains("'\(data.path)' is in use by another coordinator (pid \(first.process.processIdentifier),"), "\(refusal)")
        #expect(first.process.isRunning)

        let cluster = try EmbeddedPostgres(dataDirectory: data.appendingPathComponent("postgres"))
        let pidFile = cluster.clusterDirectory.appendingPathComponent("postmaster.pid").path
        let postmaster = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n")[0]))
        try PostgresConnection(url: cluster.url).execute("SELECT 1")

        kill(first.process.processIdentifier, SIGKILL)
        // Not waitUntilExit: Foundation sees a child end only once every copy of a pipe
        // it gave the child is closed, and the PostgreSQL the child started holds one.
        // The kernel drops the dead process's lock at once.
        while ContinuousClock.now < deadline {
            if let probe = try? DataDirectoryLock(directory: data) {
                probe.release()
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(kill(postmaster, 0) == 0, "PostgreSQL died with its coordinator")
        let next = service(CoordinatorService.Options(dataDirectory: data.path, httpPort: 0, listen: "tcp://127.0.0.1:*"))
        try next.start()
        let adopted = Int32(try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n")[0])
        #expect(adopted == postmaster, "the running server should have been adopted, not replaced")
        next.stop()
        while kill(postmaster, 0) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(kill(postmaster, 0) != 0, "the adopted PostgreSQL was left running")
    }
}
