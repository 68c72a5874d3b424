import Foundation
import ReelCoordinator
import ReelPlan

/// A job's progress on stderr: on a terminal, one line redrawn in place with a
/// bar, shards per second over the last 30 s and an ETA; otherwise (a log, a
/// pipe) a plain line each time the figures change, so logs stay readable.
struct ProgressBar {
    /// Whether stderr is a terminal (decided once).
    let isTerminal: Bool
    private var samples: [(at: ContinuousClock.Instant, done: Int)] = []
    private var lastPlain = ""
    private var drawn = false

    init(isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.isTerminal = isTerminal
    }

    /// Draws `job` (redraws on a terminal).
    mutating func show(_ job: FarmAPI.JobStatus, now: ContinuousClock.Instant = .now) {
        let done = job.shards["done"] ?? 0
        samples.append((now, done))
        samples.removeAll { now - $0.at > .seconds(30) }
        let rate = Self.rate(samples)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + Self.barLine(job, rate: rate)).utf8))
            drawn = true
        } else {
            let line = Waiting.progressLine(job)
            if line != lastPlain { printErr(line) }
            lastPlain = line
        }
    }

    /// Ends the redrawn line, so what follows starts on its own.
    mutating func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }

    /// Shards per second between the oldest and newest sample (nil until a second has passed).
    static func rate(_ samples: [(at: ContinuousClock.Instant, done: Int)]) -> Double? {
        guard let first = samples.first, let last = samples.last else { return nil }
        let seconds = (last.at - first.at).realSeconds
        return seconds >= 1 ? Double(last.done - first.done) / seconds : nil
    }

    /// `job 7 running [##########----------]  48.2%  23/48 shards  3.10 shards/s  ETA 8 s`
    static func barLine(_ job: FarmAPI.JobStatus, rate: Double?, width: Int = 24) -> String {
        let filled = max(0, min(width, Int((job.progress * Double(width)).rounded(.down))))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let done = job.shards["done"] ?? 0
        var line = String(format: "job %lld %@ [%@] %5.1f%%  %d/%d shards", job.id, job.state, bar, job.progress * 100, done, job.shardTotal)
        if let rate {
            line += String(format: "  %.2f shards/s", rate)
            let left = job.shardTotal - done
            if left > 0 { line += rate > 0 ? "  ETA " + eta(Double(left) / rate) : "  ETA -" }
        }
        if left(job) == 0, job.state == "decoding" { line += "  decoding" }
        return line
    }

    private static func left(_ job: FarmAPI.JobStatus) -> Int { job.shardTotal - (job.shards["done"] ?? 0) }

    static func eta(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        let s = Int(seconds.rounded(.up))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
