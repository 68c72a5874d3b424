import ArgumentParser
import Foundation
import ReelCoordinator

/// `--wait`: polls a job, prints progress to stderr, fetches the video when asked.
struct Waiting {
    let client: CoordinatorClient

    func wait(for id: Int64, output: String?) async throws {
        var progress = ProgressBar()
        while true {
            let job = try await client.job(id)
            progress.show(job)
            if ["succeeded", "failed", "cancelled"].contains(job.state) { progress.finish() }
            switch job.state {
            case "succeeded":
                printErr("latents_sha256 \(job.latentsSha256 ?? "-")")
                if let output {
                    try await client.video(id).write(to: URL(fileURLWithPath: output), options: .atomic)
                    printErr("wrote \(output)")
                } else {
                    printErr("get the video with `reel fetch \(id) --output clip.mp4`")
                }
                return
            case "failed":
                throw ValidationError("job \(id) failed: \(job.reason ?? "no reason recorded"); `reel retry \(id)` runs its failed shards again")
            case "cancelled":
                throw ValidationError("job \(id) was cancelled")
            default:
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    static func progressLine(_ job: FarmAPI.JobStatus) -> String {
        let shards = ["done", "leased", "ready", "pending", "failed"].compactMap { key in
            job.shards[key].flatMap { $0 > 0 ? "\($0) \(key)" : nil }
        }.joined(separator: ", ")
        return String(format: "job %lld %@ %5.1f%%  shards: %@", job.id, job.state, job.progress * 100, shards)
    }
}
