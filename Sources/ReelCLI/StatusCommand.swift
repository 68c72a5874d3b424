import ArgumentParser
import Foundation
import ReelCoordinator

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show jobs, or one job's state, shards by state, progress and latents_sha256.")

    @Argument(help: "A job id (default: all jobs).")
    var job: Int64?
    @OptionGroup var coordinator: CoordinatorAddress
    @Flag(help: "Print JSON.")
    var json = false
    @Flag(help: "Follow JOB until it ends: a progress bar with shards/s and an ETA on a terminal, plain lines otherwise.")
    var watch = false

    func validate() throws {
        if watch, job == nil { throw ValidationError("--watch follows one job: give its id (`reel status` lists them)") }
        if watch, json { throw ValidationError("--watch draws progress; use --json without it for one snapshot") }
    }

    func run() async throws {
        let client = coordinator.client
        if let job, watch {
            var progress = ProgressBar()
            while true {
                let status = try await client.job(job)
                progress.show(status)
                if ["succeeded", "failed", "cancelled"].contains(status.state) {
                    progress.finish()
                    return
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        if let job {
            let status = try await client.job(job)
            if json { return print(try CLIJSON.text(status)) }
            print(Waiting.progressLine(status))
            print("  model \(status.model), \(status.frames) frames at \(status.width)x\(status.height), \(status.fps) fps, \(status.windows) windows, run \(status.run)")
            if let reason = status.reason { print("  reason: \(reason)") }
            if let embeddings = status.embeddings { print("  prompt embeddings: \(embeddings)") }
            if let pool = status.pool { print("  pool \(pool)") }
            if let waiting = status.waiting { print("  waiting: \(waiting)") }
            if let history = status.history { print("  " + Self.historyLine(history)) }
            // Warnings a worker raised about the job's inputs (a prompt cut to the encoder's limit).
            for event in try await client.events(job: job) where FarmAPI.warningEventKinds.contains(event.kind) {
                print("  warning: \(event.detail ?? event.kind)")
            }
            print("  latents_sha256 \(status.latentsSha256 ?? "-")")
            if let expired = status.expiredAt {
                print("  results deleted \(expired) under the coordinator's --keep-results-days; submit the job again to render it")
            } else if status.videoSha256 != nil {
                print(status.still == true ? "  still ready: reel fetch \(job) --output still.png" : "  video ready: reel fetch \(job) --output clip.mp4")
            }
        } else {
            let jobs = try await client.jobs()
            if json { return print(try CLIJSON.text(jobs)) }
            if jobs.isEmpty { return printErr("no jobs yet; submit one with `reel submit --prompt TEXT --model tiny`") }
            print("ID     STATE       PROGRESS  SHARDS  MODEL        NAME")
            for j in jobs {
                print(
                    String(j.id).padding(toLength: 7, withPad: " ", startingAt: 0) + j.state.padding(toLength: 12, withPad: " ", startingAt: 0)
                        + String(format: "%6.1f%%   ", j.progress * 100) + String(j.shardTotal).padding(toLength: 8, withPad: " ", startingAt: 0)
                        + j.model.padding(toLength: 13, withPad: " ", startingAt: 0) + (j.name ?? ""))
            }
            for j in jobs { if let waiting = j.waiting { printErr("job \(j.id) waits: \(waiting)") } }
        }
    }
}

struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workers", abstract: "List the farm's workers.")

    @OptionGroup var coordinator: CoordinatorAddress
    @Flag(help: "Print JSON.")
    var json = false
    @Option(help: ArgumentHelp("Release this quarantined worker: it may be leased work again.", valueName: "NAME"))
    var release: String?

    func run() async throws {
        if let release {
            _ = try await coordinator.client.releaseWorker(release)
            return printErr("released \(release) from quarantine; it takes work at its next claim")
        }
        let workers = try await coordinator.client.workers()
        if json { return print(try CLIJSON.text(workers)) }
        if workers.isEmpty { return printErr("no workers yet; start some with `reel worker --coordinator tcp://HOST:5555 --models DIR`") }
        print("NAME              STATE        HOST              SLOTS  THREADS  DONE  SHARDS/MIN  POOLS             RUNNING")
        for w in workers {
            let state = w.quarantinedAt == nil ? w.state : "quarantined"
            let pools = (w.pools ?? []).isEmpty ? "-" : (w.pools ?? []).joined(separator: ",")
            print(
                w.name.padding(toLength: 18, withPad: " ", startingAt: 0) + state.padding(toLength: 13, withPad: " ", startingAt: 0)
                    + w.host.padding(toLength: 18, withPad: " ", startingAt: 0) + String(w.slots).padding(toLength: 7, withPad: " ", startingAt: 0)
                    + String(w.threads).padding(toLength: 9, withPad: " ", startingAt: 0) + String(w.shardsDone).padding(toLength: 6, withPad: " ", startingAt: 0)
                    + (w.shardsPerMinute.map { String(format: "%.1f", $0) } ?? "-").padding(toLength: 12, withPad: " ", startingAt: 0)
                    // Pools are never cut short: a longer list pushes RUNNING right.
                    + pools.padding(toLength: max(18, pools.count + 1), withPad: " ", startingAt: 0) + w.running.joined(separator: "; "))
        }
        for w in workers where w.quarantinedAt != nil {
            printErr("\(w.name) is quarantined since \(w.quarantinedAt.map { "\($0)" } ?? "?"): \(w.quarantineReason ?? "")")
            printErr("  it is leased nothing until `reel workers --release \(w.name)`")
        }
    }
}

/// JSON as the CLI prints it: the API's encoding, pretty.
enum CLIJSON {
    static func text(_ value: some Encodable) throws -> String {
        let encoder = FarmAPI.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension StatusCommand {
    /// `queued 1.2 s · rendered 40.0 s · decoded 3.1 s · 2 workers · compute 71.5 s · 1 retry`.
    static func historyLine(_ history: FarmAPI.History) -> String {
        let time = { (label: String, seconds: Double?) in seconds.map { "\(label) " + String(format: "%.1f s", $0) } }
        return (
            [time("queued", history.queueSeconds), time("rendered", history.renderSeconds), time("decoded", history.decodeSeconds)]
                .compactMap { $0 }
                + [
                    "\(history.workersUsed) worker\(history.workersUsed == 1 ? "" : "s")",
                    String(format: "compute %.1f s", history.computeSeconds),
                    "\(history.retries) \(history.retries == 1 ? "retry" : "retries")",
                ]
        ).joined(separator: " · ")
    }
}
