import ArgumentParser
import Foundation
import ReelCoordinator

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Show the event log: one job's, or the farm's.",
        discussion: "With --follow, keeps printing new events: for a job, until it has ended; for the farm, until interrupted.")

    @Argument(help: "A job id (default: the whole farm's log).")
    var job: Int64?
    @Flag(help: "Keep printing new events.")
    var follow = false
    @Flag(help: "Print JSON (one array; with --follow, one object a line).")
    var json = false
    @OptionGroup var coordinator: CoordinatorAddress

    func run() async throws {
        let client = coordinator.client
        var after: Int64?
        var printedAny = false
        var all: [FarmAPI.Event] = []
        while true {
            let page = try await client.events(job: job, after: after)
            after = page.last?.id ?? after
            if json && !follow {
                all += page
            } else {
                for event in page { print(json ? try Self.line(event) : Self.text(event)) }
            }
            printedAny = printedAny || !page.isEmpty
            if page.count == FarmAPI.maxPageLimit { continue }
            guard follow else { break }
            if let job, ["succeeded", "failed", "cancelled"].contains(try await client.job(job).state) {
                // One more read for events written as it ended.
                for event in try await client.events(job: job, after: after) { print(json ? try Self.line(event) : Self.text(event)) }
                return
            }
            try await Task.sleep(for: .seconds(1))
        }
        if json { return print(try CLIJSON.text(all)) }
        if !printedAny { printErr(job.map { "job \($0) has no events yet" } ?? "the farm's event log is empty") }
    }

    static func text(_ event: FarmAPI.Event) -> String {
        var parts = [ISO8601DateFormatter().string(from: event.at), event.kind]
        if let job = event.job { parts.append("job \(job)") }
        if let region = event.region, let block = event.block { parts.append("shard r\(region)b\(block)") }
        if let worker = event.worker { parts.append(worker) }
        if let detail = event.detail { parts.append(detail) }
        return parts.joined(separator: "  ")
    }

    static func line(_ event: FarmAPI.Event) throws -> String {
        String(decoding: try FarmAPI.encoder().encode(event), as: UTF8.self)
    }
}
