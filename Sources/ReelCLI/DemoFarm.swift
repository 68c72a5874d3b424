import Foundation
import ReelCoordinator
import ReelFarm
import ReelPlan

/// The farm `reel demo` runs on this machine: embedded PostgreSQL, the coordinator
/// and `workers` worker processes over the models in `models`, with jobs submitted
/// through the HTTP API as any client submits them. Its tests render on the same
/// farm the command does.
struct DemoFarm {
    /// Working folder: the farm's data and logs go to DIR/farm.
    let dir: String
    /// The models folder the workers load (the demo model installed in it).
    let models: String
    let workers: Int
    /// The `reel` binary the workers run.
    var executable = LocalFarm.currentExecutable

    /// What one ``render(_:)`` did.
    struct Rendered {
        /// Each job's final status, in the order given.
        let jobs: [FarmAPI.JobStatus]
        /// How many workers finished at least one shard.
        let workersSeen: Int
        /// Where the farm keeps its state.
        let data: String
    }

    /// Starts the farm, submits every job at once (so the workers share them), waits
    /// for each and writes its MP4 to its `output`, and stops the farm.
    func render(_ jobs: [(request: JobRequest, output: String)], announce: Bool = true) async throws -> Rendered {
        let server = try CoordinatorServerOptions.parse([
            "--data", (dir as NSString).appendingPathComponent("farm"), "--http", "127.0.0.1:0", "--listen", "tcp://127.0.0.1:*",
        ])
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / workers)
        let farm = try LocalFarmLauncher(server: server, workers: workers, models: models, threads: threads, executable: executable).farm()
        try farm.start()
        defer { farm.stop() }
        if announce { printErr("farm up: PostgreSQL, coordinator on \(farm.service.endpoint), \(workers) worker processes") }
        let port = PortBox()
        let service = farm.service
        let servingEnded = StopFlag()
        let serving = Task {
            defer { servingEnded.set() }
            try await service.serve { port.set($0) }
        }
        let api = try await port.wait()
        let client = CoordinatorClient(baseURL: URL(string: "http://127.0.0.1:\(api)")!)
        try await service.waitForWorkers(workers, timeout: .seconds(60))
        var ids = [Int64]()
        for job in jobs {
            let id = try await client.submit(FarmAPI.SubmitRequest(request: job.request))
            if announce {
                let status = try await client.job(id)
                let seconds = String(format: "%.1f", Double(status.frames) / Double(job.request.fps))
                printErr("job \(id): \(status.frames) frames (\(seconds) s at \(job.request.fps) fps), \(status.width)x\(status.height), \(status.windows) windows, \(status.shardTotal) shards")
            }
            ids.append(id)
        }
        var statuses = [FarmAPI.JobStatus]()
        for (id, job) in zip(ids, jobs) {
            do {
                try await Waiting(client: client).wait(for: id, output: job.output)
            } catch {
                // Ctrl-C or SIGTERM stops the API first: say that, not "cannot reach the coordinator".
                for _ in 0..<10 where !servingEnded.isSet { try? await Task.sleep(for: .milliseconds(100)) }
                guard servingEnded.isSet else { throw error }
                throw DemoModelError(
                    message: """
                        interrupted: the farm stopped before job \(id) finished. Nothing is lost: its state is in PostgreSQL \
                        under \(server.data). `reel up --data \(server.data) --models \(models)` finishes it, then \
                        `reel fetch \(id) --output clip.mp4`; or run `reel demo` again for a new clip.
                        """)
            }
            statuses.append(try await client.job(id))
        }
        let workersSeen = try await client.workers().filter { $0.shardsDone > 0 }.count
        farm.stop()
        if case .failure(let error) = await serving.result { printErr("note: the HTTP API stopped with \(error)") }
        return Rendered(jobs: statuses, workersSeen: workersSeen, data: server.data)
    }
}
